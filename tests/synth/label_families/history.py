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


MIN_MINUTES = 60  # card_two_places default


def _minute(ts: Any) -> int:
    return ts.toordinal() * 1440 + ts.hour * 60 + ts.minute


def _closest_gap(w: Any, e: dict[str, Any]) -> int:
    """Minutes since the latest earlier settlement of the same card at another institution in another region."""
    key = (e["setl_time"], e["mdtrt_id"])
    gaps = [_minute(e["setl_time"]) - _minute(o["setl_time"]) for o in w.by_psn[e["psn_no"]]
            if o["setl_time"] is not None and (o["setl_time"], o["mdtrt_id"]) < key
            and o["fixmedins_code"] != e["fixmedins_code"] and o["medins_admdvs"] != e["medins_admdvs"]]
    assert gaps, e["mdtrt_id"]
    return min(gaps)


@label_check("card_two_places")
def _card(w: Any, lab: dict[str, Any]) -> None:
    e = w.enc[lab["mdtrt_id"]]
    assert lab["line_id"] is None and e["medins_admdvs"]
    assert _closest_gap(w, e) < MIN_MINUTES
    assert lab["amount_fen"] == e["fund_pay_fen"]


@label_offset("card_two_places")
def _card_offset(w: Any, lab: dict[str, Any]) -> int:
    """The rule fires below the threshold: 60 − gap (a gap of 59 is 1 over, 60 is the near-miss)."""
    return MIN_MINUTES - _closest_gap(w, w.enc[lab["mdtrt_id"]])
