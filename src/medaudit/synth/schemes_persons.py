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
from .checks.persons import DR_CODE, STAFF_STATUS, Period, diag_sex
from .kb import Item
from .population import ages_at, status_doctors
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


# -- 诊断与性别不符 (冒名就医): the visit of a patient with a sex-specific diagnosis billed to the card of
# a person of the other sex ----------------------------------------------------------------------
_SEXED: dict[int, tuple[object, frozenset[tuple[int, int]]]] = {}


def _sexed(w: World) -> frozenset[tuple[int, int]]:
    """(template, diagnosis alternative) pairs with a diagnosis specific to one sex (cached per region)."""
    hit = _SEXED.get(id(w.templates))
    if hit is None or hit[0] is not w.templates:
        pairs = frozenset((t.idx, a) for t in w.templates for a, alt in enumerate(t.diag_alts)
                          if any(diag_sex(w.kb, c) for c in alt))
        hit = _SEXED[id(w.templates)] = (w.templates, pairs)
    return hit[1]


def _outpatient(w: World) -> np.ndarray:
    """Outpatient visits: only the few whose diagnoses are specific to the patient's sex can carry the
    injection (the rate is a fraction of all outpatient visits, so small regions still get some)."""
    return _free(w, ("outpatient",))


@scheme("diagnosis_gender", "诊断与患者性别不符（冒名就医）", rate=0.002, phase="line", eligible=_outpatient)
def _diagnosis_gender(w: World, e: int) -> bool:
    """Move the visit to a card holder of the other sex, of an age the visit's template fits, local,
    alive and with no other encounter that day; the checker must then find only diagnosis_gender."""
    if (int(w.enc["tmpl"][e]), int(w.enc["alt"][e])) not in _sexed(w):
        return False
    own, day = int(w.enc["psn"][e]), int(w.enc["day"][e])
    t = w.templates[int(w.enc["tmpl"][e])]
    p = w.pat
    age = ages_at(p.brdy, np.full(len(p.brdy), day))
    ok = np.flatnonzero((p.gend != p.gend[own]) & ~p.remote & ((p.die == 0) | (p.die > day))
                        & (age >= t.age_lo) & (age < t.age_hi))
    for holder in _pick(w, ok.tolist(), 4):
        if w.busy(holder, day, day):
            continue
        w.enc["psn"][e] = holder
        w._by_psn = None
        if findings(w.kb, w.ctx(e), w.lines_of(e)) == {("diagnosis_gender", -1)}:
            w.used[e] = True
            sex = "男" if int(p.gend[holder]) == 1 else "女"
            w.label("diagnosis_gender", e, basis="fund_pay", note=f"{sex}性参保人的医保凭证用于异性患者就诊（性别特异诊断）")
            return True
        w.enc["psn"][e] = own
        w._by_psn = None
    return False
