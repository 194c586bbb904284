"""Audit reports for people: summaries first (by rule, institution, department, doctor, month), then
the largest findings, in Chinese.

A workbook with a million detail rows takes longer to write than the audit takes to run and is
unusable when opened, so the Excel detail sheet holds only the largest findings (``detail_rows``,
stated in the sheet) and the complete detail lives in ``findings.parquet`` (and ``findings.csv`` on
request). Summaries are grouped in Arrow, so their cost does not grow with Python loops over rows.
Patients appear only by 人员编号 (``psn_no``): names and ID numbers are not in the findings table and
never reach a report.
"""

from __future__ import annotations

import codecs
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import xlsxwriter

from medaudit.schema.codes import VISIT_TYPE_ZH
from medaudit.schema.money import yuan_number, yuan_text

#: default number of findings in the Excel detail sheet (largest amounts first)
DETAIL_ROWS = 10_000
#: xlsx holds 1,048,576 rows per sheet; two are the note and the header
EXCEL_MAX_ROWS = 1_048_574


def _encounter_keys(findings: pa.Table) -> pa.Table:
    """``mdtrt_id`` as integer dictionary indices: counting distinct integers is several times
    cheaper than distinct strings, and every summary counts encounters."""
    if findings.num_rows == 0 or pa.types.is_integer(findings.schema.field("mdtrt_id").type):
        return findings
    codes = pc.dictionary_encode(findings.column("mdtrt_id")).combine_chunks().indices
    return findings.set_column(findings.schema.get_field_index("mdtrt_id"), "mdtrt_id", codes)


def summarise(findings: pa.Table, by: list[str]) -> list[dict[str, Any]]:
    """Counts, encounters and amounts grouped by ``by``, largest amount first."""
    if findings.num_rows == 0:
        return []
    grouped = findings.select([*by, "finding_id", "mdtrt_id", "amount_fen"]).group_by(by).aggregate([
        ("finding_id", "count"), ("mdtrt_id", "count_distinct"), ("amount_fen", "sum"),
    ])
    rows = grouped.to_pylist()
    rows.sort(key=lambda r: (-(r["amount_fen_sum"] or 0), *[str(r[b]) for b in by]))
    return rows


DETAIL_COLUMNS = [
    ("finding_id", "疑点编号"), ("rule_id", "规则编码"), ("rule_name", "规则名称"), ("rule_version", "规则版本"),
    ("result_type", "结果类型"), ("severity", "严重程度"), ("action", "处理方式"), ("fixmedins_code", "定点机构编码"),
    ("mdtrt_id", "就诊ID"), ("psn_no", "人员编号"), ("visit_type", "就诊类型"), ("setl_date", "结算日期"),
    ("line_id", "违规明细"), ("related_line_id", "涉及明细"), ("dr_code", "责任医师代码"), ("dept_code", "科室代码"),
    ("amount_fen", "违规金额(元)"), ("reason", "违规内容"),
    ("kb_ref", "知识依据"),
]
_COUNTS = ["疑点数", "涉及就诊数", "违规金额(元)"]


def largest(findings: pa.Table, n: int) -> pa.Table:
    """The ``n`` findings with the largest amounts; ties by finding id, so reruns list the same rows.

    Only rows at or above the n-th largest amount are sorted (a full sort of a million rows on a
    string tie-break costs seconds)."""
    if findings.num_rows == 0 or n <= 0:
        return findings.slice(0, 0)
    keys = [("amount_fen", "descending"), ("finding_id", "ascending")]
    if findings.num_rows > n:
        amount = pc.fill_null(findings.column("amount_fen"), 0)
        top = pc.select_k_unstable(amount, k=n, sort_keys=[("dummy", "descending")])
        threshold = pc.min(pc.take(amount, top))
        findings = findings.filter(pc.greater_equal(amount, threshold))
    order = pc.sort_indices(findings, sort_keys=keys)
    return findings.take(order.slice(0, min(n, findings.num_rows)))


def _with_month(findings: pa.Table) -> pa.Table:
    """``setl_month`` as yyyymm integers (formatting a million dates as text costs seconds; only the
    grouped months are formatted)."""
    d = findings.column("setl_date")
    month = pc.add(pc.multiply(pc.year(d), 100), pc.month(d))
    return findings.append_column("setl_month", month)


def _summary_rows(rows: list[dict[str, Any]], keys: list[str], extra: Any = None) -> list[list[Any]]:
    out = []
    for r in rows:
        head = [r[k] for k in keys]
        if extra is not None:
            head.append(extra(r))
        out.append([*head, r["finding_id_count"], r["mdtrt_id_count_distinct"], yuan_number(r["amount_fen_sum"])])
    return out


def _detail_row(row: dict[str, Any]) -> list[Any]:
    out = []
    for c, _ in DETAIL_COLUMNS:
        v = row[c]
        if c == "amount_fen":
            v = yuan_number(v)
        elif c == "visit_type":
            v = VISIT_TYPE_ZH.get(v or "", v)
        elif c == "setl_date" and v is not None:
            v = v.isoformat()
        out.append(v)
    return out


