"""Each input format and encoding lands on the same canonical values."""

from __future__ import annotations

import codecs
import datetime as dt
from pathlib import Path

import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from medaudit.ingest import ingest
from medaudit.schema import SCHEMAS

from .conftest import (
    ENC_HDR,
    FEE_HDR,
    PATIENT_HDR,
    canonical_folder,
    encounter_rows,
    fee_rows,
    patients_rows,
    quarantine,
    rows,
    write_csv,
)

CN_FEE_HDR = ["明细ID", "就诊ID", "项目编码", "项目名称", "收费类别", "数量", "单价", "金额", "开单医生", "费用发生时间"]


def _cn_fee_rows() -> list[list[str]]:
    return [["L1", "E1", "XA11DAW036A001010104127", "维生素B1片", "09", "2", "600.00", "1,200.00", "D1", "2025/1/4"],
            ["L2", "E1", "XA11DAW036A001010104127", "维生素B1片", "9", "-1", "600", "-600", "D1", "2025年1月5日"],
            ["L3", "E2", "001103000010000", "急诊监护费", "05", "１.５", "13.67", "20.50", "D2", "20250203"]]


def _expect_fee(out: Path) -> None:
    got = {r["line_id"]: r for r in rows(out, "fee_lines")}
    assert got["L1"]["amt_fen"] == 120000 and got["L1"]["cnt_milli"] == 2000 and got["L1"]["pric_fen"] == 60000
    assert got["L2"]["refund_flag"] is True and got["L2"]["amt_fen"] == -60000
    assert got["L2"]["med_chrgitm_type"] == "09"
    assert got["L3"]["cnt_milli"] == 1500 and got["L3"]["amt_fen"] == 2050
    assert got["L2"]["fee_ocur_time"] == dt.datetime(2025, 1, 5)
    assert got["L3"]["fee_ocur_time"] == dt.datetime(2025, 2, 3)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_chinese_headers_each_encoding(tmp_path: Path, encoding: str, diag_codes: list[str]) -> None:
    src = canonical_folder(tmp_path / "src", diag_codes[0])
    (src / "fee_lines.csv").unlink()
    write_csv(src / "费用明细.csv", CN_FEE_HDR, _cn_fee_rows(), encoding=encoding)
    rep = ingest(src, tmp_path / "out", progress=False)
    assert rep.tables["fee_lines"].accepted == 3, quarantine(tmp_path / "out", "fee_lines")
    _expect_fee(tmp_path / "out")


def test_excel_merged_cells_and_several_sheets(tmp_path: Path, diag_codes: list[str]) -> None:
    src = canonical_folder(tmp_path / "src", diag_codes[0])
    (src / "fee_lines.csv").unlink()
    (src / "patients.csv").unlink()
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "费用明细"
    ws.append(["费用明细清单"] + [None] * (len(CN_FEE_HDR) - 1))  # a merged title row above the header
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(CN_FEE_HDR))
    ws.append(CN_FEE_HDR)
    for r in _cn_fee_rows():
        ws.append(r)
    # 就诊ID merged down over L1 and L2 (only the top cell holds the value)
    ws["B4"] = None
    ws.merge_cells("B3:B4")
    ws2 = wb.create_sheet("patients")
    ws2.append(PATIENT_HDR)
    for r in patients_rows():
        ws2.append([dt.date.fromisoformat(v) if k == "brdy" else v for k, v in zip(PATIENT_HDR, r, strict=True)])
    wb.save(src / "bureau.xlsx")
    rep = ingest(src, tmp_path / "out", progress=False)
    assert rep.tables["patients"].accepted == 2
    assert rep.tables["fee_lines"].read == 3 and rep.tables["fee_lines"].accepted == 3, \
        quarantine(tmp_path / "out", "fee_lines")
    _expect_fee(tmp_path / "out")
    assert {r["mdtrt_id"] for r in rows(tmp_path / "out", "fee_lines")} == {"E1", "E2"}


def test_parquet_input(tmp_path: Path, diag_codes: list[str]) -> None:
    src = canonical_folder(tmp_path / "src", diag_codes[0])
    (src / "encounters.csv").unlink()
    enc = [dict(zip(ENC_HDR, r, strict=True)) for r in encounter_rows()]
    tbl = pa.table({k: [e[k] or None for e in enc] for k in ENC_HDR})
    pq.write_table(tbl, src / "encounters.parquet")
    rep = ingest(src, tmp_path / "out", progress=False)
    assert rep.tables["encounters"].accepted == 2
    got = {r["mdtrt_id"]: r for r in rows(tmp_path / "out", "encounters")}
    assert got["E1"]["medfee_sumamt_fen"] == 123456 and got["E1"]["visit_type"] == "inpatient"
    assert got["E2"]["visit_type"] == "outpatient" and got["E2"]["dscg_time"] is None


