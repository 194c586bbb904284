"""A small canonical dataset whose stays exercise how diagnoses and procedures are read."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from medaudit.schema import conform


def _enc(mid: str, psn: str, adm: dt.datetime, visit: str = "inpatient", main: str | None = None) -> dict[str, Any]:
    return {"mdtrt_id": mid, "psn_no": psn, "fixmedins_code": "H1", "med_type": "21" if visit == "inpatient" else "11",
            "visit_type": visit, "adm_time": adm, "dscg_time": adm + dt.timedelta(days=5),
            "dscg_maindiag_code": main, "psn_admdvs": "440100", "medins_admdvs": "440100", "insutype": "310",
            "setl_time": adm + dt.timedelta(days=5), "medfee_sumamt_fen": 1_000_000, "fund_pay_fen": 700_000,
            "psn_pay_fen": 300_000}


def tables() -> dict[str, pa.Table]:
    t0 = dt.datetime(2024, 3, 1, 9)
    patients = [
        {"psn_no": "P1", "gend": "1", "brdy": dt.date(1964, 1, 1), "insutype": "310", "insu_admdvs": "440100"},
        {"psn_no": "P2", "gend": "2", "brdy": dt.date(1974, 6, 1), "insutype": "310", "insu_admdvs": "440100"},
        {"psn_no": "P3", "gend": "9", "brdy": dt.date(1980, 1, 1), "insutype": "310", "insu_admdvs": "440100"},
    ]
    encounters = [
        _enc("E1", "P1", t0),                        # main flag + a MCC secondary → BR21
        _enc("E2", "P1", t0, main="G45.000"),        # no main flag: dscg_maindiag_code is the main → BR25
        _enc("E3", "P2", t0),                        # admission and discharge diagnoses: discharge ones only
        _enc("E4", "P2", t0),                        # JA1: procedures ordered main first, then by time
        _enc("E5", "P3", t0),                        # gend 9: 无法入组 (sex)
        _enc("E6", "P1", t0),                        # no diagnosis at all: 无法入组
        _enc("E7", "P1", t0, visit="outpatient"),    # not a stay: not grouped
    ]
    diagnoses = [
        {"mdtrt_id": "E1", "diag_code": "G45.000", "maindiag_flag": True, "diag_type": "2"},
        {"mdtrt_id": "E1", "diag_code": "A01.100", "maindiag_flag": False, "diag_type": "2"},
        {"mdtrt_id": "E2", "diag_code": "G41.000", "maindiag_flag": False, "diag_type": None},
        {"mdtrt_id": "E3", "diag_code": "N40.x00", "maindiag_flag": True, "diag_type": "1"},
        {"mdtrt_id": "E3", "diag_code": "G45.000", "maindiag_flag": True, "diag_type": "2"},
        {"mdtrt_id": "E3", "diag_code": "A00.100", "maindiag_flag": False, "diag_type": "2"},
        {"mdtrt_id": "E4", "diag_code": "C50.900x005", "maindiag_flag": True, "diag_type": "2"},
        {"mdtrt_id": "E5", "diag_code": "G45.000", "maindiag_flag": True, "diag_type": "2"},
        {"mdtrt_id": "E7", "diag_code": "G45.000", "maindiag_flag": True, "diag_type": "2"},
    ]
    operations = [
        {"mdtrt_id": "E4", "oprn_code": "85.4300x003", "main_oprn_flag": False, "oprn_time": t0 + dt.timedelta(days=2)},
        {"mdtrt_id": "E4", "oprn_code": "85.5300x001", "main_oprn_flag": True, "oprn_time": t0 + dt.timedelta(days=3)},
    ]
    return {"patients": conform(pa.Table.from_pylist(patients), "patients"),
            "encounters": conform(pa.Table.from_pylist(encounters), "encounters"),
            "diagnoses": conform(pa.Table.from_pylist(diagnoses), "diagnoses"),
            "operations": conform(pa.Table.from_pylist(operations), "operations")}


EXPECTED = {
    "E1": ("BR21", "分组成功"), "E2": ("BR25", "分组成功"), "E3": ("BR23", "分组成功"), "E4": ("JA19", "分组成功"),
    "E5": ("0000", "无法入组"), "E6": ("0000", "无法入组"),
}


def write(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, t in tables().items():
        pq.write_table(t, folder / f"{name}.parquet")
    # the minimum canonical folder has fee lines
    pq.write_table(conform(pa.table({"line_id": pa.array([], pa.string())}), "fee_lines"), folder / "fee_lines.parquet")
    return folder
