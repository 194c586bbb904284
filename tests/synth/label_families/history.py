"""Independent label checks of the cross-encounter history rules, from the written tables."""

from __future__ import annotations

from typing import Any

from . import label_check, label_offset

MAX_OVERLAP_DAYS = 7  # repeat_prescription default


def _take_home(w: Any, ln: dict[str, Any]) -> bool:
    d = w.drug(ln)
    e = w.enc[ln["mdtrt_id"]]
    return bool(d and d["ingredient"] and ln["prd_days"] and ln["prd_days"] > 0
                and (e["visit_type"] != "inpatient" or ln["drord_bhvr"] == "1"))


def _days_left(w: Any, ln: dict[str, Any]) -> int:
    """Days of the same ingredient still covered at ln's fee day by the patient's earlier dispensings elsewhere."""
    e = w.enc[ln["mdtrt_id"]]
    ing = w.drug(ln)["ingredient"]
    day = ln["fee_ocur_time"].date()
    key = (ln["fee_ocur_time"], ln["line_id"])
    total = 0
    for other in w.by_psn[e["psn_no"]]:
        if other["mdtrt_id"] == e["mdtrt_id"]:
            continue
        for o in w.by_enc[other["mdtrt_id"]]:
            if _take_home(w, o) and w.drug(o)["ingredient"] == ing and (o["fee_ocur_time"], o["line_id"]) < key:
                total += max((o["fee_ocur_time"].date() - day).days + o["prd_days"], 0)
    return total


@label_check("repeat_prescription")
def _repeat(w: Any, lab: dict[str, Any]) -> None:
    ln = w.lines[lab["line_id"]]
    assert ln["mdtrt_id"] == lab["mdtrt_id"] and _take_home(w, ln) and not ln["selfpay_flag"]
    left = _days_left(w, ln)
    assert left > MAX_OVERLAP_DAYS, (lab, left)
    excess = min(ln["prd_days"], left - MAX_OVERLAP_DAYS)
    assert lab["amount_fen"] == ln["amt_fen"] * excess // ln["prd_days"], (lab, ln["amt_fen"], excess)


@label_offset("repeat_prescription")
def _repeat_offset(w: Any, lab: dict[str, Any]) -> int:
    return _days_left(w, w.lines[lab["line_id"]]) - MAX_OVERLAP_DAYS
