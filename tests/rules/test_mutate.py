"""Mutation testing of the rule base: the golden cases must reject every one-edit wrong rule.

One mutation run over every template (module fixture) feeds the per-template assertions and the
docs/rules.md check, so the suite pays for it once.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

import medaudit.commands  # noqa: F401 - registers the sub-commands on app
from medaudit.cli import app
from medaudit.rules.doc import render
from medaudit.rules.loader import load_templates
from medaudit.rules.model import EquivalentMutant
from medaudit.rules.mutants import mutant_ids, mutants
from medaudit.rules.mutate import TemplateScore, score_template

TEMPLATES = load_templates()
DOC = Path(__file__).resolve().parents[2] / "docs" / "rules.md"
#: surviving mutants owed a golden case (see the file's header): the survivors must be exactly these
DEBT: dict[str, list[str]] = yaml.safe_load((Path(__file__).parent / "mutation_debt.yaml").read_text(encoding="utf-8")) or {}


@pytest.fixture(scope="module")
def scores() -> dict[str, TemplateScore]:
    return {tid: score_template(t) for tid, t in TEMPLATES.items()}


@pytest.mark.parametrize("template_id", sorted(TEMPLATES))
def test_no_unexplained_survivor(scores: dict[str, TemplateScore], template_id: str) -> None:
    s = scores[template_id]
    assert s.errors == []
    assert sorted(r.id for r in s.survivors) == DEBT.get(template_id, [])
    assert s.count("killed") > 0


def test_rules_doc_is_up_to_date(scores: dict[str, TemplateScore]) -> None:
    assert DOC.read_text(encoding="utf-8") == render(scores), "run: medaudit rules docs > docs/rules.md"


def test_every_operator_is_generated() -> None:
    ops = {m.operator for t in TEMPLATES.values() for m in mutants(t.sql, {p.name for p in t.params})}
    assert ops == {"comparison", "constant", "parameter", "drop_conjunct", "min_max", "window_order"}


def test_ids_are_stable_and_unique() -> None:
    t = TEMPLATES["split_admission"]
    params = {p.name for p in t.params}
    ids = [m.id for m in mutants(t.sql, params)]
    assert ids == mutant_ids(t.sql, params)
    assert len(ids) == len(set(ids))
    assert "b.adm_dn - b.prev_dscg_dn <= p.max_gap_days ⇒ b.adm_dn - b.prev_dscg_dn < p.max_gap_days" in ids
    assert "drop b.adm_dn >= b.prev_dscg_dn" in ids


def test_split_admission_boundary_mutants_are_killed(scores: dict[str, TemplateScore]) -> None:
    """The two mutants issue 22 found surviving: `< 15` for `<= 15`, and same-day readmission ignored."""
    by_id = {r.id: r for r in scores["split_admission"].results}
    assert by_id["b.adm_dn - b.prev_dscg_dn <= p.max_gap_days ⇒ b.adm_dn - b.prev_dscg_dn < p.max_gap_days"
                 ].status == "killed"
    assert by_id["b.adm_dn >= b.prev_dscg_dn ⇒ b.adm_dn > b.prev_dscg_dn"].status == "killed"


def test_stale_and_contradicted_declarations_fail() -> None:
    t = TEMPLATES["abnormal_los"]
    killed = next(r.id for r in score_template(t).results if r.status == "killed")
    bad = t.model_copy(update={"equivalent_mutants": [
        EquivalentMutant(mutant="no such mutant", reason="过期声明"),
        EquivalentMutant(mutant=killed, reason="错误声明"),
    ]})
    s = score_template(bad)
    assert not s.ok
    assert any("no such mutant" in e for e in s.errors)
    assert any(killed in e and "killed" in e for e in s.errors)


def test_cli_mutate_json_and_exit_code() -> None:
    runner = CliRunner()
    ok = runner.invoke(app, ["rules", "test", "abnormal_los", "--mutate", "--json"])
    assert ok.exit_code == 0, ok.output
    assert '"template": "abnormal_los"' in ok.output
    assert '"survivors": []' in ok.output


def test_mutation_debt_names_only_templates_that_exist() -> None:
    assert set(DEBT) <= set(TEMPLATES)
