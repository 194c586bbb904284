"""Boundary injections: near-misses at every threshold and violations that co-occur in one encounter.

Ordinary injections sit far from thresholds, so they cannot tell ``>`` from ``>=``. These schemes
put lines exactly at a rule's parameter (N, and N−1) — labelled ``near_miss``: the rule must NOT
fire — and just over it (N+1 in the parameter's own unit) — labelled ``boundary``: it must fire.
``co_<a>+<b>`` schemes put two violation types into one encounter (labelled ``co_occurring``), so
a rule that only fires on otherwise clean encounters is caught. Every injection is still checked
by the checker to show exactly the labelled findings (and none for a near-miss).
"""

from __future__ import annotations

from collections.abc import Callable

from .checker import drug_days_limit
from .schemes import (
    _amt,
    _drug_x,
    _free,
    _item_x,
    _new_time,
    _pick,
    _try,
    can_extend,
    readmission,
    scheme,
    stays,
)
from .templates import VISIT_TYPES
from .world import DAY, World, XLine

#: a candidate line for a type at ``off`` from its threshold: (line, labelled amount, note) or None
Builder = Callable[[World, int, int], "tuple[XLine, int, str] | None"]


def visits_out(w: World):  # type: ignore[no-untyped-def]
    """Visits without stays (the boundary lines need no discharge-order handling)."""
    return _free(w, ("outpatient", "emergency", "chronic", "pharmacy"))


def _over_days(w: World, e: int, off: int) -> tuple[XLine, int, str] | None:
    vt = VISIT_TYPES[int(w.enc["vt"][e])]
    d = _pick(w, [d for d in w.kb.drugs if not d.second_line], 1)[0]
    limit = drug_days_limit(d, vt)
    days = limit + off
    if days < 1:
        return None
    x = _drug_x(w, e, d, _new_time(w, e), days=days)
    return x, _amt(x) * max(days - limit, 0) // days, f"{d.name}开药{days}天，限定{limit}天（边界{off:+d}）"


def _max_dose(w: World, e: int, off: int) -> tuple[XLine, int, str] | None:
    pool = [d for d in w.kb.drugs if d.max_dose is not None and d.dose_unit and not d.second_line]
    if not pool:
        return None
    d = _pick(w, pool, 1)[0]
    assert d.max_dose is not None
    dose = d.max_dose + off
    x = _drug_x(w, e, d, _new_time(w, e), dose=dose)
    return x, _amt(x) * max(dose - d.max_dose, 0) // dose, f"{d.name}每日剂量{dose}‰{d.dose_unit}，最大{d.max_dose}‰（边界{off:+d}）"


def _over_price(w: World, e: int, off: int) -> tuple[XLine, int, str] | None:
    lv = int(w.inst.level[int(w.enc["inst"][e])])
    pool = [it for it in w.kb.items if it.cap(lv) is not None]
    if not pool:
        return None
    it = _pick(w, pool, 1)[0]
    cap = it.cap(lv)
    assert cap is not None
    x = _item_x(w, e, it, _new_time(w, e), 1, cap + off)
    return x, max(off, 0) * x.cnt // 1000, f"{it.name}单价{cap + off}分，限价{cap}分（边界{off:+d}）"


def _over_freq(w: World, e: int, off: int) -> tuple[XLine, int, str] | None:
    present = {ln.item.prefix for ln in w.lines_of(e) if ln.item is not None}
    pool = [it for it in w.kb.items if it.max_per_day and it.prefix not in present
            and (it.max_per_encounter is None or it.max_per_encounter >= it.max_per_day + 1)]
    if not pool:
        return None
    it = _pick(w, pool, 1)[0]
    assert it.max_per_day is not None
    units = it.max_per_day + off
    if units < 1:
        return None
    x = _item_x(w, e, it, _new_time(w, e), units)
    return x, max(off, 0) * x.pric, f"{it.name}当日{units}次，每日限{it.max_per_day}次（边界{off:+d}）"


BUILDERS: dict[str, Builder] = {
    "drug_over_days": _over_days, "drug_max_dose": _max_dose, "over_price": _over_price, "item_over_freq": _over_freq,
}


def _near(vtype: str, build: Builder) -> Callable[[World, int], bool]:
    def inject(w: World, e: int) -> bool:
        for _ in range(3):
            off = 0 if w.rng.random() < 0.7 else -1
            got = build(w, e, off)
            if got is None:
                continue
            x, _amount, note = got
            if _try(w, e, [x], [], [], note):
                w.label(vtype, e, w.n_clean + len(w.xlines) - 1, 0, note=note, kind="near_miss")
                return True
        return False
    return inject


