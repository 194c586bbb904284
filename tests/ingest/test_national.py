"""The national centre-table folder (GBK CSV, yuan amounts) → canonical tables exact in fen."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from medaudit.ingest import ingest

from .conftest import quarantine, rows, write_csv

MDTRT = ["mdtrt_id", "psn_no", "psn_name", "gend", "brdy", "insutype", "insu_admdvs", "fixmedins_code",
         "fixmedins_name", "hosp_lv", "fix_blng_admdvs", "begntime", "endtime", "med_type", "die_date"]
SETL = ["setl_id", "mdtrt_id", "init_setl_id", "setl_time", "medfee_sumamt", "fund_pay_sumamt", "psn_pay",
        "refd_setl_flag", "vali_flag"]
FEE = ["bkkp_sn", "mdtrt_id", "fee_ocur_time", "cnt", "pric", "det_item_fee_sumamt", "hilist_code", "hilist_name",
       "med_chrgitm_type", "bilg_dr_code", "init_feedetl_sn"]


def _bureau(folder: Path, diag: list[str], oprn: list[str]) -> Path:
    folder.mkdir()
    h = ["H44010000001", "第一人民医院", "02", "440100"]
    write_csv(folder / "MDTRT_D.csv", MDTRT, [
        ["M1", "P1", "张三", "1", "1960-05-01", "310", "440100", *h, "2025-01-03 08:00:00", "2025-01-08 10:00:00", "21", ""],
        ["M2", "P1", "张三", "1", "1960-05-01", "310", "440100", *h, "2025-02-03 08:00:00", "", "11", "2025-03-01"],
        ["M3", "P2", "李四", "2", "1970-01-01", "390", "440100", *h, "2025-02-04 08:00:00", "", "13", ""],
    ], encoding="gbk")
    write_csv(folder / "setl_d_202501.csv", SETL, [
        ["S1", "M1", "", "2025-01-08 11:00:00", "1234.56", "1000.00", "234.56", "0", "1"],
        ["S1R", "M1", "S1", "2025-01-09 11:00:00", "-1234.56", "-1000.00", "-234.56", "1", "1"],
        ["S1B", "M1", "", "2025-01-10 11:00:00", "1200.10", "1000.00", "200.10", "0", "1"],
        ["S2", "M2", "", "2025-02-03 11:00:00", "20.5", "10", "10.5", "0", "1"],
        ["S2X", "M2", "", "2025-02-04 11:00:00", "99", "10", "89", "0", "0"],
    ], encoding="gbk")
    write_csv(folder / "FEE_LIST_D_202501.csv", FEE, [
        ["F1", "M1", "2025-01-04 09:00:00", "2", "600.05", "1200.10", "XA11DAW036A001010104127", "维生素B1片", "09", "D1", ""],
        ["F2", "M1", "2025-01-04 10:00:00", "-1", "600.05", "-600.05", "XA11DAW036A001010104127", "维生素B1片", "09", "D1", "F1"],
        ["F3", "M9", "2025-01-04 09:00:00", "1", "1", "1", "XA11DAW036A001010104127", "维生素B1片", "09", "D1", ""],
        ["F4", "M2", "2025-02-03 09:00:00", "3", "0.333333", "1.00", "001103000010000", "急诊监护费", "05", "D2", ""],
    ], encoding="gbk")
    write_csv(folder / "SETL_LIST_DIAG_D.csv", ["setl_id", "mdtrt_id", "psn_no", "diag_type", "maindiag_flag",
                                                "diag_code", "diag_name"],
              [["S1B", "M1", "P1", "2", "1", diag[0], "诊断"], ["S1B", "M1", "P1", "2", "0", "XYZD018987", "本地码"]],
              encoding="gbk")
    write_csv(folder / "SETL_LIST_OPRN_D.csv", ["setl_id", "psn_no", "mdtrt_id", "main_oprn_flag", "oprn_oprt_code",
                                                "oprn_oprt_name", "oprn_oprt_date"],
              [["S1B", "P1", "M1", "1", oprn[0], "手术", "2025-01-05"]], encoding="gbk")
    return folder


def test_national_folder_end_to_end(tmp_path: Path, diag_codes: list[str], oprn_codes: list[str]) -> None:
    out = tmp_path / "out"
    rep = ingest(_bureau(tmp_path / "bureau", diag_codes, oprn_codes), out, progress=False)
    for t in rep.tables.values():
        assert t.read == t.accepted + t.quarantined, t

    enc = {r["mdtrt_id"]: r for r in rows(out, "encounters")}
    assert set(enc) == {"M1", "M2"}  # M3 has no settlement
    # S1 was reversed by refund S1R, so the latest valid settlement of M1 is S1B
    assert enc["M1"]["setl_id"] == "S1B" and enc["M1"]["medfee_sumamt_fen"] == 120010
    assert enc["M1"]["fund_pay_fen"] == 100000 and enc["M1"]["psn_pay_fen"] == 20010
    assert enc["M1"]["visit_type"] == "inpatient" and enc["M2"]["visit_type"] == "outpatient"
    assert enc["M2"]["setl_id"] == "S2" and enc["M2"]["medfee_sumamt_fen"] == 2050  # S2X has vali_flag=0
    assert enc["M1"]["medins_admdvs"] == "440100" and enc["M1"]["adm_time"] == dt.datetime(2025, 1, 3, 8)

    setl_q = {r["setl_id"]: r["reason"] for r in quarantine(out, "settlements")}
    assert set(setl_q) == {"S1", "S1R", "S2X"}
    assert "冲销" in setl_q["S1"] and "refund" in setl_q["S1R"] and "vali_flag=0" in setl_q["S2X"]
    enc_q = quarantine(out, "encounters")
    assert [r["mdtrt_id"] for r in enc_q] == ["M3"] and "无有效结算" in enc_q[0]["reason"]

    pats = {r["psn_no"]: r for r in rows(out, "patients")}
    assert pats["P1"]["brdy"] == dt.date(1960, 5, 1) and pats["P1"]["die_date"] == dt.date(2025, 3, 1)
    assert pats["P2"]["gend"] == "2"  # derived from MDTRT_D although M3 itself is quarantined
    inst = rows(out, "institutions")
    assert inst[0]["medins_lv"] == 3 and inst[0]["fixmedins_name"] == "第一人民医院"

    fee = {r["line_id"]: r for r in rows(out, "fee_lines")}
    assert fee["F1"]["amt_fen"] == 120010 and fee["F1"]["pric_fen"] == 60005 and fee["F1"]["cnt_milli"] == 2000
    assert fee["F2"]["refund_flag"] is True and fee["F2"]["init_line_id"] == "F1" and fee["F2"]["amt_fen"] == -60005
    assert fee["F4"]["pric_fen"] == 33 and fee["F4"]["amt_fen"] == 100  # N16,6 price, exact check, rounded store
    assert fee["F1"]["hilist_name"] == "维生素B1片"
    fee_q = quarantine(out, "fee_lines")
    assert [r["bkkp_sn"] for r in fee_q] == ["F3"] and "parent row missing" in fee_q[0]["reason"]

    diag = rows(out, "diagnoses")
    # a local code is kept as sent, for dq_diag_code to report on the claim: quarantining it would drop
    # a diagnosis from a claim that is still audited
    assert sorted(d["diag_code"] for d in diag) == sorted([diag_codes[0], "XYZD018987"])
    assert [d["maindiag_flag"] for d in diag if d["diag_code"] == diag_codes[0]] == [True]
    assert quarantine(out, "diagnoses") == []
    [said] = [m for m in rep.tables["diagnoses"].messages if "XYZD018987" not in m and "不在" in m]
    assert said.startswith("1 行的代码（1 个）不在医保版ICD-10代码表中") and "dq_diag_code" in said
    assert not any("不在" in m for m in rep.tables["operations"].messages)  # every operation code is listed
    assert rows(out, "operations")[0]["oprn_code"] == oprn_codes[0]
