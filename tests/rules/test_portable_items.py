"""The item, encounter and stay templates compile faithfully for every engine (sqlglot refuses otherwise)."""

from __future__ import annotations

import re

import pytest

from medaudit.engine.compile import compile_template
from medaudit.rules.loader import load_templates

ITEM_TEMPLATES = ("item_gender", "item_over_freq", "decomposed_charge", "item_indication",
                  "outpatient_during_stay", "concurrent_stay", "abnormal_los", "after_death",
                  "guidance_remote", "low_standard_admission")

#: constructs the rule-writing contract forbids (DuckDB-only or non-portable)
FORBIDDEN = re.compile(r"\b(QUALIFY|FILTER\s*\(|STRING_AGG|LIST_\w+|STRUCT_\w+|REGEXP\w*|DATE_TRUNC|INTERVAL)\b",
                       re.IGNORECASE)


@pytest.mark.parametrize("template_id", ITEM_TEMPLATES)
@pytest.mark.parametrize("dialect", ["sqlite", "spark", "duckdb"])
def test_compiles_for_engine(template_id: str, dialect: str) -> None:
    tpl = load_templates()[template_id]
    sql = compile_template(tpl, dialect)
    assert "params__" + template_id in sql, "parameter table not renamed"


@pytest.mark.parametrize("template_id", ITEM_TEMPLATES)
def test_uses_only_portable_constructs(template_id: str) -> None:
    tpl = load_templates()[template_id]
    assert not FORBIDDEN.search(tpl.sql), f"{template_id} uses a non-portable construct"
    assert "p.instance_id" in tpl.sql


def test_every_item_template_has_a_national_instance() -> None:
    from medaudit.rules.loader import load_rulebase

    active = load_rulebase().active(list(ITEM_TEMPLATES))
    assert sorted(active) == sorted(ITEM_TEMPLATES)
