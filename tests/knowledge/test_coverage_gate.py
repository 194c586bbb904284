"""`audit` checks catalogue coverage first: below the threshold one message and no per-line catalogue or
price findings (unless --force); above it, not_in_catalogue reports one finding per (encounter, code)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
from typer.testing import CliRunner

import medaudit.commands  # noqa: F401  (registers the commands)
from medaudit.cli import app
from medaudit.knowledge import default_knowledge
from medaudit.rules.golden import build_case

runner = CliRunner()
UNKNOWN = "XA99ZZZ999A001010100001"


def _known() -> tuple[str, str, int]:
    kb = default_knowledge()
    drug = next(r["code_prefix"] for r in kb.rows("kb_drug") if r["category"] == "西药")
    item = next(r for r in kb.rows("kb_item") if r["price_cap_lv3_fen"])
    return drug.ljust(23, "0"), item["code_prefix"], int(item["price_cap_lv3_fen"])


def _data(tmp_path: Path, fee_lines: list[dict[str, Any]]) -> Path:
    case = build_case("gate", {"name": "g", "claims": {
        "encounters": [{"mdtrt_id": "E1"}, {"mdtrt_id": "E2"}], "fee_lines": fee_lines}})
    folder = tmp_path / "data"
    folder.mkdir()
    for name, t in case.claims.items():
        pq.write_table(t, folder / f"{name}.parquet")
    return folder


def _misfit(tmp_path: Path) -> Path:
    drug, item, cap = _known()
    return _data(tmp_path, [
        {"line_id": "L1", "mdtrt_id": "E1", "hilist_code": drug, "pric_fen": 1000},
        *[{"line_id": f"U{i}", "mdtrt_id": "E1" if i < 3 else "E2", "hilist_code": UNKNOWN, "pric_fen": 10000}
          for i in range(5)],
        {"line_id": "I1", "mdtrt_id": "E1", "hilist_code": item, "med_chrgitm_type": "03", "pric_fen": cap + 500},
    ])


def _rules(out: Path) -> list[str]:
    return sorted(pq.read_table(out / "findings.parquet").column("rule_id").to_pylist())


def test_below_threshold_one_message_and_no_catalogue_findings(tmp_path: Path) -> None:
    data = _misfit(tmp_path)
    out = tmp_path / "out"
    res = runner.invoke(app, ["audit", str(data), "--out", str(out), "--no-excel"])
    assert res.exit_code == 0, res.output
    assert res.output.count("与数据不匹配") == 1
    flat = "".join(res.output.split())  # the console wraps at its width; the wording is what counts
    assert "药品金额覆盖率2.0%" in flat and UNKNOWN in flat and "--force" in flat
    assert "not_in_catalogue" not in _rules(out) and "over_price" not in _rules(out)


def test_force_emits_them_per_encounter_and_code(tmp_path: Path) -> None:
    data = _misfit(tmp_path)
    out = tmp_path / "out"
    res = runner.invoke(app, ["audit", str(data), "--out", str(out), "--no-excel", "--force", "--json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)
    assert doc["coverage"]["fits"] is False and doc["coverage"]["skipped_templates"] == []
    t = pq.read_table(out / "findings.parquet").to_pylist()
    nic = sorted((r["mdtrt_id"], r["line_id"], r["amount_fen"]) for r in t if r["rule_id"] == "not_in_catalogue")
    assert nic == [("E1", "U0", 30000), ("E2", "U3", 20000)]  # 5 lines → 2 findings
    assert [r["amount_fen"] for r in t if r["rule_id"] == "over_price"] == [500]


def test_threshold_is_configurable_and_json_names_the_skipped(tmp_path: Path) -> None:
    data = _misfit(tmp_path)
    res = runner.invoke(app, ["audit", str(data), "--out", str(tmp_path / "o1"), "--no-excel", "--json"])
    doc = json.loads(res.output)
    assert doc["coverage"]["skipped_templates"] == ["not_in_catalogue", "over_price"]
    drug = next(c for c in doc["coverage"]["classes"] if c["class"] == "drug")
    assert (drug["lines"], drug["known_lines"], drug["amount_fen"], drug["known_amount_fen"]) == (6, 1, 51000, 1000)
    res = runner.invoke(app, ["audit", str(data), "--out", str(tmp_path / "o2"), "--no-excel", "--json",
                              "--coverage-min", "0.01"])
    doc = json.loads(res.output)
    assert doc["coverage"]["fits"] is True and doc["coverage"]["skipped_templates"] == []
    assert "not_in_catalogue" in _rules(tmp_path / "o2")


def test_above_threshold_not_in_catalogue_per_encounter_and_code(tmp_path: Path) -> None:
    drug, _, _ = _known()
    data = _data(tmp_path, [
        {"line_id": "L1", "mdtrt_id": "E1", "hilist_code": drug, "cnt_milli": 100000, "pric_fen": 1000},
        {"line_id": "U1", "mdtrt_id": "E1", "hilist_code": UNKNOWN, "pric_fen": 1000},
        {"line_id": "U2", "mdtrt_id": "E1", "hilist_code": UNKNOWN, "pric_fen": 2000},
    ])
    out = tmp_path / "out"
    res = runner.invoke(app, ["audit", str(data), "--out", str(out), "--no-excel"])
    assert res.exit_code == 0, res.output
    assert "与数据不匹配" not in res.output
    t = pq.read_table(out / "findings.parquet").to_pylist()
    assert [(r["line_id"], r["amount_fen"]) for r in t if r["rule_id"] == "not_in_catalogue"] == [("U1", 3000)]
