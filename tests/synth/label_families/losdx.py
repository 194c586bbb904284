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


#: 体检式住院 national instance: ≥ 4 days, ≥ 6 distinct examinations, ≥ 60 % examinations, ≤ 5 % treatment
CHECKUP_LOS, CHECKUP_EXAMS, CHECKUP_EXAM_PCT, CHECKUP_TREAT_PCT = 4, 6, 60, 5


def _exam_items(w: Any, e: dict[str, Any]) -> int:
    return len({ln["hilist_code"] for ln in w.by_enc[e["mdtrt_id"]] if ln["med_chrgitm_type"] in ("03", "04")})


@label_check("checkup_admission")
def _check_checkup(w: Any, lab: dict[str, Any]) -> None:
    e = w.enc[lab["mdtrt_id"]]
    assert e["visit_type"] == "inpatient" and lab["line_id"] is None and e["dscg_time"] is not None
    assert (e["dscg_time"].date() - e["adm_time"].date()).days >= CHECKUP_LOS
    lines = w.by_enc[e["mdtrt_id"]]
    total = sum(ln["amt_fen"] for ln in lines)
    exam = sum(ln["amt_fen"] for ln in lines if ln["med_chrgitm_type"] in ("03", "04"))
    treat = sum(ln["amt_fen"] for ln in lines if ln["med_chrgitm_type"] in ("05", "06", "09", "10", "11"))
    assert _exam_items(w, e) >= CHECKUP_EXAMS and total > 0
    assert exam * 100 >= CHECKUP_EXAM_PCT * total and treat * 100 <= CHECKUP_TREAT_PCT * total
    assert lab["amount_fen"] == e["fund_pay_fen"]


@label_offset("checkup_admission")
def _offset_checkup(w: Any, lab: dict[str, Any]) -> int:
    """Distinct examinations − 5 (the most that does not fire): a near-miss of 5 is 0, 6 is 1."""
    return _exam_items(w, w.enc[lab["mdtrt_id"]]) - (CHECKUP_EXAMS - 1)
