"""Canonical tables → the national centre-table exports a bureau holds (MDTRT_D, SETL_D, FEE_LIST_D,
SETL_LIST_DIAG_D, SETL_LIST_OPRN_D), CSV in GBK/GB18030 with national field names and money in yuan.

This is the shape `medaudit ingest` is built for; exporting synthetic regions in it lets the demo and
the tests exercise the path a real user takes first. Institution and staff master data are written
in the documented canonical CSV layout (docs/ingest.md).
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa

from medaudit.schema.codes import HOSP_LV_LEVEL

Getter = Callable[[dict[str, Any]], Any]

_LEVEL_HOSP_LV = {3: "12", 2: "13", 1: "14", 0: "11"}
assert all(HOSP_LV_LEVEL[v] == k for k, v in _LEVEL_HOSP_LV.items())


def _yuan(col: str) -> Getter:
    return lambda r: None if r[col] is None else str(Decimal(r[col]).scaleb(-2))


def _units(col: str) -> Getter:
    return lambda r: None if r[col] is None else str(Decimal(r[col]).scaleb(-3).normalize())


def _col(col: str) -> Getter:
    return lambda r: r[col]


def _flag(col: str) -> Getter:
    return lambda r: None if r[col] is None else ("1" if r[col] else "0")


#: national table → (source canonical table, [(national field, getter)])
LAYOUT: dict[str, tuple[str, list[tuple[str, Getter]]]] = {
    "MDTRT_D": ("encounters", [
        ("mdtrt_id", _col("mdtrt_id")), ("psn_no", _col("psn_no")), ("psn_name", _col("psn_name")),
        ("certno", _col("certno")), ("gend", _col("gend")), ("brdy", _col("brdy")), ("insutype", _col("insutype")),
        ("insu_admdvs", _col("psn_admdvs")), ("fixmedins_code", _col("fixmedins_code")),
        ("fixmedins_name", _col("fixmedins_name")), ("hosp_lv", lambda r: _LEVEL_HOSP_LV.get(r["medins_lv"] or 0)),
        ("fix_blng_admdvs", _col("medins_admdvs")), ("begntime", _col("adm_time")), ("endtime", _col("dscg_time")),
        ("med_type", _col("med_type")), ("adm_dept_codg", _col("dept_code")), ("adm_dept_name", _col("dept_name")),
        ("chfpdr_code", _col("chfpdr_code")), ("dscg_maindiag_code", _col("dscg_maindiag_code")),
        ("dise_no", _col("dise_no")), ("die_date", _col("die_date")), ("dscg_way", _col("dscg_way")),
    ]),
    "SETL_D": ("encounters", [
        ("setl_id", lambda r: r["setl_id"] or f"S{r['mdtrt_id']}"), ("mdtrt_id", _col("mdtrt_id")),
        ("psn_no", _col("psn_no")), ("insutype", _col("insutype")), ("fixmedins_code", _col("fixmedins_code")),
        ("med_type", _col("med_type")), ("setl_time", _col("setl_time")),
        ("medfee_sumamt", _yuan("medfee_sumamt_fen")), ("fund_pay_sumamt", _yuan("fund_pay_fen")),
        ("psn_pay", _yuan("psn_pay_fen")), ("refd_setl_flag", lambda r: "0"), ("vali_flag", lambda r: "1"),
    ]),
    "FEE_LIST_D": ("fee_lines", [
        ("bkkp_sn", _col("line_id")), ("mdtrt_id", _col("mdtrt_id")), ("fee_ocur_time", _col("fee_ocur_time")),
        ("hilist_code", _col("hilist_code")), ("hilist_name", _col("hilist_name")),
        ("med_chrgitm_type", _col("med_chrgitm_type")), ("cnt", _units("cnt_milli")), ("pric", _yuan("pric_fen")),
        ("det_item_fee_sumamt", _yuan("amt_fen")), ("bilg_dept_codg", _col("bilg_dept_code")),
        ("bilg_dr_codg", _col("bilg_dr_code")), ("acord_dept_codg", _col("acord_dept_code")),
        ("spec", _col("spec")), ("prd_days", _col("prd_days")), ("drug_trac_codg", _col("drug_trac_codg")),
        ("trdn_flag", _flag("trdn_flag")), ("init_feedetl_sn", _col("init_line_id")),
        ("drord_bhvr", _col("drord_bhvr")),
        # columns the national table lacks travel under their canonical names (docs/ingest.md)
        ("daily_dose_milli", _col("daily_dose_milli")), ("dose_unit", _col("dose_unit")),
        ("selfpay_flag", _flag("selfpay_flag")), ("refund_flag", _flag("refund_flag")),
        ("unit", _col("unit")),
    ]),
    "SETL_LIST_DIAG_D": ("diagnoses", [
        ("mdtrt_id", _col("mdtrt_id")), ("diag_code", _col("diag_code")), ("diag_name", _col("diag_name")),
        ("maindiag_flag", _flag("maindiag_flag")), ("diag_type", _col("diag_type")),
    ]),
    "SETL_LIST_OPRN_D": ("operations", [
        ("mdtrt_id", _col("mdtrt_id")), ("oprn_oprt_code", _col("oprn_code")), ("oprn_oprt_name", _col("oprn_name")),
        ("main_oprn_flag", _flag("main_oprn_flag")), ("oprn_oprt_date", _col("oprn_time")),
        ("oper_dr_code", _col("oper_dr_code")),
    ]),
}


#: master data as a platform's own query exports it (docs/ingest.md, "platform master data"): no
#: canonical type / level / role columns, an empty 医院等级 for pharmacies, the designation date, the
#: staff title code and the platform's header names; ingest derives the rest
PLATFORM_MASTER: dict[str, tuple[str, list[tuple[str, Getter]]]] = {
    "定点医药机构信息": ("institutions", [
        ("fixmedins_code", _col("fixmedins_code")), ("fixmedins_name", _col("fixmedins_name")),
        ("hosp_lv", _col("hosp_lv")), ("fix_blng_admdvs", _col("admdvs")), ("定点日期", _col("designation_date")),
        ("区域医疗中心", _flag("regional_center_flag")), ("辅导期延长标志", _flag("guidance_extended_flag")),
    ]),
    "医保医师信息": ("staff", [
        ("医保医师代码", _col("staff_code")), ("姓名", _col("staff_name")), ("定点医药机构编号", _col("fixmedins_code")),
        ("科室编码", _col("dept_code")), ("科室名称", _col("dept_name")), ("职称", _col("profttl")),
    ]),
}
MASTER_SHAPES = ("canonical", "platform")


def _fmt(v: Any) -> str:
    if v is None:
        return ""
    if hasattr(v, "isoformat"):
        return str(v.isoformat(sep=" ") if hasattr(v, "hour") else v.isoformat())
    return str(v)


def _encounter_rows(tables: dict[str, pa.Table]) -> Iterator[dict[str, Any]]:
    """Encounters joined with their patient and institution (MDTRT_D carries both)."""
    patients = {r["psn_no"]: r for r in tables["patients"].to_pylist()}
    insts = {r["fixmedins_code"]: r for r in tables["institutions"].to_pylist()}
    for batch in tables["encounters"].to_batches(50_000):
        for r in batch.to_pylist():
            p = patients.get(r["psn_no"], {})
            i = insts.get(r["fixmedins_code"], {})
            yield {**r, "psn_name": p.get("psn_name"), "certno": p.get("certno"), "gend": p.get("gend"),
                   "brdy": p.get("brdy"), "die_date": p.get("die_date"), "fixmedins_name": i.get("fixmedins_name"),
                   "medins_lv": i.get("medins_lv"), "inst_hosp_lv": i.get("hosp_lv")}


def _rows(tables: dict[str, pa.Table], source: str) -> Iterator[dict[str, Any]]:
    if source == "encounters":
        yield from _encounter_rows(tables)
        return
    for batch in tables[source].to_batches(50_000):
        yield from batch.to_pylist()


def _write_layout(tables: dict[str, pa.Table], path: Path, source: str, fields: list[tuple[str, Getter]],
                  encoding: str) -> None:
    with path.open("w", encoding=encoding, newline="") as fh:
        w = csv.writer(fh)
        w.writerow([f for f, _ in fields])
        for r in _rows(tables, source):
            w.writerow([_fmt(g(r)) for _, g in fields])


def export_national(tables: dict[str, pa.Table], out: Path, encoding: str = "gb18030",
                    master: str = "canonical") -> list[Path]:
    """Write the five centre tables plus the master data: patients.csv, and institutions and staff
    either in the canonical layout (``master="canonical"``) or as a platform exports them
    (``"platform"``: PLATFORM_MASTER, with MDTRT_D carrying the institution's own, possibly empty,
    hosp_lv)."""
    if master not in MASTER_SHAPES:
        raise ValueError(f"master shape must be one of {MASTER_SHAPES}: {master!r}")
    out.mkdir(parents=True, exist_ok=True)
    written = []
    platform = master == "platform"
    for name, (source, fields) in LAYOUT.items():
        if platform and name == "MDTRT_D":
            fields = [(f, (lambda r: r["inst_hosp_lv"]) if f == "hosp_lv" else g) for f, g in fields]
        path = out / f"{name}.csv"
        _write_layout(tables, path, source, fields, encoding)
        written.append(path)
    if platform:
        for name, (source, fields) in PLATFORM_MASTER.items():
            if source in tables:
                path = out / f"{name}.csv"
                _write_layout(tables, path, source, fields, encoding)
                written.append(path)
    for name in ("patients",) if platform else ("patients", "institutions", "staff"):
        if name in tables:
            path = out / f"{name}.csv"
            t = tables[name]
            with path.open("w", encoding=encoding, newline="") as fh:
                w = csv.writer(fh)
                w.writerow(t.column_names)
                for r in t.to_pylist():
                    w.writerow([_fmt(v) if not isinstance(v, bool) else ("1" if v else "0") for v in r.values()])
            written.append(path)
    return written
