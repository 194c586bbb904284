"""One national mapping, one value grammar, one money policy (issue 13, item 7).

Every expectation is derived from the schema specs (medaudit.schema.tables / national), never from a
second copy of the names: ingest's header matching, export's centre-table layout and the API's
3101 DTOs must all resolve a national name to the column the specs declare.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from medaudit.api.dto import request_for
from medaudit.api.mapping import map_request
from medaudit.export import export_national
from medaudit.ingest import ingest
from medaudit.ingest.mapping import match_header
from medaudit.schema import TABLES
from medaudit.schema.money import units_text, units_to_milli, yuan_number, yuan_text, yuan_to_fen
from medaudit.schema.national import (
    CENTRE_TABLES,
    DTO_COLUMNS,
    centre_layout,
    dto_columns,
    interface_names,
    national_columns,
)
from medaudit.schema.values import (
    format_date,
    lit,
    parse_datetime,
    parse_flag,
    parse_number,
    sql_datetime,
    sql_flag,
    sql_number,
)
from medaudit.synth import SynthConfig, generate

# ------------------------------------------------------------------------------------------- money


@pytest.mark.parametrize(("text", "fen"), [
    ("0", 0), ("12.5", 1250), ("-12.50", -1250), ("1,234.50", 123450), ("¥1,234.50", 123450), ("１２.３４", 1234),
    (Decimal("0.01"), 1), (3, 300), (0.07, 7), ("99999999999999.99", 9999999999999999),
])
def test_yuan_to_fen_is_exact(text: Any, fen: int) -> None:
    assert yuan_to_fen(text) == fen


@pytest.mark.parametrize(("text", "message"), [
    ("0.005", "最多 2 位小数"), ("-0.005", "最多 2 位小数"), (0.1 + 0.2, "最多 2 位小数"),
    ("NaN", "有限"), ("inf", "有限"), ("-Infinity", "有限"), ("1e14", "超出范围"), ("1,2,3", "千分位"),
    ("12,34.5", "千分位"), ("abc", "不是有效数值"), ("", "为空"), (True, "不是数值"), (None, "不是数值"),
])
def test_yuan_to_fen_refuses_with_a_clear_message(text: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        yuan_to_fen(text)


def test_prices_and_quantities_round_half_up_away_from_zero() -> None:
    assert yuan_to_fen("0.005", price=True) == 1
    assert yuan_to_fen("-0.005", price=True) == -1  # a refund rounds like the charge it undoes
    assert yuan_to_fen("0.3333", price=True) == 33
    assert units_to_milli("0.0005") == 1 and units_to_milli("-0.0005") == -1
    with pytest.raises(ValueError, match="最多 3 位小数"):
        units_to_milli("0.0005", exact=True)


def test_fen_to_yuan_text_and_number() -> None:
    assert [yuan_text(v) for v in (0, 5, -1250, 123450)] == ["0.00", "0.05", "-12.50", "1234.50"]
    assert yuan_text(123450, grouped=True) == "1,234.50" and yuan_text(None) is None
    assert yuan_number(7) == 0.07 and yuan_number(None) == 0.0
    assert [units_text(v) for v in (1000, 1500, 10000, -333)] == ["1", "1.5", "10", "-0.333"]
    for fen in (0, 1, -1, 5, 99, 100, -123456789, 10**16 - 1):
        assert yuan_to_fen(yuan_text(fen)) == fen


# ------------------------------------------------------------------- one grammar, two readings

NUMBERS = ["12", "12.50", "-3", "+4.5", "1,234.50", "151,843.50", "1,2,3", "１２３", "¥8.00", "abc", "1e3", "", "12,34"]
DATES = ["20240105", "2024-01-05", "2024-01-05 10:00:00", "2024/1/5", "2024/01/05 10:00:00", "2024.01.05",
         "2024年1月5日", "2024-01-05T10:00:00", "2024-01-05 10:00:00.123", "20240105103000", "2024-01-05 10:00",
         "２０２４-０１-０５", "2024-13-01", "yesterday", "05/01/2024"]
FLAGS = ["1", "0", "Y", "n", "true", "False", "是", "否", "１", "yes", "maybe", "2"]


def _python(parse: Any, text: str) -> Any:
    try:
        return parse(text)
    except ValueError:
        return None


def _sql(expr: Any, texts: list[str]) -> list[Any]:
    con = duckdb.connect()
    values = ", ".join(f"({lit(t)})" for t in texts)
    return [r[0] for r in con.execute(f"SELECT {expr('v')} FROM (VALUES {values}) AS t(v)").fetchall()]


def test_ingest_sql_and_python_read_numbers_alike() -> None:
    py = [_python(parse_number, t) for t in NUMBERS]
    assert _sql(sql_number, NUMBERS) == py
    assert py[4] == Decimal("1234.50") and py[6] is None and py[7] == 123  # the decisions, stated


def test_ingest_sql_and_python_read_dates_alike() -> None:
    py = [_python(parse_datetime, t) for t in DATES]
    assert _sql(sql_datetime, DATES) == py
    assert py[0] == py[1] == py[3] == py[5] == py[6] == dt.datetime(2024, 1, 5)
    assert py[2] == py[7] == py[8] == dt.datetime(2024, 1, 5, 10)
    assert py[-3:] == [None, None, None]


def test_ingest_sql_and_python_read_flags_alike() -> None:
    py = [_python(parse_flag, t) for t in FLAGS]
    assert _sql(sql_flag, FLAGS) == py
    assert py[:10] == [True, False, True, False, True, False, True, False, True, True] and py[10:] == [None, None]


def test_ingest_sql_and_the_api_derive_the_same_visit_type_from_med_type() -> None:
    """A regional med_type extension keeps its family in both readers (ingest no longer quarantines it)."""
    from medaudit.ingest.validate import _med_type_visit
    from medaudit.schema.codes import visit_of_med_type

    codes = ["11", "13", "1301", "14", "140104", "1499", "19", "21", "2199", "29", "41", "4199", "52", "99", "9901"]
    py = [visit_of_med_type(c) for c in codes]
    assert _sql(_med_type_visit, codes) == py
    assert py == ["outpatient", "emergency", "emergency", "chronic", "chronic", "chronic", "outpatient",
                  "inpatient", "inpatient", "inpatient", "pharmacy", "pharmacy", "inpatient", None, None]


# --------------------------------------------------------------------- one national mapping


def _declared() -> list[tuple[str, str, str, str]]:
    """(table, national name, kind, canonical column) for every name the specs declare."""
    out = []
    for t in TABLES.values():
        for c in t.columns:
            out += [(t.name, n, "national", c.name) for n in c.national]
            out += [(t.name, n, "interface", c.name) for n in c.interface]
    return out


def test_ingest_resolves_every_declared_national_name_to_its_column() -> None:
    resolved = {(t, n): national_columns(t)[n] for t, n, _, _ in _declared()}
    for (table, name), column in resolved.items():
        hit = match_header(table, name)
        assert hit is not None and hit.column == column, (table, name)
    # a declared interface name that names another column in the centre tables: the one known clash,
    # 3101 medins_lv (a hospital-grade code) vs a centre-table medins_lv (the 1-3 level)
    clashes = {(t, n) for t, n, kind, c in _declared() if kind == "interface" and resolved[(t, n)] != c}
    assert clashes == {("institutions", "medins_lv")}


def test_export_headers_resolve_back_to_the_columns_they_were_written_from() -> None:
    for name in CENTRE_TABLES:
        source, fields = centre_layout(name)
        for header, table, col in fields:
            if col is None:
                continue
            hit = match_header(source, header)
            want = col.name if table == source else None
            if want is None:  # joined columns MDTRT_D carries for another table
                hit = match_header(table, header)
                want = col.name
            assert hit is not None and hit.column == want, (name, header)


@pytest.fixture(scope="module")
def region() -> dict[str, pa.Table]:
    return generate(SynthConfig(patients=400, months=1, seed=11)).tables


def test_api_reads_what_dto_writes_under_the_declared_names(region: dict[str, pa.Table]) -> None:
    enc = next(e for e in region["encounters"].to_pylist() if e["visit_type"] == "inpatient")
    body = request_for(region, enc["mdtrt_id"])
    e_dto = body["patient_dtos"][0]["fsi_encounter_dtos"][0]
    o_dto = e_dto["fsi_order_dtos"][0]
    for column in ("adm_time", "medfee_sumamt_fen", "fixmedins_code", "chfpdr_code"):
        assert interface_names(TABLES["encounters"].column(column))[0] in e_dto, column
    for column in ("line_id", "amt_fen", "pric_fen", "cnt_milli", "med_chrgitm_type"):
        assert interface_names(TABLES["fee_lines"].column(column))[0] in o_dto, column
    mapped = map_request(body)
    got = mapped.rows["encounters"][0]
    assert got["mdtrt_id"] == enc["mdtrt_id"] and got["medfee_sumamt_fen"] == enc["medfee_sumamt_fen"]
    assert got["adm_time"] == format_date(enc["adm_time"])
    lines = {ln["line_id"]: ln for ln in region["fee_lines"].to_pylist() if ln["mdtrt_id"] == enc["mdtrt_id"]}
    for ln in mapped.rows["fee_lines"]:
        want = lines[ln["line_id"]]
        for column in ("amt_fen", "pric_fen", "cnt_milli", "hilist_code", "med_chrgitm_type", "bilg_dr_code"):
            assert ln[column] == want[column], column
        assert ln["fee_ocur_time"] == format_date(want["fee_ocur_time"])


def test_api_warns_over_precise_amounts_with_the_shared_wording(region: dict[str, pa.Table]) -> None:
    enc = region["encounters"].to_pylist()[0]
    body = request_for(region, enc["mdtrt_id"])
    order = body["patient_dtos"][0]["fsi_encounter_dtos"][0]["fsi_order_dtos"][0]
    order["sumamt"] = "1.005"
    warned = [w for w in map_request(body).warnings if w.path.endswith("fsi_order_dtos[0].sumamt")]
    assert [("最多 2 位小数" in w.zh, "按数量×单价计算" in w.zh) for w in warned] == [(True, False), (False, True)]


# ------------------------------------------------------------ export → ingest → export, exact


def test_national_export_ingest_export_is_byte_identical(region: dict[str, pa.Table], tmp_path: Path) -> None:
    first = export_national(region, tmp_path / "a", encoding="gb18030")
    report = ingest(tmp_path / "a", tmp_path / "in")
    assert all(r.quarantined == 0 for r in report.tables.values()), report.tables
    back = {n: pq.read_table(tmp_path / "in" / f"{n}.parquet") for n in TABLES if (tmp_path / "in" / f"{n}.parquet").exists()}
    # ingest writes in its own row order; the export order follows the tables, so sort both alike
    keyed = {n: t.sort_by([(k, "ascending") for k in TABLES[n].key]) for n, t in back.items()}
    orig = {n: region[n].sort_by([(k, "ascending") for k in TABLES[n].key]) for n in keyed}
    export_national(orig, tmp_path / "b", encoding="gb18030")
    second = export_national(keyed, tmp_path / "c", encoding="gb18030")
    assert [p.name for p in first] == [p.name for p in second]
    for p in second:
        assert (tmp_path / "b" / p.name).read_bytes() == p.read_bytes(), p.name
    fee = (tmp_path / "c" / "FEE_LIST_D.csv").read_text(encoding="gb18030").splitlines()
    header = fee[0].split(",")
    amounts = [row.split(",")[header.index("det_item_fee_sumamt")] for row in fee[1:]]
    assert all(a.count(".") == 1 and len(a.split(".")[1]) == 2 for a in amounts)  # yuan, two decimals
    assert any(a.startswith("-") for a in amounts)  # refunds travel as negative yuan


def test_openapi_models_document_the_fields_the_mapping_reads() -> None:
    from medaudit.api import models

    for name in DTO_COLUMNS:
        fields = getattr(models, name).model_fields
        for _, col in dto_columns(name):
            for field in interface_names(col):
                assert field in fields, (name, field)
                assert col.zh in (fields[field].description or ""), (name, field)
    assert models.OrderDTO.model_fields[interface_names(TABLES["fee_lines"].column("line_id"))[0]].is_required()


def test_one_encoding_detector_for_exports_and_downloads(tmp_path: Path) -> None:
    from medaudit.ingest.readers import decode_text
    from medaudit.knowledge.codes import read_code_table

    text = "代码,名称\nA01.000,伤寒\n"
    for enc in ("utf-8", "utf-8-sig", "gbk", "gb18030", "utf-16"):
        assert decode_text(text.encode(enc)) == text, enc
    mixed = "代码,名称\n".encode() + "A01.000,伤寒\n".encode("gbk")  # a GBK file edited in a UTF-8 tool
    assert decode_text(mixed) == text
    with pytest.raises(ValueError, match="第2行"):
        decode_text(b"code,name\n\xff\xfe\xfa,x\n")
    (tmp_path / "zd.csv").write_bytes(("诊断代码,诊断名称\n" + "A01.000,伤寒\n").encode("gbk"))
    assert read_code_table(tmp_path / "zd.csv") == [("A01.000", "伤寒")]