def test_output_schema_is_canonical(tmp_path: Path, diag_codes: list[str]) -> None:
    ingest(canonical_folder(tmp_path / "src", diag_codes[0]), tmp_path / "out", progress=False)
    for name, schema in SCHEMAS.items():
        got = pq.read_schema(tmp_path / "out" / f"{name}.parquet")
        assert got.names == schema.names, name
        for f in schema:
            g = got.field(f.name)
            assert g.nullable == f.nullable, (name, f.name)
            if pa.types.is_timestamp(f.type):  # Parquet has no second unit; readers get ms
                assert pa.types.is_timestamp(g.type), (name, f.name)
            else:
                assert g.type == f.type, (name, f.name)


def test_single_file_source(tmp_path: Path) -> None:
    f = write_csv(tmp_path / "fee_lines.csv", FEE_HDR, fee_rows())
    rep = ingest(f, tmp_path / "out", progress=False)
    assert rep.tables["fee_lines"].accepted == 3  # no encounters given: foreign key not checked
    assert any("encounters" in n for n in rep.notices)


# ------------------------------------------------------------------ .xls, HTML-as-.xls, UTF-16, garbage


def test_biff8_xls_with_merged_cells_and_dates(tmp_path: Path, diag_codes: list[str]) -> None:
    """An Excel 97–2003 workbook, written by xlwt (test dependency), reads like the .xlsx above."""
    import xlwt  # test dependency: the only maintained-enough BIFF8 writer (pyexcel-xls builds on it)

    src = canonical_folder(tmp_path / "src", diag_codes[0])
    (src / "fee_lines.csv").unlink()
    (src / "patients.csv").unlink()
    wb = xlwt.Workbook(encoding="utf-8")
    ws = wb.add_sheet("费用明细")
    ws.write_merge(0, 0, 0, len(CN_FEE_HDR) - 1, "费用明细清单")  # merged title above the header
    for c, h in enumerate(CN_FEE_HDR):
        ws.write(1, c, h)
    date_style = xlwt.easyxf(num_format_str="YYYY-MM-DD")
    for r, row in enumerate(_cn_fee_rows(), start=2):
        for c, v in enumerate(row):
            if c == 1 and r == 3:
                continue  # 就诊ID of L2 comes from the merged range below
            if CN_FEE_HDR[c] == "单价":
                ws.write(r, c, float(v))  # a number cell, not text
            elif CN_FEE_HDR[c] == "费用发生时间" and r == 2:
                ws.write(r, c, dt.date(2025, 1, 4), date_style)  # a real date cell
            else:
                ws.write(r, c, v)
    ws.merge(2, 3, 1, 1)
    ws2 = wb.add_sheet("patients")
    for c, h in enumerate(PATIENT_HDR):
        ws2.write(0, c, h)
    for r, row in enumerate(patients_rows(), start=1):
        for c, v in enumerate(row):
            ws2.write(r, c, v)
    wb.save(str(src / "bureau.xls"))
    rep = ingest(src, tmp_path / "out", progress=False)
    assert rep.skipped == []
    assert rep.tables["patients"].accepted == 2
    assert rep.tables["fee_lines"].accepted == 3, quarantine(tmp_path / "out", "fee_lines")
    _expect_fee(tmp_path / "out")
    got = {r["line_id"]: r for r in rows(tmp_path / "out", "fee_lines")}
    assert got["L2"]["mdtrt_id"] == "E1" and got["L1"]["fee_ocur_time"] == dt.datetime(2025, 1, 4)


def _html_table(header: list[str], body: list[list[str]]) -> str:
    cells = "".join(f"<th>{h}</th>" for h in header)
    trs = "".join("<tr>" + "".join(f"<td>{v}</td>" for v in r) + "</tr>\n" for r in body)
    return (f'<table border="1"><tr><td colspan="{len(header)}">费用明细清单</td></tr>\n'
            f"<tr>{cells}</tr>\n{trs}</table>")


@pytest.mark.parametrize("encoding", ["gbk", "utf-8"])
def test_html_table_saved_as_xls(tmp_path: Path, diag_codes: list[str], encoding: str) -> None:
    """Many HIS 'Excel exports' are an HTML page named .xls; it is sniffed from the bytes and read."""
    src = canonical_folder(tmp_path / "src", diag_codes[0])
    (src / "fee_lines.csv").unlink()
    charset = "gb2312" if encoding == "gbk" else "utf-8"
    page = (f'<html><head><meta http-equiv="Content-Type" content="text/html; charset={charset}"></head>'
            f"<body>{_html_table(CN_FEE_HDR, _cn_fee_rows())}</body></html>")
    (src / "费用明细.xls").write_bytes(page.encode(encoding))
    rep = ingest(src, tmp_path / "out", progress=False)
    assert rep.skipped == []
    assert rep.tables["fee_lines"].accepted == 3, quarantine(tmp_path / "out", "fee_lines")
    _expect_fee(tmp_path / "out")
    assert rows(tmp_path / "out", "fee_lines")[0]["hilist_name"] == "维生素B1片"
    assert quarantine(tmp_path / "out", "fee_lines") == []


