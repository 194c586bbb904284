"""Injection schemes of the person-level templates: 医保支付资格暂停/终止人员开方 (``suspended_staff``,
with its near-miss and boundary at the suspension's last day) and 诊断与性别不符 (``diagnosis_gender``).

The doctors with a 暂停/终止 status are made by :func:`medaudit.synth.population.add_status_staff`
and never meet a clean encounter; these schemes bill one plain service line in their name, checked by
the reference checker (with the staff periods in ``Ctx.attrs``) to show exactly the labelled finding.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .checker import findings
from .checks.persons import DR_CODE, STAFF_STATUS, Period
from .kb import Item
from .population import status_doctors
from .schemes import _amt, _as_line, _free, _item_x, _pick, scheme
from .templates import VT
from .world import DAY, World, XLine

VTYPE = "suspended_staff"


def _periods(w: World) -> dict[str, list[Period]]:
    """The status doctors' periods, keyed by staff code (the checker's view of the master data)."""
    s = w.staff
    return {s.code[j]: [(s.qual[j], s.qual_begin[j], s.qual_end[j] or None)] for j, q in enumerate(s.qual) if q}


def _days(w: World, e: int) -> list[int]:
    """Days a line may be billed on: the visit day, or a stay's days before the discharge day."""
    d0, d1 = w.span(e)
    return list(range(d0, max(d1, d0 + 1)))


def _status_visits(w: World) -> np.ndarray:
    """Outpatient, chronic and inpatient visits (emergencies are exempt) at an institution with a
    status doctor."""
    e = _free(w, ("outpatient", "chronic", "inpatient"))
    has = np.zeros(len(w.inst.code), dtype=bool)
    for j, q in enumerate(w.staff.qual):
        if q:
            has[int(w.staff.inst[j])] = True
    return e[has[w.col("inst")[e]]]


def _plain_items(w: World) -> list[Item]:
    """Service items no other rule restricts (no sex, age, indication or department limit, not billed by
    the day or hour)."""
    return [it for it in w.kb.items if it.gender is None and it.age_min is None and it.age_max is None
            and not it.indications and not it.depts and it.unit not in ("日", "小时") and it.category != "01"]


def _staff_line(w: World, e: int, doctor: int, day: int, fire: bool, note: str, kind: str) -> bool:
    """Bill one plain item on ``day`` in ``doctor``'s name; commit if the checker then finds exactly
    the suspended_staff finding (``fire``) or nothing."""
    for it in _pick(w, _plain_items(w), 3):
        if int(w.enc["vt"][e]) == VT["inpatient"]:
            t = day * DAY + 16 * 3600 + int(w.rng.integers(0, 3600))
        else:
            t = w.end_of_visit(e) + 60
        if t // DAY != day:
            return False
        x: XLine = _item_x(w, e, it, t)
        x.doctor = doctor
        base = w.n_clean + len(w.xlines)
        ln = _as_line(w, x, base)
        ln.attrs[DR_CODE] = w.staff.code[doctor]
        ctx = w.ctx(e)
        ctx.attrs[STAFF_STATUS] = _periods(w)
        if findings(w.kb, ctx, [*w.lines_of(e), ln]) != ({(VTYPE, base)} if fire else set()):
            continue
        gi = w.add_line(x)
        w.used[e] = True
        w.label(VTYPE, e, gi, _amt(x) if fire else 0, note=note.format(name=it.name), kind=kind)
        return True
    return False


def _inject(where: str) -> Callable[[World, int], bool]:
    """A scheme billing a status doctor's line: ``inside`` any day of the period, ``last`` on a
    suspension's last day (boundary), ``after`` the day after it (near-miss)."""
    def inject(w: World, e: int) -> bool:
        s = w.staff
        opts: list[tuple[int, int]] = []
        for j in status_doctors(s, int(w.enc["inst"][e])):
            b, end = s.qual_begin[j], s.qual_end[j]
            for d in _days(w, e):
                if where == "inside" and b <= d and (not end or d <= end) \
                        or where == "last" and end and d == end or where == "after" and end and d == end + 1:
                    opts.append((j, d))
        for j, d in _pick(w, opts, 2):
            what = f"开单医师{s.code[j]}医保支付资格{s.qual[j]}"
            if where == "after":
                ok = _staff_line(w, e, j, d, False, what + "结束次日开具{name}（不应报）", "near_miss")
            else:
                ok = _staff_line(w, e, j, d, True, what + ("期间最后一日" if where == "last" else "期间") + "开具{name}",
                                 "boundary" if where == "last" else "violation")
            if ok:
                return True
        return False
    return inject


scheme(VTYPE, "医保支付资格暂停/终止人员开方", rate=0.003, phase="line", eligible=_status_visits)(_inject("inside"))
scheme(f"edge_{VTYPE}", "暂停期最后一日开方(刚在期内)", rate=0.003, phase="line", eligible=_status_visits)(_inject("last"))
scheme(f"near_{VTYPE}", "暂停期结束次日开方(近似)", rate=0.003, phase="line", eligible=_status_visits)(_inject("after"))
