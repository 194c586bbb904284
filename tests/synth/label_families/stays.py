"""Independent label checks of the stay-profile types, read from the generated tables."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from . import label_check, label_offset

MAX_IDLE_DAYS = 3


def _idle_days(w: Any, e: dict[str, Any]) -> dict[Any, int]:
    """Fee date → non-self-paid amount, for the stay's dates whose every line is a bed (01) or 诊察 (02) charge."""
    adm, dscg = e["adm_time"].date(), e["dscg_time"].date()
    days: dict[Any, list[dict[str, Any]]] = defaultdict(list)
    for ln in w.by_enc[e["mdtrt_id"]]:
        d = ln["fee_ocur_time"].date()
        if adm <= d <= dscg:
            days[d].append(ln)
    return {d: sum(x["amt_fen"] for x in rows if not x["selfpay_flag"]) for d, rows in days.items()
            if all(x["med_chrgitm_type"] in ("01", "02") for x in rows)}


@label_check("idle_bed")
def _check_idle_bed(w: Any, lab: dict[str, Any]) -> None:
    e = w.enc[lab["mdtrt_id"]]
    assert e["visit_type"] == "inpatient" and lab["line_id"] is None
    idle = _idle_days(w, e)
    assert len(idle) > MAX_IDLE_DAYS, (lab, sorted(idle))
    assert lab["amount_fen"] == sum(idle.values())


@label_offset("idle_bed")
def _offset_idle_bed(w: Any, lab: dict[str, Any]) -> int:
    return len(_idle_days(w, w.enc[lab["mdtrt_id"]])) - MAX_IDLE_DAYS


MIN_COHORT = 5


def _cohort_size(w: Any, e: dict[str, Any]) -> int:
    def key(x: dict[str, Any]) -> tuple[Any, ...]:
        return (x["fixmedins_code"], x["adm_time"].date(), x["dscg_time"].date())
    return sum(1 for x in w.enc.values() if x["visit_type"] == "inpatient" and x["dscg_time"] is not None
               and key(x) == key(e))


@label_check("cohort_admission")
def _check_cohort(w: Any, lab: dict[str, Any]) -> None:
    e = w.enc[lab["mdtrt_id"]]
    assert e["visit_type"] == "inpatient" and lab["line_id"] is None
    assert (e["dscg_time"].date() - e["adm_time"].date()).days >= 1
    assert _cohort_size(w, e) >= MIN_COHORT
    assert lab["amount_fen"] == e["fund_pay_fen"]


@label_offset("cohort_admission")
def _offset_cohort(w: Any, lab: dict[str, Any]) -> int:
    """Cohort size − 4 (the largest size that does not fire): a near-miss of 4 is 0, 5 is 1."""
    return _cohort_size(w, w.enc[lab["mdtrt_id"]]) - (MIN_COHORT - 1)
