"""The drug-rule templates compile faithfully for every engine, not only DuckDB.

A template that sqlglot cannot express in SQLite or Spark must fail here, at development time,
rather than when a real-time worker or a Spark job loads the rule base.
"""

from __future__ import annotations

import re

import pytest

from medaudit.engine.compile import compile_template
from medaudit.rules.golden import compare, load_cases, run_case
from medaudit.rules.loader import load_rulebase, load_templates
from medaudit.rules.model import CORE_COLUMNS

DRUG_TEMPLATES = (
    "drug_age", "drug_indication", "drug_level", "drug_visit_type", "drug_second_line", "drug_max_dose",
    "drug_over_days", "drug_duplicate", "drug_contraindication", "chronic_drug_scope",
    "duplicate_trace_code", "not_in_catalogue",
)

#: constructs the working agreement keeps out of rule SQL (DuckDB-only, or not deterministic)
FORBIDDEN = re.compile(
    r"\bQUALIFY\b|\bINTERVAL\b|\b(?:STRING_AGG|LIST_?\w*|REGEXP\w*|DATE_TRUNC|FILTER|STRUCT\w*|ARRAY\w*)\s*\(",
    re.IGNORECASE,
)


@pytest.mark.parametrize("template_id", DRUG_TEMPLATES)
@pytest.mark.parametrize("dialect", ["sqlite", "spark"])
def test_compiles_for_every_engine(template_id: str, dialect: str) -> None:
    tpl = load_templates()[template_id]
    sql = compile_template(tpl, dialect)
    for col in (*CORE_COLUMNS, *tpl.evidence):
        assert col in sql, f"{template_id}: {col} lost in the {dialect} translation"


@pytest.mark.parametrize("template_id", DRUG_TEMPLATES)
def test_uses_only_portable_constructs(template_id: str) -> None:
    sql = re.sub(r"--[^\n]*", "", load_templates()[template_id].sql).upper()
    found = FORBIDDEN.findall(sql)
    assert found == [], f"{template_id} uses non-portable constructs: {found}"
    assert "FROM PARAMS" in sql or "JOIN PARAMS" in sql, f"{template_id} must join the params table"


@pytest.mark.parametrize("template_id", DRUG_TEMPLATES)
def test_has_firing_and_quiet_golden_cases(template_id: str) -> None:
    cases = load_cases(template_id)
    assert any(c.expect for c in cases), f"{template_id}: no case that must fire"
    assert any(not c.expect for c in cases), f"{template_id}: no near-miss case"
    assert any("reason" in e for c in cases for e in c.expect), f"{template_id}: no exact reason"


@pytest.mark.parametrize("template_id", DRUG_TEMPLATES)
def test_golden_cases_sqlite(template_id: str) -> None:
    """The real-time engine gives the batch engine's exact findings on every golden case."""
    for case in load_cases(template_id):
        problems = compare(case, run_case(case, "sqlite"))
        assert problems == [], f"{template_id} / {case.name}: {problems}"


def test_every_drug_template_has_a_national_instance() -> None:
    active = load_rulebase().active(list(DRUG_TEMPLATES))
    assert sorted(active) == sorted(DRUG_TEMPLATES)
