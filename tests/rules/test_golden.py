"""Every template's golden cases: the must-fire case with exact amount and reason, and the near misses."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import medaudit.commands  # noqa: F401 - registers the sub-commands on app
from medaudit.cli import app
from medaudit.rules.golden import GoldenCase, compare, load_cases, run_case
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


def _with_wrong_expectation(template_id: str) -> list[GoldenCase]:
    cases = load_cases(template_id)
    firing = next(c for c in cases if c.expect)
    firing.expect = [{**firing.expect[0], "amount_fen": int(firing.expect[0]["amount_fen"]) + 1}, *firing.expect[1:]]
    return cases


def test_rules_test_exits_non_zero_on_a_failing_case(monkeypatch: pytest.MonkeyPatch) -> None:
    """A golden case that fails must fail the command (CI relies on the exit code), and --json keeps
    the per-case result."""
    import medaudit.rules.golden as golden

    monkeypatch.setattr(golden, "load_cases", _with_wrong_expectation)
    result = CliRunner().invoke(app, ["rules", "test", "abnormal_los", "--json"])
    assert result.exit_code == 1
    rows = json.loads(result.output)
    assert [r["passed"] for r in rows].count(False) == 1
    assert any("amount" in p for r in rows for p in r["problems"])


def test_rules_test_mutate_exits_non_zero_on_a_survivor(monkeypatch: pytest.MonkeyPatch) -> None:
    import medaudit.rules.mutate as mutate

    quiet_only = [c for c in load_cases("abnormal_los") if not c.expect]
    monkeypatch.setattr(mutate, "load_cases", lambda tid: quiet_only)
    result = CliRunner().invoke(app, ["rules", "test", "abnormal_los", "--mutate", "--json"])
    assert result.exit_code == 1
    (row,) = json.loads(result.output)
    assert row["survivors"] and not row["ok"]


def test_medaudit_process_exit_code_follows_the_command() -> None:
    """The installed entry point (cli.main), not just the Typer app, exits 1 on a failing case."""
    script = (
        "import sys\n"
        "import medaudit.rules.golden as g\n"
        "from tests.rules.test_golden import _with_wrong_expectation\n"
        "g.load_cases = _with_wrong_expectation\n"
        "sys.argv = ['medaudit', 'rules', 'test', 'abnormal_los']\n"
        "from medaudit.cli import main\n"
        "main()\n"
    )
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(root / "src"), str(root)])}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, cwd=root)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "失败" in done.stdout
