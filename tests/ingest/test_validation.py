"""Each quarantine reason, and the bad-input shapes that must not crash or lose rows."""

from __future__ import annotations

from pathlib import Path

import pytest

from medaudit.errors import InputError
from medaudit.ingest import ingest

from .conftest import (
    ENC_HDR,
    FEE_HDR,
    PATIENT_HDR,
    encounter_rows,
    patients_rows,
    quarantine,
    rows,
    write_csv,
)


def _base(src: Path) -> Path:
    src.mkdir()
    write_csv(src / "patients.csv", PATIENT_HDR, patients_rows())
    write_csv(src / "encounters.csv", ENC_HDR, encounter_rows())
    return src


FEE_OK = ["L0", "E1", "X1", "药", "09", "1000", "100", "100", "2025-01-04 09:00:00"]

CASES = [
    (["L1", "E1", "X1", "药", "09", "2000", "100", "300", "2025-01-04"], "amount != quantity x price"),
    (["L1", "E1", "X1", "药", "09", "1e308", "100", "100", "2025-01-04"], "cnt_milli"),
    (["L1", "E1", "X1", "药", "09", "1000", "100", "100", "2025-02-30"], "not a valid date"),
    (["L1", "E1", "X1", "药", "99", "1000", "100", "100", "2025-01-04"], "charge category"),
    (["L1", "E1", "", "药", "09", "1000", "100", "100", "2025-01-04"], "missing required field hilist_code"),
    (["L1", "E1", "X1", "药", "09", "1000", "-100", "-100", "2025-01-04"], "negative unit price"),
    (["L1", "E1", "X1", "药", "09", "1000", "100", "100", "1975-01-04"], "charge time implausible"),
    (["L1", "E1", "X1", "药", "09", "1000", "100", "100.5", "2025-01-04"], "not an integer"),
    (["L1", "E9", "X1", "药", "09", "1000", "100", "100", "2025-01-04"], "parent row missing in encounters"),
    (["L0", "E1", "X1", "药", "09", "1000", "100", "100", "2025-01-04"], "duplicate primary key"),
]


@pytest.mark.parametrize(("row", "reason"), CASES, ids=[c[1] for c in CASES])
def test_fee_line_reasons(tmp_path: Path, row: list[str], reason: str) -> None:
    src = _base(tmp_path / "src")
    write_csv(src / "fee_lines.csv", FEE_HDR, [FEE_OK, row])
    rep = ingest(src, tmp_path / "out", progress=False)
    q = quarantine(tmp_path / "out", "fee_lines")
    assert rep.tables["fee_lines"].accepted == 1 and len(q) == 1
    assert reason in q[0]["reason"] and q[0]["source_file"] == "fee_lines.csv" and q[0]["source_line"] == "3"
    assert q[0]["line_id"] == row[0]  # original values are kept
    assert [r["line_id"] for r in rows(tmp_path / "out", "fee_lines")] == ["L0"]


