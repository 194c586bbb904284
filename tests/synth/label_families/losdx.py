"""Independent label check of 住院天数异常（按主要诊断）, read from the generated encounters table."""

from __future__ import annotations

from typing import Any

from . import label_check, label_offset

PERCENTILE, MIN_GROUP, FLOOR = 95, 20, 30


def _threshold(w: Any, e: dict[str, Any]) -> tuple[int, int] | None:
    """(group size, P95 days) of the stay's main-diagnosis group (full code, else 3-character
    category), None when the group has fewer than MIN_GROUP discharged stays."""
    def los(x: dict[str, Any]) -> int:
        return int((x["dscg_time"].date() - x["adm_time"].date()).days)

    code = e["dscg_maindiag_code"]
    pool = [x for x in w.enc.values() if x["visit_type"] == "inpatient" and x["dscg_time"] is not None
            and (x["dscg_maindiag_code"] or "").strip()]
    same = [los(x) for x in pool if x["dscg_maindiag_code"] == code]
    if len(same) < MIN_GROUP:
        same = [los(x) for x in pool if x["dscg_maindiag_code"][:3] == code[:3]]
    if len(same) < MIN_GROUP:
        return None
    rank = (PERCENTILE * len(same) + 99) // 100  # ⌈95 × n ÷ 100⌉
    return len(same), sorted(same)[rank - 1]




@label_check("los_by_diagnosis")
def _check(w: Any, lab: dict[str, Any]) -> None:
    e = w.enc[lab["mdtrt_id"]]
    assert e["visit_type"] == "inpatient" and lab["line_id"] is None and e["dscg_time"] is not None
    th = _threshold(w, e)
    assert th is not None, lab
    los = (e["dscg_time"].date() - e["adm_time"].date()).days
    assert los > th[1] and los > FLOOR, (lab, los, th)
    assert lab["amount_fen"] == e["fund_pay_fen"] * (los - th[1]) // los


@label_offset("los_by_diagnosis")
def _offset(w: Any, lab: dict[str, Any]) -> int:
    e = w.enc[lab["mdtrt_id"]]
    th = _threshold(w, e)
    assert th is not None
    return (e["dscg_time"].date() - e["adm_time"].date()).days - max(th[1], FLOOR)