def _edge(vtype: str, build: Builder) -> Callable[[World, int], bool]:
    def inject(w: World, e: int) -> bool:
        for _ in range(3):
            got = build(w, e, 1)
            if got is not None and _try(w, e, [got[0]], [(vtype, 0)], [got[1]], got[2], kind="boundary"):
                return True
        return False
    return inject


def _co(a: str, b: str) -> Callable[[World, int], bool]:
    def inject(w: World, e: int) -> bool:
        for _ in range(3):
            ga, gb = BUILDERS[a](w, e, 1 + int(w.rng.integers(0, 3))), BUILDERS[b](w, e, 1 + int(w.rng.integers(0, 3)))
            if ga is None or gb is None:
                continue
            gb[0].t = ga[0].t + 30 if gb[0].t // DAY == ga[0].t // DAY else gb[0].t
            if _try(w, e, [ga[0], gb[0]], [(a, 0), (b, 1)], [ga[1], gb[1]], f"{ga[2]}；{gb[2]}", kind="co_occurring"):
                return True
        return False
    return inject


for _vt, _build in BUILDERS.items():
    scheme(f"near_{_vt}", "阈值处不违规(近似)", rate=0.002, phase="line", eligible=visits_out)(_near(_vt, _build))
    scheme(f"edge_{_vt}", "刚超过阈值", rate=0.002, phase="line", eligible=visits_out)(_edge(_vt, _build))
for _a, _b in (("drug_over_days", "over_price"), ("drug_max_dose", "item_over_freq"), ("over_price", "item_over_freq")):
    scheme(f"co_{_a}+{_b}", "同一就诊多类违规", rate=0.002, phase="line", eligible=visits_out)(_co(_a, _b))

# -- encounter-level thresholds ------------------------------------------------------------------
def _los() -> Callable[[World, int], bool]:
    """住院天数异常 at 60 days (near-miss) or 61 (boundary), the two in turn (few stays are long enough
    to fit either): max_los_days = 60, LOS > 60 fires."""
    def inject(w: World, s: int) -> bool:
        # alternate (fewer near misses so far: a near miss next), so a few stays carry both kinds
        done = [lab.kind for lab in w.labels if lab.vtype == "abnormal_los" and lab.kind in ("near_miss", "boundary")]
        near = done.count("near_miss") <= done.count("boundary")
        los, kind = (60, "near_miss") if near else (61, "boundary")
        if not can_extend(w, s, los):
            return False
        w.enc["los"][s] = los
        w.used[s] = True
        if kind == "near_miss":
            w.label("abnormal_los", s, amount=0, note=f"住院{los}天，恰为60天上限（不应报）", kind=kind)
        else:
            w.label("abnormal_los", s, basis="fund_pay_los", arg=60, note=f"住院{los}天，刚超过60天上限", kind=kind)
        return True
    return inject


def _readmit(gap: int, kind: str) -> Callable[[World, int], bool]:
    """分解住院 at gap 15 or 0 (boundary: max_gap_days = 15, 0 ≤ gap ≤ 15 fires) or 16 (near-miss)."""
    def inject(w: World, s: int) -> bool:
        e = readmission(w, s, gap)
        if e is None:
            return False
        if gap == 0:  # readmitted the day of discharge: admitted after the discharge (10:00-11:00)
            w.enc["sec"][e] = 12 * 3600 + int(w.rng.integers(0, 3600))
        w.used[[s, e]] = True
        if kind == "near_miss":
            w.label("split_admission", e, amount=0, note=f"出院{gap}天后再次入住同一机构（超过15天，不应报）", kind=kind)
        else:
            w.label("split_admission", e, basis="fund_pay", note=f"出院{gap}天内再次入住同一机构（边界）", kind=kind)
        return True
    return inject


scheme("edge_abnormal_los", "住院恰60天(近似)或61天(刚超)", rate=0.01, phase="encounter", eligible=stays)(_los())
scheme("near_split_admission", "出院16天再入院(近似)", rate=0.01, phase="encounter", eligible=stays)(_readmit(16, "near_miss"))
scheme("edge_split_admission", "出院15天再入院(刚超)", rate=0.01, phase="encounter", eligible=stays)(_readmit(15, "boundary"))
scheme("edge_split_admission_0", "出院当日再入院", rate=0.01, phase="encounter", eligible=stays)(_readmit(0, "boundary"))