def write_excel(findings: pa.Table, path: Path, institutions: dict[str, str] | None = None, *,
                detail_rows: int = DETAIL_ROWS) -> None:
    """Summary sheets, then the ``detail_rows`` largest findings (the cap is written in the sheet)."""
    if detail_rows < 0:
        raise ValueError("detail_rows must be >= 0")
    cap = min(detail_rows, EXCEL_MAX_ROWS)
    names = institutions or {}
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    head = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    note_fmt = wb.add_format({"italic": True, "font_color": "#7F7F7F"})
    money = wb.add_format({"num_format": "#,##0.00"})

    def sheet(title: str, headers: list[str], rows: list[list[Any]], money_cols: set[int],
              note: str | None = None) -> None:
        ws = wb.add_worksheet(title)
        top = 0
        if note:
            ws.write(0, 0, note, note_fmt)
            top = 1
        for c, h in enumerate(headers):
            ws.write(top, c, h, head)
            ws.set_column(c, c, max(10, len(h) * 2 + 2))
        # typed writes: ``write`` inspects every string (URL, number and formula patterns), which
        # costs more than the cell itself at 200k cells
        write_string, write_number = ws.write_string, ws.write_number
        for r, row in enumerate(rows, start=top + 1):
            for c, v in enumerate(row):
                if v is None:
                    continue
                if isinstance(v, str):
                    write_string(r, c, v)
                elif isinstance(v, int | float):
                    write_number(r, c, v, money if c in money_cols else None)
                else:
                    ws.write(r, c, v)
        ws.freeze_panes(top + 1, 0)

    findings_full = findings
    findings = _encounter_keys(findings.select(["finding_id", "rule_id", "rule_name", "result_type", "mdtrt_id",
                                                "fixmedins_code", "dept_code", "dr_code", "setl_date", "amount_fen"]))
    by_rule = summarise(findings, ["rule_id", "rule_name", "result_type"])
    sheet("按规则汇总", ["规则编码", "规则名称", "结果类型", *_COUNTS],
          _summary_rows(by_rule, ["rule_id", "rule_name", "result_type"]), {5})
    sheet("按机构汇总", ["定点机构编码", "定点机构名称", *_COUNTS],
          _summary_rows(summarise(findings, ["fixmedins_code"]), ["fixmedins_code"],
                        lambda r: names.get(r["fixmedins_code"], "")), {4})
    sheet("按科室汇总", ["定点机构编码", "科室代码", *_COUNTS],
          _summary_rows(summarise(findings, ["fixmedins_code", "dept_code"]), ["fixmedins_code", "dept_code"]), {4})
    sheet("按医师汇总", ["责任医师代码", "定点机构编码", *_COUNTS],
          _summary_rows(summarise(findings, ["dr_code", "fixmedins_code"]), ["dr_code", "fixmedins_code"]), {4})
    months = summarise(_with_month(findings), ["setl_month"]) if findings.num_rows else []
    months.sort(key=lambda r: (r["setl_month"] is None, r["setl_month"] or 0))
    for r in months:
        m = r["setl_month"]
        r["setl_month"] = None if m is None else f"{m // 100:04d}-{m % 100:02d}"
    sheet("按月份汇总", ["结算月份", *_COUNTS], _summary_rows(months, ["setl_month"]), {3})

    top_rows = largest(findings_full, cap).select([c for c, _ in DETAIL_COLUMNS]).to_pylist()
    total = findings.num_rows
    if total > len(top_rows):
        note = (f"本表仅列出违规金额最大的前 {len(top_rows):,} 条疑点（上限 {detail_rows:,} 条，共 {total:,} 条）；"
                f"完整明细见 findings.parquet（或 --csv 输出的 findings.csv）/ largest {len(top_rows):,} of {total:,} findings")
    else:
        note = f"共 {total:,} 条疑点，按违规金额从大到小排列（明细上限 {detail_rows:,} 条）/ all {total:,} findings"
    sheet("疑点明细", [h for _, h in DETAIL_COLUMNS], [_detail_row(r) for r in top_rows],
          {[c for c, _ in DETAIL_COLUMNS].index("amount_fen")}, note)
    wb.close()


def write_detail_csv(findings: pa.Table, path: Path) -> None:
    """Every finding, detail columns with Chinese headers, UTF-8 with BOM (Excel opens it as such),
    written aside and renamed into place."""
    t = findings.select([c for c, _ in DETAIL_COLUMNS])
    cols: list[pa.ChunkedArray] = []
    for c, _ in DETAIL_COLUMNS:
        col = t.column(c)
        if c == "amount_fen":
            cols.append(pa.chunked_array([[yuan_text(v) for v in col.to_pylist()]],
                                         pa.string()))
        elif c == "visit_type":
            cols.append(pa.chunked_array([[VISIT_TYPE_ZH.get(v or "", v) for v in col.to_pylist()]], pa.string()))
        else:
            cols.append(col)
    out = pa.Table.from_arrays(cols, names=[h for _, h in DETAIL_COLUMNS])
    tmp = path.with_name(f".{path.name}.tmp")
    with tmp.open("wb") as fh:
        fh.write(codecs.BOM_UTF8)
        pacsv.write_csv(out, fh)
    tmp.replace(path)