def test_encounter_and_patient_reasons(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    write_csv(src / "patients.csv", PATIENT_HDR, [*patients_rows(), ["P3", "王五", "7", "1980-01-01", "310", "440100"]])
    bad = list(encounter_rows()[0])
    bad[0], bad[5] = "E3", "2025-01-01 00:00:00"  # discharge before admission
    orphan = list(encounter_rows()[1])
    orphan[0], orphan[1] = "E4", "P3"  # its patient is quarantined
    write_csv(src / "encounters.csv", ENC_HDR, [*encounter_rows(), bad, orphan])
    rep = ingest(src, tmp_path / "out", progress=False)
    assert "does not match" in quarantine(tmp_path / "out", "patients")[0]["reason"]
    reasons = {r["mdtrt_id"]: r["reason"] for r in quarantine(tmp_path / "out", "encounters")}
    # a claim whose master row was quarantined is kept (and audited); the cascade is reported
    assert "discharge before admission" in reasons["E3"] and "E4" not in reasons
    assert rep.tables["encounters"].accepted == 3
    [cascade] = rep.tables["encounters"].cascades
    assert (cascade.parent, cascade.parents_quarantined, cascade.depending, cascade.missing, cascade.kept) == \
        ("patients", 1, 1, 0, True)
    assert cascade.line().startswith("1 名参保人被隔离 → 1 条就诊依赖它们")


def test_numbers_and_dates_in_many_spellings(tmp_path: Path) -> None:
    src = _base(tmp_path / "src")
    hdr = ["明细ID", "就诊ID", "项目编码", "项目名称", "收费类别", "数量", "单价", "金额", "费用发生时间"]
    write_csv(src / "fee_lines.csv", hdr, [
        ["L1", "E1", "X1", "药", "09", "１２３", "1,234.50", "151,843.50", "2025-01-05 10:00:00"],
        ["L2", "E1", "X1", "药", "09", "1", "0.1", "0.10", "2025年1月5日"],
        ["L3", "E1", "X1", "药", "09", "1", "0.1", "0.10", "20250105"],
    ])
    ingest(src, tmp_path / "out", progress=False)
    got = {r["line_id"]: r for r in rows(tmp_path / "out", "fee_lines")}
    assert got["L1"]["cnt_milli"] == 123000 and got["L1"]["pric_fen"] == 123450 and got["L1"]["amt_fen"] == 15184350
    assert got["L2"]["fee_ocur_time"] == got["L3"]["fee_ocur_time"]


def test_truncated_empty_header_only_and_mixed_bytes(tmp_path: Path) -> None:
    src = _base(tmp_path / "src")
    body = ("line_id,mdtrt_id,hilist_code,hilist_name,med_chrgitm_type,cnt_milli,pric_fen,amt_fen,fee_ocur_time\n"
            "L1,E1,X1,维生素,09,1000,100,100,2025-01-04\n").encode()
    body += "L2,E1,X1,维生素,09,1000,100,100,2025-01-04\n".encode("gbk")  # a GBK line in a UTF-8 file
    body += b"L3,E1,X1,\xff\xfe\xff,09,1000,100,100,2025-01-04\n"  # neither UTF-8 nor GBK
    body += b"L4,E1,X1,abc,09,10"  # the last line is cut
    (src / "fee_lines.csv").write_bytes(body)
    (src / "diagnoses.csv").write_bytes(b"")
    (src / "operations.csv").write_text("mdtrt_id,oprn_code,oprn_time\n", encoding="utf-8")
    rep = ingest(src, tmp_path / "out", progress=False)
    fee = rep.tables["fee_lines"]
    assert (fee.read, fee.accepted, fee.quarantined) == (4, 2, 2)
    assert [r["hilist_name"] for r in rows(tmp_path / "out", "fee_lines")] == ["维生素", "维生素"]
    reasons = {r["source_line"]: r["reason"] for r in quarantine(tmp_path / "out", "fee_lines")}
    assert "undecodable" in reasons["4"] and "column count mismatch" in reasons["5"]
    assert rep.tables["diagnoses"].read == 0 and any("empty file" in m for m in rep.tables["diagnoses"].messages)
    assert rep.tables["operations"].read == 0 and rows(tmp_path / "out", "operations") == []


def test_unterminated_quote_is_quarantined_not_swallowed(tmp_path: Path) -> None:
    src = _base(tmp_path / "src")
    (src / "fee_lines.csv").write_text(",".join(FEE_HDR) + "\n" + ",".join(FEE_OK) + '\nL9,E1,X1,"cut', encoding="utf-8")
    rep = ingest(src, tmp_path / "out", progress=False)
    assert rep.tables["fee_lines"].accepted == 1
    assert "unterminated quote" in quarantine(tmp_path / "out", "fee_lines")[0]["reason"]


def test_nothing_recognisable_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "notes.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(InputError):
        ingest(tmp_path, tmp_path / "out", progress=False)


def test_fee_lines_of_a_quarantined_encounter_name_the_cascade(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    write_csv(src / "patients.csv", PATIENT_HDR, patients_rows())
    bad = list(encounter_rows()[0])
    bad[0], bad[5] = "E3", "2025-01-01 00:00:00"  # discharge before admission: quarantined
    write_csv(src / "encounters.csv", ENC_HDR, [*encounter_rows(), bad])
    write_csv(src / "fee_lines.csv", FEE_HDR, [FEE_OK, ["L3", "E3", "X1", "药", "09", "1000", "100", "100", "2025-01-04"],
                                               ["L4", "E3", "X1", "药", "09", "1000", "100", "100", "2025-01-04"],
                                               ["L9", "E9", "X1", "药", "09", "1000", "100", "100", "2025-01-04"]])
    rep = ingest(src, tmp_path / "out", progress=False)
    reasons = {r["line_id"]: r["reason"] for r in quarantine(tmp_path / "out", "fee_lines")}
    assert set(reasons) == {"L3", "L4", "L9"}
    assert "parent row quarantined in encounters" in reasons["L3"] and "parent row missing" in reasons["L9"]
    [cascade] = rep.tables["fee_lines"].cascades
    assert (cascade.parents_quarantined, cascade.depending, cascade.missing, cascade.kept) == (1, 2, 1, False)
    assert cascade.line().startswith("1 条就诊被隔离 → 2 条费用明细依赖它们；1 条费用明细的就诊/结算不存在（随之被隔离）")
    top = rep.tables["fee_lines"].top_reasons()
    assert top[0][1] == 2 and "parent row quarantined" in top[0][0] and "'…'" in top[0][0]


def test_institution_type_and_grade_as_the_platform_codes_them(tmp_path: Path) -> None:
    """medins_type WS 218 codes (A1, D2) and 1/2, and hosp_lv 05: the same code tables the API reads."""
    src = _base(tmp_path / "src")
    write_csv(src / "institutions.csv", ["fixmedins_code", "fixmedins_name", "hosp_lv", "medins_type", "admdvs"], [
        ["H44010000001", "一院", "05", "A1", "440100"],
        ["H44010000002", "诊所", "", "D2", "440100"],
        ["P44010000003", "药店", "", "2", "440100"],
        ["H44010000004", "怪", "02", "I9", "440100"],
    ])
    out = tmp_path / "out"
    ingest(src, out)
    got = {r["fixmedins_code"]: (r["fixmedins_type"], r["medins_lv"]) for r in rows(out, "institutions")}
    assert got == {"H44010000001": ("hospital", 2), "H44010000002": ("clinic", 0), "P44010000003": ("pharmacy", 0)}
    [bad] = quarantine(out, "institutions")
    assert "I9" in bad["reason"]
