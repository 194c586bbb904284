"""A region exported the way a platform exports it, through the README path unchanged (issue 13).

The synthetic generator writes the five national centre tables plus master data as the platform's
own queries export it (``--format platform``): pharmacies without a hospital grade, staff without a
role column and with the platform's header names, designation dates (one inside the window), one
traceability code per box. ``medaudit ingest`` then ``medaudit audit`` must account for every row,
quarantine nothing auditable, and find exactly the injected guidance-period / 异地 / duplicate-box
violations. A second region with broken master data must still be audited, with data-quality
findings, the cascade line and exit code 3.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from medaudit.engine.prepare import split_trace_codes
from medaudit.synth import SynthConfig, generate, write
from medaudit.synth.population import GUIDANCE_EXTENSION, GUIDANCE_MONTHS, guidance_end

RATES = {"guidance_remote": 0.9, "duplicate_trace_code": 0.05}
CANONICAL_TABLES = ("patients", "institutions", "staff", "encounters", "fee_lines", "diagnoses", "operations")


def run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "medaudit", *args], capture_output=True, text=True, timeout=300,
                          env=env)


@pytest.fixture(scope="module")
def region(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, pa.Table], pa.Table]:
    base = tmp_path_factory.mktemp("platform")
    result = generate(SynthConfig(patients=600, months=2, seed=11, rates=RATES))
    write(result, base / "export", "platform")
    labels = pq.read_table(base / "export" / "labels.parquet")
    return base, result.tables, labels


@pytest.fixture(scope="module")
def audited(region: tuple[Path, dict[str, pa.Table], pa.Table]) -> tuple[dict, pa.Table, Path]:  # type: ignore[type-arg]
    base, _, _ = region
    res = run("ingest", str(base / "export"), "--out", str(base / "canonical"), "--json")
    assert res.returncode == 0, res.stderr
    report = json.loads(res.stdout)
    res = run("audit", str(base / "canonical"), "--out", str(base / "audit"), "--json", "--no-excel")
    assert res.returncode == 0, res.stderr
    return report, pq.read_table(base / "audit" / "findings.parquet"), base


def test_platform_export_has_the_shapes_a_bureau_sees(region: tuple[Path, dict[str, pa.Table], pa.Table]) -> None:
    base, tables, _ = region
    with (base / "export" / "定点医药机构信息.csv").open(encoding="gb18030") as fh:
        inst = list(csv.DictReader(fh))
    with (base / "export" / "医保医师信息.csv").open(encoding="gb18030") as fh:
        staff = list(csv.DictReader(fh))
    assert "fixmedins_type" not in inst[0] and "medins_lv" not in inst[0]
    assert {r["hosp_lv"] for r in inst if r["fixmedins_code"].startswith("P")} == {""}
    window = (dt.date(2024, 1, 1), dt.date(2024, 3, 1))
    assert any(window[0] <= dt.date.fromisoformat(r["定点日期"]) < window[1] for r in inst)
    assert "role" not in staff[0] and "类别" not in staff[0] and {r["职称"][:2] for r in staff} == {"23", "24"}
    boxes = [c.count(",") + 1 for c in tables["fee_lines"].column("drug_trac_codg").to_pylist() if c]
    assert max(boxes) > 1


def test_every_row_accounted_and_nothing_auditable_quarantined(
        region: tuple[Path, dict[str, pa.Table], pa.Table], audited: tuple[dict, pa.Table, Path]) -> None:  # type: ignore[type-arg]
    _, tables, _ = region
    report, _, base = audited
    for name, rep in report["tables"].items():
        assert rep["read"] == rep["accepted"] + rep["quarantined"], name
        assert rep["quarantined"] == 0, (name, rep["top_reasons"])
    for name in CANONICAL_TABLES:
        assert report["tables"][name]["accepted"] == tables[name].num_rows, name
        assert pq.read_metadata(base / "canonical" / f"{name}.parquet").num_rows == tables[name].num_rows
    inst = {r["fixmedins_code"]: r for r in pq.read_table(base / "canonical" / "institutions.parquet").to_pylist()}
    want = {r["fixmedins_code"]: r for r in tables["institutions"].to_pylist()}
    for code, r in inst.items():
        # pharmacies: empty hosp_lv → level 0 (not applicable); type from the code's first letter;
        # clinics export as H-coded 定点医疗机构 and come back as hospitals
        assert r["medins_lv"] == want[code]["medins_lv"]
        assert r["fixmedins_type"] == ("pharmacy" if want[code]["fixmedins_type"] == "pharmacy" else "hospital")
        assert r["designation_date"] == want[code]["designation_date"]
    roles = Counter(pq.read_table(base / "canonical" / "staff.parquet").column("role").to_pylist())
    assert roles == Counter(tables["staff"].column("role").to_pylist())


def _expected_guidance(tables: dict[str, pa.Table]) -> set[str]:
    """Encounters at a non-regional institution inside its guidance period, patient from another city."""
    inst = {r["fixmedins_code"]: r for r in tables["institutions"].to_pylist()}
    out = set()
    for e in tables["encounters"].to_pylist():
        i = inst[e["fixmedins_code"]]
        months = GUIDANCE_MONTHS + (GUIDANCE_EXTENSION if i["guidance_extended_flag"] else 0)
        day = e["adm_time"].date()
        inside = i["designation_date"] <= day < guidance_end(i["designation_date"], months)
        if inside and not i["regional_center_flag"] and e["psn_admdvs"][:4] != e["medins_admdvs"][:4]:
            out.add(e["mdtrt_id"])
    return out


def test_guidance_and_remote_findings_exact(region: tuple[Path, dict[str, pa.Table], pa.Table],
                                            audited: tuple[dict, pa.Table, Path]) -> None:  # type: ignore[type-arg]
    _, tables, labels = region
    _, findings, _ = audited
    got = {r["mdtrt_id"]: r["amount_fen"] for r in findings.to_pylist() if r["rule_id"] == "guidance_remote"}
    want = {r["mdtrt_id"]: r["amount_fen"] for r in labels.to_pylist() if r["violation_type"] == "guidance_remote"}
    assert got == want and len(got) >= 5
    assert set(got) == _expected_guidance(tables)
    # the period is the designation date's, not a static flag: findings at the institution designated
    # inside the window and at the one whose period was extended
    inst = {r["fixmedins_code"]: r for r in tables["institutions"].to_pylist()}
    enc = {r["mdtrt_id"]: r for r in tables["encounters"].to_pylist()}
    at = {enc[m]["fixmedins_code"] for m in got}
    assert any(inst[c]["guidance_extended_flag"] for c in at)
    assert any(inst[c]["designation_date"] >= dt.date(2024, 1, 1) for c in at)
    # same city, other county: visits to institutions in their guidance period, none 异地 at city pooling
    same_city = [e for e in enc.values() if e["psn_admdvs"] != e["medins_admdvs"]
                 and e["psn_admdvs"][:4] == e["medins_admdvs"][:4] and inst[e["fixmedins_code"]]["guidance_flag"]]
    assert same_city and not {e["mdtrt_id"] for e in same_city} & set(got)


def test_duplicate_box_findings_exact(region: tuple[Path, dict[str, pa.Table], pa.Table],
                                      audited: tuple[dict, pa.Table, Path]) -> None:  # type: ignore[type-arg]
    _, tables, labels = region
    _, findings, _ = audited
    got = {r["line_id"]: r["amount_fen"] for r in findings.to_pylist() if r["rule_id"] == "duplicate_trace_code"}
    want = {r["line_id"]: r["amount_fen"] for r in labels.to_pylist() if r["violation_type"] == "duplicate_trace_code"}
    assert got == want and len(got) >= 3
    boxes = split_trace_codes(tables["fee_lines"].select(["line_id", "drug_trac_codg"]))
    n_boxes = dict(zip(boxes.column("line_id").to_pylist(), boxes.column("n_boxes").to_pylist(), strict=True))
    assert any(n_boxes[line] > 1 for line in got), "no multi-box duplicate was found"
    # a clean export: every whole-box line lists one code per box, nothing is a data-quality finding
    assert not {r["rule_id"] for r in findings.to_pylist()} & {"dq_trace_count", "dq_master_missing"}


def _break_master_data(src: Path, dst: Path) -> tuple[set[str], set[str]]:
    """Copy the export, drop one pharmacy and give one hospital an invalid hosp_lv (quarantined)."""
    dst.mkdir()
    for f in src.iterdir():
        if f.name != "labels.parquet":
            (dst / f.name).write_bytes(f.read_bytes())
    path = dst / "定点医药机构信息.csv"
    with path.open(encoding="gb18030") as fh:
        rows = list(csv.DictReader(fh))
    pharmacy = next(r for r in rows if r["fixmedins_code"].startswith("P"))
    hospital = next(r for r in rows if r["fixmedins_code"].startswith("H") and r["hosp_lv"] == "02")
    hospital["hosp_lv"] = "99"
    rows = [r for r in rows if r is not pharmacy]
    with path.open("w", encoding="gb18030", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    return {pharmacy["fixmedins_code"]}, {hospital["fixmedins_code"]}


def test_broken_master_data_claims_still_audited(region: tuple[Path, dict[str, pa.Table], pa.Table]) -> None:
    base, tables, _ = region
    missing, quarantined = _break_master_data(base / "export", base / "broken")
    affected = {e["mdtrt_id"] for e in tables["encounters"].to_pylist() if e["fixmedins_code"] in missing | quarantined}
    n_quarantined = sum(1 for e in tables["encounters"].to_pylist() if e["fixmedins_code"] in quarantined)

    res = run("ingest", str(base / "broken"), "--out", str(base / "broken-canonical"))
    assert res.returncode == 3, res.stdout + res.stderr
    assert f"1 家机构被隔离 → {n_quarantined:,} 条就诊依赖它们" in res.stdout
    assert "隔离比例超过上限" in res.stderr and "institutions" in res.stderr
    assert "不是有效的医院等级代码" in res.stdout  # the top reason, with its count

    res = run("audit", str(base / "broken"), "--out", str(base / "broken-audit"), "--json", "--no-excel")
    assert res.returncode == 3, res.stderr
    assert "家机构被隔离" in res.stdout and "隔离比例超过上限" in res.stderr
    info = json.loads(res.stdout[res.stdout.index("{\n"):])
    assert info["encounters"] == tables["encounters"].num_rows  # every claim audited
    assert info["fee_lines"] == tables["fee_lines"].num_rows
    findings = pq.read_table(base / "broken-audit" / "findings.parquet").to_pylist()
    dq = {r["mdtrt_id"] for r in findings if r["rule_id"] == "dq_master_missing"}
    assert dq == affected and len(dq) > 0
    assert all(r["category"] == "数据质量类" for r in findings if r["rule_id"] == "dq_master_missing")
    # the other rules still ran on those encounters: the same duplicate-box findings as the whole region
    dup = {r["line_id"] for r in findings if r["rule_id"] == "duplicate_trace_code"}
    assert dup and dup == {r["line_id"] for r in pq.read_table(base / "audit" / "findings.parquet").to_pylist()
                           if r["rule_id"] == "duplicate_trace_code"}


def test_api_drugtracinfo_feeds_the_same_box_representation() -> None:
    """3101 orders carrying ``drugtracinfo[]`` (the 3505 shape) are split into boxes like an export's field."""
    from medaudit.api.mapping import map_request
    from medaudit.engine.backends.sqlite import SQLiteBackend
    from medaudit.engine.runner import audit
    from medaudit.rules.golden import _KB
    from medaudit.rules.loader import RuleBase, load_templates
    from medaudit.rules.model import Instance
    from medaudit.schema import TABLES
    from medaudit.schema.rows import rows_to_table
    from tests.api.conftest import request_body

    body = request_body()
    orders = body["patient_dtos"][0]["fsi_encounter_dtos"][0]["fsi_order_dtos"]
    orders[0].update(cnt="2", sumamt="25.00", drugtracinfo=[{"drug_trac_codg": "81000000000000000001"},
                                                            {"drug_trac_codg": "81000000000000000002"}])
    orders[1].update(cnt="1", drug_trac_codg="81000000000000000002")
    mapped = map_request(body)
    lines = {r["line_id"]: r for r in mapped.rows["fee_lines"]}
    assert lines["RX1"]["drug_trac_codg"] == "81000000000000000001,81000000000000000002"
    claims = {n: rows_to_table(TABLES[n], rows) for n, rows in mapped.rows.items() if n in TABLES}
    rulebase = RuleBase(load_templates(), {"dup": Instance(id="dup", template="duplicate_trace_code")}, {"t": "1"})
    backend = SQLiteBackend()
    try:
        found = audit(backend, claims, _KB({}), rulebase).to_pylist()
    finally:
        backend.close()
    assert [(f["line_id"], f["related_line_id"], f["amount_fen"]) for f in found] == [("RX2", "RX1", 1500)]


def test_quarantine_share_limit_is_configurable(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from medaudit.ingest.pipeline import IngestReport, TableReport
    from medaudit.ingest.summary import share_failure
    from medaudit.settings import get_settings

    report = IngestReport(tmp_path, {"institutions": TableReport("institutions", read=16, accepted=15, quarantined=1),
                                     "fee_lines": TableReport("fee_lines", read=1000, accepted=991, quarantined=9)})
    failure = share_failure(report)
    assert failure is not None and "institutions 6.25%" in failure and "fee_lines" not in failure
    monkeypatch.setenv("MEDAUDIT_QUARANTINE_MAX_SHARE", "0.1")
    get_settings.cache_clear()
    try:
        assert share_failure(report) is None
        assert share_failure(report, 0.005) is not None and "fee_lines 0.90%" in (share_failure(report, 0.005) or "")
    finally:
        monkeypatch.delenv("MEDAUDIT_QUARANTINE_MAX_SHARE")
        get_settings.cache_clear()
