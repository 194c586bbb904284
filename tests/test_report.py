"""The Excel report: summaries first (rule, institution, department, doctor, month), a capped detail sheet
with the largest findings and the cap stated, the full detail as CSV; no patient names or ID numbers."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import openpyxl
import pyarrow as pa

from medaudit.engine.findings import FINDINGS_SCHEMA
from medaudit.report import write_detail_csv, write_excel
from medaudit.rules.golden import load_cases, run_case

SHEETS = ["按规则汇总", "按机构汇总", "按科室汇总", "按医师汇总", "按月份汇总", "疑点明细"]


def test_excel_report_from_real_findings(tmp_path: Path) -> None:
    case = next(c for c in load_cases("drug_gender") if c.expect)
    findings = run_case(case)
    assert findings.num_rows == 1
    path = tmp_path / "report.xlsx"
    write_excel(findings, path, {"H1": "示例市第一人民医院"})
    wb = openpyxl.load_workbook(path, read_only=True)
    assert wb.sheetnames == SHEETS
    by_rule = list(wb["按规则汇总"].iter_rows(values_only=True))
    assert by_rule[0][:2] == ("规则编码", "规则名称")
    assert by_rule[1][0] == "drug_gender" and by_rule[1][5] == 37.5
    by_inst = list(wb["按机构汇总"].iter_rows(values_only=True))
    assert by_inst[1][:2] == ("H1", "示例市第一人民医院")
    detail = list(wb["疑点明细"].iter_rows(values_only=True))
    assert "共 1 条疑点" in detail[0][0]
    row = dict(zip(detail[1], detail[2], strict=True))
    assert row["违规金额(元)"] == 37.5
    assert row["违规内容"].startswith("参保人性别为男")
    assert row["就诊类型"] == "门诊"


def _findings(n: int) -> pa.Table:
    """n findings over 2 institutions, 3 departments, 2 doctors, 2 months; amount of finding i = (i % 7 + 1) * 100."""
    cols: dict[str, list[object]] = {f.name: [None] * n for f in FINDINGS_SCHEMA}
    for i in range(n):
        cols["finding_id"][i] = f"F{i:04d}"
        cols["rule_id"][i] = "r1" if i % 2 else "r2"
        cols["rule_name"][i] = "规则一" if i % 2 else "规则二"
        cols["result_type"][i] = "明确"
        cols["mdtrt_id"][i] = f"E{i // 2}"
        cols["psn_no"][i] = f"P{i // 4}"
        cols["fixmedins_code"][i] = "H1" if i < n // 2 else "H2"
        cols["dept_code"][i] = ("A03", "A04", "A05")[i % 3]
        cols["dr_code"][i] = "D1" if i % 4 < 2 else "D2"
        cols["setl_date"][i] = dt.date(2025, 3 if i % 5 else 4, 1)
        cols["amount_fen"][i] = (i % 7 + 1) * 100
        cols["visit_type"][i] = "inpatient"
        cols["reason"][i] = f"原因{i}"
    return pa.table(cols, schema=FINDINGS_SCHEMA)


def _sheet(wb: openpyxl.Workbook, name: str) -> list[tuple[object, ...]]:
    return list(wb[name].iter_rows(values_only=True))


def test_summaries_and_the_detail_cap(tmp_path: Path) -> None:
    f = _findings(100)
    path = tmp_path / "r.xlsx"
    write_excel(f, path, detail_rows=10)
    wb = openpyxl.load_workbook(path, read_only=True)
    assert wb.sheetnames == SHEETS
    amounts = [(i % 7 + 1) * 100 for i in range(100)]
    by_month = {r[0]: r[1:] for r in _sheet(wb, "按月份汇总")[1:]}
    april = [a for i, a in enumerate(amounts) if i % 5 == 0]
    assert by_month["2025-04"] == (20, len({i // 2 for i in range(100) if i % 5 == 0}), sum(april) / 100)
    assert by_month["2025-03"][0] == 80 and by_month["2025-03"][2] == (sum(amounts) - sum(april)) / 100
    by_dept = {(r[0], r[1]): r[2] for r in _sheet(wb, "按科室汇总")[1:]}
    assert sum(by_dept.values()) == 100 and by_dept[("H1", "A03")] == len([i for i in range(50) if i % 3 == 0])
    by_dr = {(r[0], r[1]): r[4] for r in _sheet(wb, "按医师汇总")[1:]}
    assert by_dr[("D1", "H2")] == sum(a for i, a in enumerate(amounts) if i % 4 < 2 and i >= 50) / 100
    detail = _sheet(wb, "疑点明细")
    assert "前 10 条" in detail[0][0] and "上限 10 条" in detail[0][0] and "共 100 条" in detail[0][0]
    rows = [dict(zip(detail[1], r, strict=True)) for r in detail[2:]]
    assert len(rows) == 10
    # largest amounts first (700 yuan-cents… = 7.00), ties by finding id
    want = sorted(range(100), key=lambda i: (-amounts[i], f"F{i:04d}"))[:10]
    assert [r["疑点编号"] for r in rows] == [f"F{i:04d}" for i in want]
    assert all(r["违规金额(元)"] == 7.0 for r in rows)


def test_full_detail_csv(tmp_path: Path) -> None:
    f = _findings(30)
    path = tmp_path / "findings.csv"
    write_detail_csv(f, path)
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(raw.decode("utf-8-sig").splitlines()))
    assert len(rows) == 30
    assert rows[3]["疑点编号"] == "F0003" and rows[3]["违规金额(元)"] == "4.00" and rows[3]["就诊类型"] == "住院"
    assert not (tmp_path / ".findings.csv.tmp").exists()


def test_no_patient_name_or_id_number_in_report(tmp_path: Path) -> None:
    from medaudit.synth import SynthConfig, generate

    region = generate(SynthConfig(patients=200, months=1, seed=4))
    folder = tmp_path / "region"
    folder.mkdir()
    import pyarrow.parquet as pq

    for name, t in region.tables.items():
        pq.write_table(t, folder / f"{name}.parquet")
    from typer.testing import CliRunner

    import medaudit.commands  # noqa: F401
    from medaudit.cli import app

    out = tmp_path / "out"
    res = CliRunner().invoke(app, ["audit", str(folder), "--out", str(out), "--csv", "--force"])
    assert res.exit_code == 0, res.output
    patients = region.tables["patients"]
    secrets = {v for c in ("psn_name", "certno") for v in patients.column(c).to_pylist() if v}
    assert len(secrets) > 100
    wb = openpyxl.load_workbook(out / "report.xlsx", read_only=True)
    cells = {str(v) for ws in wb.worksheets for r in ws.iter_rows(values_only=True) for v in r if v is not None}
    assert len(cells) > 50
    assert not any(s in c for c in cells for s in secrets)
    text = (out / "findings.csv").read_text(encoding="utf-8-sig")
    assert text.count("\n") > 1 and not any(s in text for s in secrets)
