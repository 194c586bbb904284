"""Audit reports for people: summaries (by rule, by institution) and the finding detail, in Chinese."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import xlsxwriter

from medaudit.schema.codes import VISIT_TYPE_ZH

EXCEL_MAX_ROWS = 1_000_000


def summarise(findings: pa.Table, by: list[str]) -> list[dict[str, Any]]:
    """Counts, encounters and amounts grouped by ``by``, largest amount first."""
    if findings.num_rows == 0:
        return []
    grouped = findings.group_by(by).aggregate([
        ("finding_id", "count"), ("mdtrt_id", "count_distinct"), ("amount_fen", "sum"),
    ])
    rows = grouped.to_pylist()
    rows.sort(key=lambda r: (-(r["amount_fen_sum"] or 0), *[str(r[b]) for b in by]))
    return rows


def yuan(fen: int | None) -> float:
    return round((fen or 0) / 100, 2)


DETAIL_COLUMNS = [
    ("finding_id", "疑点编号"), ("rule_id", "规则编码"), ("rule_name", "规则名称"), ("rule_version", "规则版本"),
    ("result_type", "结果类型"), ("severity", "严重程度"), ("action", "处理方式"), ("fixmedins_code", "定点机构编码"),
    ("mdtrt_id", "就诊ID"), ("psn_no", "人员编号"), ("visit_type", "就诊类型"), ("setl_date", "结算日期"),
    ("line_id", "违规明细"), ("related_line_id", "涉及明细"), ("dr_code", "责任医师代码"), ("dept_code", "科室代码"),
    ("amount_fen", "违规金额(元)"), ("reason", "违规内容"),
    ("kb_ref", "知识依据"),
]


def write_excel(findings: pa.Table, path: Path, institutions: dict[str, str] | None = None) -> None:
    names = institutions or {}
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    head = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    money = wb.add_format({"num_format": "#,##0.00"})

    def sheet(title: str, headers: list[str], rows: list[list[Any]], money_cols: set[int]) -> None:
        ws = wb.add_worksheet(title)
        for c, h in enumerate(headers):
            ws.write(0, c, h, head)
            ws.set_column(c, c, max(10, len(h) * 2 + 2))
        for r, row in enumerate(rows, start=1):
            for c, v in enumerate(row):
                ws.write(r, c, v, money if c in money_cols else None)
        ws.freeze_panes(1, 0)

    by_rule = summarise(findings, ["rule_id", "rule_name", "result_type"])
    sheet("按规则汇总", ["规则编码", "规则名称", "结果类型", "疑点数", "涉及就诊数", "违规金额(元)"],
          [[r["rule_id"], r["rule_name"], r["result_type"], r["finding_id_count"], r["mdtrt_id_count_distinct"],
            yuan(r["amount_fen_sum"])] for r in by_rule], {5})
    by_inst = summarise(findings, ["fixmedins_code"])
    sheet("按机构汇总", ["定点机构编码", "定点机构名称", "疑点数", "涉及就诊数", "违规金额(元)"],
          [[r["fixmedins_code"], names.get(r["fixmedins_code"], ""), r["finding_id_count"],
            r["mdtrt_id_count_distinct"], yuan(r["amount_fen_sum"])] for r in by_inst], {4})
    detail_rows = []
    cols = [c for c, _ in DETAIL_COLUMNS]
    for row in findings.slice(0, EXCEL_MAX_ROWS).select(cols).to_pylist():
        out = []
        for c in cols:
            v = row[c]
            if c == "amount_fen":
                v = yuan(v)
            elif c == "visit_type":
                v = VISIT_TYPE_ZH.get(v or "", v)
            elif c == "setl_date" and v is not None:
                v = v.isoformat()
            out.append(v)
        detail_rows.append(out)
    sheet("疑点明细", [h for _, h in DETAIL_COLUMNS], detail_rows, {cols.index("amount_fen")})
    if findings.num_rows > EXCEL_MAX_ROWS:
        wb.add_worksheet("说明").write(0, 0, f"明细超过{EXCEL_MAX_ROWS}行，完整结果见 findings.parquet")
    wb.close()
