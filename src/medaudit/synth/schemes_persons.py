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
from .checks.persons import DR_CODE, STAFF_STATUS, Period, age_conflict, diag_age_bounds, diag_sex
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
_CACHE: dict[tuple[str, int], tuple[object, frozenset[tuple[int, int]]]] = {}


def _pairs(w: World, what: str) -> frozenset[tuple[int, int]]:
    """(template, diagnosis alternative) pairs with a diagnosis specific to one sex (``sex``) or to an
    age range (``age``), cached per region."""
    key = (what, id(w.templates))
    hit = _CACHE.get(key)
    if hit is None or hit[0] is not w.templates:
        test = (lambda c: diag_sex(w.kb, c) is not None) if what == "sex" else (lambda c: diag_age_bounds(w.kb, c) is not None)
        pairs = frozenset((t.idx, a) for t in w.templates for a, alt in enumerate(t.diag_alts) if any(map(test, alt)))
        hit = _CACHE[key] = (w.templates, pairs)
    return hit[1]


def _outpatient(w: World) -> np.ndarray:
    """Outpatient visits: only the few whose diagnoses are specific to a sex or an age range can carry
    the injection (the rate is a fraction of all outpatient visits, so small regions still get some)."""
    return _free(w, ("outpatient",))


def _move(w: World, e: int, holders: np.ndarray, vtype: str, note: str) -> bool:
    """Bill visit ``e`` to the card of one of ``holders`` (local, alive, no other encounter that day):
    commit when the visit then shows exactly the ``vtype`` finding — the encounter-local checker for
    diagnosis_gender, the checker's age statement (and no local finding) for diagnosis_age."""
    own, day = int(w.enc["psn"][e]), int(w.enc["day"][e])
    d0, d1 = w.span(e)
    # a stay keeps the scheduler's distance to the holder's other encounters (no concurrent stay, no
    # readmission, no visit inside it); a visit only needs a free day
    margin = 31 if int(w.enc["vt"][e]) == VT["inpatient"] else 0
    p = w.pat
    ok = holders & ~p.remote & ((p.die == 0) | (p.die > d1 + margin))
    for holder in _pick(w, np.flatnonzero(ok).tolist(), 12):
        if holder == own or w.busy(holder, d0 - margin, d1 + margin):
            continue
        w.enc["psn"][e] = holder
        w._by_psn = None
        ctx = w.ctx(e)
        local = findings(w.kb, ctx, w.lines_of(e))
        fits = local == {(vtype, -1)} if vtype == "diagnosis_gender" else not local and age_conflict(w.kb, ctx, day)
        if fits:
            w.used[e] = True
            w.label(vtype, e, basis="fund_pay", note=note)
            return True
        w.enc["psn"][e] = own
        w._by_psn = None
    return False


@scheme("diagnosis_gender", "诊断与患者性别不符（冒名就医）", rate=0.002, phase="line", eligible=_outpatient)
def _diagnosis_gender(w: World, e: int) -> bool:
    """The visit of a patient with a diagnosis specific to his or her sex, billed to the card of a
    person of the other sex of an age the visit's template fits (冒名就医)."""
    if (int(w.enc["tmpl"][e]), int(w.enc["alt"][e])) not in _pairs(w, "sex"):
        return False
    own, day = int(w.enc["psn"][e]), int(w.enc["day"][e])
    t = w.templates[int(w.enc["tmpl"][e])]
    p = w.pat
    age = ages_at(p.brdy, np.full(len(p.brdy), day))
    other = (p.gend != p.gend[own]) & (age >= t.age_lo) & (age < t.age_hi)
    return _move(w, e, other, "diagnosis_gender", "医保凭证持有人与就诊患者性别不符（性别特异诊断，冒名就医）")


def _visits_and_stays(w: World) -> np.ndarray:
    """Outpatient visits and stays (age-specific diagnoses are mostly inpatient: 分娩, 新生儿黄疸)."""
    return _free(w, ("outpatient", "inpatient"))


@scheme("diagnosis_age", "诊断与患者年龄不符（冒名就医）", rate=0.002, phase="line", eligible=_visits_and_stays)
def _diagnosis_age(w: World, e: int) -> bool:
    """The visit or stay of a patient with an age-specific diagnosis (妊娠监督, 分娩, 新生儿黄疸), billed
    to the card of a person of the same sex whose age is outside the diagnosis's range."""
    if (int(w.enc["tmpl"][e]), int(w.enc["alt"][e])) not in _pairs(w, "age"):
        return False
    own, day = int(w.enc["psn"][e]), int(w.enc["day"][e])
    p = w.pat
    age = ages_at(p.brdy, np.full(len(p.brdy), day))
    bounds = [b for c in w.ctx(e).diags if (b := diag_age_bounds(w.kb, c)) is not None]
    outside = np.zeros(len(age), dtype=bool)
    for lo, hi in bounds:
        outside |= (age < lo) if lo is not None else False
        outside |= (age >= hi) if hi is not None else False
    return _move(w, e, (p.gend == p.gend[own]) & outside, "diagnosis_age",
                 "医保凭证持有人年龄与就诊诊断不符（年龄特异诊断，冒名就医）")
