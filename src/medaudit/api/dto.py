"""Canonical rows → a 3101/3102 request body, the inverse of :mod:`medaudit.api.mapping`.

Used to show a HIS integrator a real request built from real (synthetic) claims (`medaudit demo`),
and by the tests that check the real-time path against batch on the same encounters.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from medaudit.export import national_text
from medaudit.schema import TABLES
from medaudit.schema.national import dto_columns, interface_field

_LEVEL_CODE = {3: "12", 2: "13", 1: "14", 0: "11"}


ENCOUNTER_COLUMNS, ORDER_COLUMNS, DIAGNOSIS_COLUMNS, OPERATION_COLUMNS = (
    tuple(c.name for _, c in dto_columns(d, own=True)) for d in ("EncounterDTO", "OrderDTO", "DiagnoseDTO", "OperationDTO"))
_TIME, _TIME_ALSO = TABLES["fee_lines"].column("fee_ocur_time").interface[:2]


def _dto(table: str, row: dict[str, Any], columns: tuple[str, ...]) -> dict[str, Any]:
    """The 3101 fields of ``columns`` (names from schema.national, values as the national files write
    them, None where unknown)."""
    t = TABLES[table]
    return {interface_field(table, c): national_text(t.column(c), row[c]) if row[c] is not None else None
            for c in columns}


def _order(line: dict[str, Any], current: str) -> dict[str, Any]:
    """One fsi_order_dto; 3101 sends the charge time twice (医嘱开始时间 too: the second interface name)."""
    o = _dto("fee_lines", line, ORDER_COLUMNS)
    return {**o, _TIME_ALSO: o[_TIME], "long_drord_flag": "0", "curr_drord_flag": current}


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
            **_dto("encounters", e, ENCOUNTER_COLUMNS),
            interface_field("institutions", "fixmedins_name"): inst.get("fixmedins_name"),
            interface_field("institutions", "fixmedins_type"): "2" if inst.get("fixmedins_type") == "pharmacy" else "1",
            interface_field("institutions", "hosp_lv"): _LEVEL_CODE.get(inst.get("medins_lv") or 0),
            "selfpay_amt": "0",
            "fsi_diagnose_dtos": [_dto("diagnoses", d, DIAGNOSIS_COLUMNS) for d in diags if d["mdtrt_id"] == mid],
            "fsi_order_dtos": [
                _order(ln, flag) for ln in lines if ln["mdtrt_id"] == mid and not ln["refund_flag"]],
            "fsi_operation_dtos": [
                {"setl_list_oprn_id": f"{mid}-{i}", **_dto("operations", o, OPERATION_COLUMNS)}
                for i, o in enumerate(x for x in oprns if x["mdtrt_id"] == mid)],
        })
    p = _dto("patients", patient, tuple(c.name for _, c in dto_columns("PatientDTO")))
    return {
        "syscode": "MEDAUDIT-DEMO", "task_id": task_id or f"T-{mdtrt_id}", "trig_scen": trig_scen,
        "patient_dtos": [{
            **p, interface_field("patients", "psn_name"): p[interface_field("patients", "psn_name")] or "",
            "curr_mdtrt_id": mdtrt_id, "fsi_encounter_dtos": enc_dtos,
        }],
    }
