"""Every template's golden cases: the must-fire case with exact amount and reason, and the near misses."""

from __future__ import annotations

import pytest

from medaudit.rules.golden import compare, load_cases, run_case
from medaudit.rules.loader import load_templates

TEMPLATES = sorted(load_templates())


def test_every_template_has_a_firing_and_a_quiet_case() -> None:
    for tid in TEMPLATES:
        cases = load_cases(tid)
        assert any(c.expect for c in cases), f"{tid}: no case that must fire"
        assert any(not c.expect for c in cases), f"{tid}: no near-miss case"
        for c in cases:
            for e in c.expect:
                assert "amount_fen" in e, f"{tid}/{c.name}: expected finding without amount"
        assert any("reason" in e for c in cases for e in c.expect), f"{tid}: no exact reason asserted"


@pytest.mark.parametrize("template_id", TEMPLATES)
def test_golden_cases_duckdb(template_id: str) -> None:
    for case in load_cases(template_id):
        problems = compare(case, run_case(case, "duckdb"))
        assert problems == [], f"{template_id} / {case.name}: {problems}"