def test_xlsx_saved_with_an_xls_suffix(tmp_path: Path, diag_codes: list[str]) -> None:
    src = canonical_folder(tmp_path / "src", diag_codes[0])
    (src / "fee_lines.csv").unlink()
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "fee_lines"
    ws.append(CN_FEE_HDR)
    for r in _cn_fee_rows():
        ws.append(r)
    wb.save(src / "export.xls")
    rep = ingest(src, tmp_path / "out", progress=False)
    assert rep.tables["fee_lines"].accepted == 3
    _expect_fee(tmp_path / "out")


def test_utf16_folder_is_read_and_garbage_is_named_under_skipped(tmp_path: Path, diag_codes: list[str]) -> None:
    """Excel's 'Unicode text' (UTF-16 LE with BOM, tab-separated) is decoded; a file that is not text
    at all, a broken workbook and an unknown type are each named under skipped; the rest ingests."""
    src = canonical_folder(tmp_path / "src", diag_codes[0])
    (src / "fee_lines.csv").unlink()
    text = "\r\n".join("\t".join(r) for r in [CN_FEE_HDR, *_cn_fee_rows()]) + "\r\n"
    (src / "费用明细.txt").write_bytes(codecs.BOM_UTF16_LE + text.encode("utf-16-le"))
    (src / "patients.csv").write_bytes(  # UTF-16 BE without a BOM
        "\n".join(",".join(r) for r in [PATIENT_HDR, *patients_rows()]).encode("utf-16-be"))
    (src / "staff.csv").write_bytes(bytes(range(256)) * 8)  # binary garbage named like a table
    (src / "institutions.xls").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600)  # broken OLE2
    (src / "说明.pdf").write_bytes(b"%PDF-1.4 ...")
    rep = ingest(src, tmp_path / "out", progress=False)
    assert rep.tables["fee_lines"].accepted == 3, quarantine(tmp_path / "out", "fee_lines")
    _expect_fee(tmp_path / "out")
    assert rep.tables["patients"].accepted == 2
    assert {r["psn_name"] for r in rows(tmp_path / "out", "patients")} == {"张三", "李四"}
    skipped = {s.split(":", 1)[0]: s for s in rep.skipped}
    assert set(skipped) == {"staff.csv", "institutions.xls", "说明.pdf"}, rep.skipped
    assert "无法解码" in skipped["staff.csv"] and "cannot read workbook" in skipped["institutions.xls"]
    assert "unsupported file type" in skipped["说明.pdf"]


def test_utf16_line_with_broken_code_units_is_quarantined(tmp_path: Path, diag_codes: list[str]) -> None:
    src = canonical_folder(tmp_path / "src", diag_codes[0])
    (src / "fee_lines.csv").unlink()
    lines = [",".join(r).encode("utf-16-le") for r in [FEE_HDR, *fee_rows()]]
    lines[2] = lines[2][:10] + b"\x00\xdc" + lines[2][10:]  # a lone low surrogate inside L2
    (src / "fee_lines.csv").write_bytes(codecs.BOM_UTF16_LE + "\n".encode("utf-16-le").join(lines))
    rep = ingest(src, tmp_path / "out", progress=False)
    fee = rep.tables["fee_lines"]
    assert (fee.read, fee.accepted, fee.quarantined) == (3, 2, 1)
    q = quarantine(tmp_path / "out", "fee_lines")
    assert q[0]["source_line"] == "3" and "undecodable" in q[0]["reason"]


def test_text_export_with_junk_bytes_after_the_header_is_read_not_skipped(tmp_path: Path,
                                                                         diag_codes: list[str]) -> None:
    """A NUL or control bytes in a later row make that row undecodable, never the whole file 'binary'."""
    src = canonical_folder(tmp_path / "src", diag_codes[0])
    (src / "fee_lines.csv").unlink()
    text = "\r\n".join("\t".join(r) for r in [CN_FEE_HDR, *_cn_fee_rows()]) + "\r\n"
    (src / "费用明细.txt").write_bytes(text.encode("utf-8") + b"\x00\x01\x02\x03junk\x00")
    rep = ingest(src, tmp_path / "out", progress=False)
    fee = rep.tables["fee_lines"]
    assert fee.accepted == 3 and fee.read == fee.accepted + fee.quarantined and fee.quarantined == 1
    assert not rep.skipped
