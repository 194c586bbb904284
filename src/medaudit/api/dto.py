"""Canonical rows → a 3101/3102 request body, the inverse of :mod:`medaudit.api.mapping`.

Used to show a HIS integrator a real request built from real (synthetic) claims (`medaudit demo`),
and by the tests that check the real-time path against batch on the same encounters.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pyarrow as pa

_LEVEL_CODE = {3: "12", 2: "13", 1: "14", 0: "11"}


def _yuan(fen: int | None) -> str | None:
    return None if fen is None else str(Decimal(fen).scaleb(-2))


def _units(milli: int | None) -> str | None:
    return None if milli is None else str(Decimal(milli).scaleb(-3).normalize())


def _when(v: Any) -> str | None:
    if v is None:
        return None
    if isinstance(v, dt.datetime):
        return v.strftime("%Y-%m-%d %H:%M:%S")
    return v.isoformat() if isinstance(v, dt.date) else str(v)


def _rows(table: pa.Table, column: str, values: set[str]) -> list[dict[str, Any]]:
    import pyarrow.compute as pc

    mask = pc.is_in(table.column(column), value_set=pa.array(sorted(values), pa.string()))
    return table.filter(mask).to_pylist()


def request_for(tables: dict[str, pa.Table], mdtrt_id: str, history: list[str] | None = None,
                trig_scen: str = "2", task_id: str | None = None) -> dict[str, Any]:
    """A 3101 ``data`` object for encounter ``mdtrt_id`` (current) plus ``history`` encounters."""
    ids = {mdtrt_id, *(history or [])}
    encs = {e["mdtrt_id"]: e for e in _rows(tables["encounters"], "mdtrt_id", ids)}
    current = encs[mdtrt_id]
    patient = _rows(tables["patients"], "psn_no", {current["psn_no"]})[0]
    insts = {i["fixmedins_code"]: i for i in tables["institutions"].to_pylist()}
    lines = _rows(tables["fee_lines"], "mdtrt_id", ids)
    diags = _rows(tables["diagnoses"], "mdtrt_id", ids)
    oprns = _rows(tables["operations"], "mdtrt_id", ids)
    enc_dtos = []
    for mid in [*(history or []), mdtrt_id]:
        e = encs[mid]
        inst = insts.get(e["fixmedins_code"], {})
        flag = "1" if mid == mdtrt_id else "0"
        enc_dtos.append({
            "mdtrt_id": mid, "medins_id": e["fixmedins_code"], "medins_name": inst.get("fixmedins_name"),
            "medins_admdvs": e["medins_admdvs"], "medins_type": "2" if inst.get("fixmedins_type") == "pharmacy" else "1",
            "medins_lv": _LEVEL_CODE.get(inst.get("medins_lv") or 0), "adm_date": _when(e["adm_time"]),
            "dscg_date": _when(e["dscg_time"]), "setl_date": _when(e["setl_time"]),
            "dscg_main_dise_codg": e["dscg_maindiag_code"], "med_type": e["med_type"], "insutype": e["insutype"],
            "adm_dept_codg": e["dept_code"], "adm_dept_name": e["dept_name"], "dr_codg": e["chfpdr_code"],
            "dise_no": e["dise_no"], "dscg_way": e["dscg_way"],
            "medfee_sumamt": _yuan(e["medfee_sumamt_fen"]), "hifp_payamt": _yuan(e["fund_pay_fen"]),
            "ownpay_amt": _yuan(e["psn_pay_fen"]), "selfpay_amt": "0",
            "fsi_diagnose_dtos": [
                {"dise_codg": d["diag_code"], "dise_name": d["diag_name"], "maindise_flag": "1" if d["maindiag_flag"] else "0",
                 "inout_dise_type": d["diag_type"]} for d in diags if d["mdtrt_id"] == mid],
            "fsi_order_dtos": [
                {"rx_id": ln["line_id"], "hilist_code": ln["hilist_code"], "hilist_name": ln["hilist_name"],
                 "chrg_type": ln["med_chrgitm_type"], "cnt": _units(ln["cnt_milli"]), "pric": _yuan(ln["pric_fen"]),
                 "sumamt": _yuan(ln["amt_fen"]), "spec_unt": ln["unit"], "drord_dr_codg": ln["bilg_dr_code"],
                 "drord_dept_codg": ln["bilg_dept_code"], "drord_begn_date": _when(ln["fee_ocur_time"]),
                 "fee_ocur_time": _when(ln["fee_ocur_time"]), "prd_days": ln["prd_days"],
                 "drug_trac_codg": ln["drug_trac_codg"], "trdn_flag": None if ln["trdn_flag"] is None else int(ln["trdn_flag"]),
                 "drord_bhvr": ln["drord_bhvr"], "self_paying_flag": "1" if ln["selfpay_flag"] else "0",
                 "long_drord_flag": "0", "curr_drord_flag": flag}
                for ln in lines if ln["mdtrt_id"] == mid and not ln["refund_flag"]],
            "fsi_operation_dtos": [
                {"setl_list_oprn_id": f"{mid}-{i}", "oprn_code": o["oprn_code"], "oprn_name": o["oprn_name"],
                 "main_oprn_flag": "1" if o["main_oprn_flag"] else "0", "oprn_date": _when(o["oprn_time"]),
                 "oper_dr_code": o["oper_dr_code"]} for i, o in enumerate(x for x in oprns if x["mdtrt_id"] == mid)],
        })
    return {
        "syscode": "MEDAUDIT-DEMO", "task_id": task_id or f"T-{mdtrt_id}", "trig_scen": trig_scen,
        "patient_dtos": [{
            "patn_id": patient["psn_no"], "patn_name": patient["psn_name"] or "", "gend": patient["gend"],
            "brdy": _when(patient["brdy"]), "poolarea": patient["insu_admdvs"], "curr_mdtrt_id": mdtrt_id,
            "fsi_encounter_dtos": enc_dtos,
        }],
    }
