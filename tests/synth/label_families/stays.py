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
