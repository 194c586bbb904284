"""Injection schemes of the charging-rule family: 周期超频次 (B2), 超单次计价数量 (B4), with near misses.

The items with a cycle limit are kept out of clean templates (``CLEAN_ITEM_EXCLUSIONS``): visits are
scheduled on random days, so a clean template could not know a patient's other visits. The schemes
then bill them on purpose, after checking the patient's whole history of that item.
"""

from __future__ import annotations

from medaudit.synth.boundary import _edge, _near, visits_out
from medaudit.synth.checks.charging_freq import charge_limits, cycle_limits
from medaudit.synth.kb import KB, Item
from medaudit.synth.schemes import _item_x, _new_time, _pick, _try, clinical, scheme
from medaudit.synth.templates import CLEAN_ITEM_EXCLUSIONS, VT
from medaudit.synth.world import DAY, World, XLine


def _has_cycle(kb: KB, it: Item) -> bool:
    return it.prefix in cycle_limits(kb)


CLEAN_ITEM_EXCLUSIONS.append(_has_cycle)


def _history_days(w: World, psn: int, it: Item) -> list[int]:
    """Days on which the patient already has a line of ``it`` (any encounter, injected lines included)."""
    return [ln.day for e in w.patient_encounters(psn) for ln in w.lines_of(e)
            if ln.item is not None and ln.item.prefix == it.prefix]


def _slot(w: World, e: int, day: int | None = None) -> int | None:
    """A fee time in encounter ``e`` (on ``day`` when given: None if the encounter has no such day)."""
    if w.enc["vt"][e] == VT["inpatient"]:
        d0, d1 = w.span(e)
        if day is None:
            return _new_time(w, e)
        return day * DAY + 17 * 3600 + int(w.rng.integers(0, 3600)) if d0 <= day < d1 else None
    t = w.end_of_visit(e) + 60
    return t if day is None or t // DAY == day else None


def _earlier(w: World, e: int, t: int, gap: int) -> list[tuple[int, int]]:
    """(encounter, fee time) options before ``t``: ``gap`` days before it (0 < gap) or, with ``gap`` < 0,
    0..−gap−1 days before it (the latest such day of each encounter): the same stay, then the
    patient's other free visits with a doctor."""
    day = t // DAY
    psn = int(w.enc["psn"][e])
    out: list[tuple[int, int]] = []
    cands = [e] + [o for o in w.patient_encounters(psn) if o != e and not w.used[o]
                   and w.enc["vt"][o] != VT["pharmacy"]]
    for o in cands:
        days = [day - gap] if gap > 0 else list(range(day, day + gap, -1))
        for d in days:
            t0 = _slot(w, o, d)
            if t0 is not None and t0 < t:
                out.append((o, t0))
                break
    return out


def _inject_cycle(w: World, e: int, near: bool) -> bool:
    lim = cycle_limits(w.kb)
    pool = [it for it in w.kb.items if it.prefix in lim]
    psn = int(w.enc["psn"][e])
    for it in _pick(w, pool, 3):
        n, days = lim[it.prefix]
        t = _slot(w, e)
        if t is None:
            continue
        # violation: the N earlier units inside the window (1..D−1 days before); near miss: exactly D days before
        opts = _earlier(w, e, t, days if near else -days)
        if not opts:
            continue
        e0, t0 = opts[int(w.rng.integers(len(opts)))]
        lo, hi = t0 // DAY - days, t // DAY + days
        if any(lo <= d <= hi for d in _history_days(w, psn, it)):
            continue
        x0, x = _item_x(w, e0, it, t0, n), _item_x(w, e, it, t)
        note = f"{it.name}每{days}天限{n}次，{t // DAY - t0 // DAY}天前已收{n}次"
        if e0 == e:
            if not _try(w, e, [x0, x], [], [], note):
                continue
        else:
            if not _try(w, e0, [x0], [], [], note):
                continue
            if not _try(w, e, [x], [], [], note):  # e0 keeps its N units: at the limit, no finding
                continue
        gi = w.n_clean + len(w.xlines) - 1
        if near:
            w.label("item_cycle_freq", e, gi, 0, note=note + "（恰在周期外，不应报）", kind="near_miss")
        else:  # the window holds N + 1 units: this line's one unit is the excess
            w.label("item_cycle_freq", e, gi, x.cnt * x.pric // 1000, note=note)
        return True
    return False


@scheme("item_cycle_freq", "周期超频次", rate=0.002, phase="line", eligible=clinical)
def _item_cycle_freq(w: World, e: int) -> bool:
    return _inject_cycle(w, e, near=False)


@scheme("near_item_cycle_freq", "恰在周期外不超频次(近似)", rate=0.002, phase="line", eligible=clinical)
def _near_item_cycle_freq(w: World, e: int) -> bool:
    return _inject_cycle(w, e, near=True)


def _units_line(w: World, e: int, off: int) -> tuple[XLine, int, str] | None:
    """A line of an item with a per-charge limit M at M + ``off`` units (amount: the excess × price)."""
    lim = charge_limits(w.kb)
    pool = [it for it in w.kb.items if it.prefix in lim]
    if not pool:
        return None
    it = _pick(w, pool, 1)[0]
    m = lim[it.prefix]
    if m + off < 1:
        return None
    x = _item_x(w, e, it, _new_time(w, e), m + off)
    return x, max(off, 0) * x.pric, f"{it.name}单次计价{m + off}{it.unit}，限{m}{it.unit}（{off:+d}）"


@scheme("item_over_units", "超单次计价数量", rate=0.002, phase="line", eligible=clinical)
def _item_over_units(w: World, e: int) -> bool:
    for _ in range(3):
        got = _units_line(w, e, 1 + int(w.rng.integers(0, 3)))
        if got is not None and _try(w, e, [got[0]], [("item_over_units", 0)], [got[1]], got[2]):
            return True
    return False


scheme("near_item_over_units", "单次计价数量恰为上限(近似)", rate=0.002, phase="line",
       eligible=visits_out)(_near("item_over_units", _units_line))
scheme("edge_item_over_units", "单次计价数量刚超上限", rate=0.002, phase="line",
       eligible=visits_out)(_edge("item_over_units", _units_line))
