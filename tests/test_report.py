"""The Excel report has Chinese sheets and headers and sums that match the findings."""

from __future__ import annotations

from pathlib import Path

import openpyxl

from medaudit.report import write_excel
from medaudit.rules.golden import load_cases, run_case


def test_excel_report_from_real_findings(tmp_path: Path) -> None:
    case = next(c for c in load_cases("drug_gender") if c.expect)
    findings = run_case(case)
    assert findings.num_rows == 1
    path = tmp_path / "report.xlsx"
    write_excel(findings, path, {"H1": "示例市第一人民医院"})
    wb = openpyxl.load_workbook(path, read_only=True)
    assert wb.sheetnames == ["按规则汇总", "按机构汇总", "疑点明细"]
    by_rule = list(wb["按规则汇总"].iter_rows(values_only=True))
    assert by_rule[0][:2] == ("规则编码", "规则名称")
    assert by_rule[1][0] == "drug_gender" and by_rule[1][5] == 37.5
    by_inst = list(wb["按机构汇总"].iter_rows(values_only=True))
    assert by_inst[1][:2] == ("H1", "示例市第一人民医院")
    detail = list(wb["疑点明细"].iter_rows(values_only=True))
    header = detail[0]
    row = dict(zip(header, detail[1], strict=True))
    assert row["违规金额(元)"] == 37.5
    assert row["违规内容"].startswith("参保人性别为男")
    assert row["就诊类型"] == "门诊"
