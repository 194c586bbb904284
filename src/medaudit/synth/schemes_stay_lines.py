"""Injection schemes of the line rules that read a stay's admission and discharge times.

费用日期不在就诊期间 (``fee_outside_stay``), 费用集中上传 (``fee_bulk_upload``) and 项目超住院天数
(``item_over_los``), with their near-misses and boundaries. Every line is placed against the stay's
admission and discharge times exactly as the encounters table will carry them (``World.stay_times``),
to the minute, and every injection is checked by the reference checker — the encounter-local rules
and ``checker.stay_line_findings`` — to show exactly the labelled findings.

Daily-priced items (计价单位 日) allow one unit a day (``max_per_day`` 1) and hourly ones 24: a stay's
calendar days hold exactly LOS + 1 units of a daily item and (LOS + 1) × 24 hours of an hourly one
without 项目超限次. So a daily item over the stay is one unit on the discharge day (excess 1, alone),
and an hourly item over (LOS + 1) × 24 always exceeds 24 hours on some day: it is injected as a
co-occurrence with ``item_over_freq``. Likewise a bulk-uploaded stay puts every bed-day on one date,
which 项目超限次 flags too: those findings are labelled beside it (``co_occurring``).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .checker import MIN_LINES, MIN_LOS_DAYS, Line, findings, stay_line_findings
from .kb import Item
from .schemes import _amt, _item_x, _pick, _try, scheme, stays
from .world import DAY, World, XLine

DAILY, HOURLY = "日", "小时"


# -- helpers -------------------------------------------------------------------------------------
def _plain(it: Item) -> bool:
    """An item any patient, department and diagnosis may be billed."""
    return not it.indications and not it.depts and it.gender is None and it.age_min is None and it.age_max is None


def _exams(w: World, e: int) -> list[Item]:
    """Examination / lab items for an extra line: the stay's own first, then any plain one."""
    own = [ln.item for ln in w.lines_of(e) if ln.item is not None and ln.item.category in ("03", "04")
           and ln.item.unit not in (DAILY, HOURLY)]
    pool = [it for it in w.kb.items if it.category in ("03", "04") and it.unit not in (DAILY, HOURLY) and _plain(it)]
    return _pick(w, own, 2) + _pick(w, pool, 2)


def _at_minute(w: World, minute: int) -> int:
    """A time in ``minute`` (any second of it)."""
    return minute * 60 + int(w.rng.integers(0, 60))


def _in_period(w: World, t: int) -> bool:
    """Inside the region's period and not at 00:00 (which the rule reads as a date-only export)."""
    return w.start <= t // DAY < w.end and t % DAY >= 60


def _outside_time(w: World, e: int, off: int, after: bool) -> int:
    """A fee time ``off`` minutes beyond the stay (after discharge / before admission); ``off`` ≤ 0
    is inside it, at the boundary minute (0) or the one before it (−1)."""
    adm, dscg = w.stay_times(e)
    return _at_minute(w, dscg // 60 + off) if after else _at_minute(w, adm // 60 - off)


def _discharge_morning(w: World, e: int) -> int:
    """A fee time on the discharge day before the discharge (08:00–09:00; discharges are 10:00–11:00)."""
    _, dscg = w.stay_times(e)
    return (dscg // DAY) * DAY + 8 * 3600 + int(w.rng.integers(0, 3600))


def _afternoon(w: World, day: int) -> int:
    """A fee time on a day of the stay before discharge day (admissions are 09:00–12:00)."""
    return day * DAY + 17 * 3600 + int(w.rng.integers(0, 3600))


def _stay_findings(w: World, e: int, lines: list[Line]) -> set[tuple[str, int]]:
    return findings(w.kb, w.ctx(e), lines) | stay_line_findings(w.visit(e, lines))


# -- 费用日期不在就诊期间 ------------------------------------------------------------------------------
def _outside(kind: str) -> Callable[[World, int], bool]:
    def inject(w: World, e: int) -> bool:
        for it in _exams(w, e):
            after = w.rng.random() < (0.7 if kind == "near_miss" else 0.5)
            if kind == "violation":  # minutes beyond the stay, or a day or two
                off = int(w.rng.integers(2, 180)) if w.rng.random() < 0.5 else int(w.rng.integers(1, 3)) * 1440
            else:
                off = 1 if kind == "boundary" else int(w.rng.choice([0, -1]))
            t = _outside_time(w, e, off, after)
            if not _in_period(w, t):
                continue
            x = _item_x(w, e, it, t)
            side = "出院后" if after else "入院前"
            if kind == "near_miss":
                note = f"{it.name}发生于{'出院' if after else '入院'}时间{'同一分钟' if off == 0 else '前后一分钟内'}（就诊期间内，不应报）"
                if _try(w, e, [x], [], [], note):
                    w.label("fee_outside_stay", e, w.n_clean + len(w.xlines) - 1, 0, note=note, kind=kind)
                    return True
            elif _try(w, e, [x], [("fee_outside_stay", 0)], [_amt(x)], f"{it.name}发生于{side}{off}分钟", kind=kind):
                return True
        return False
    return inject


scheme("fee_outside_stay", "费用日期不在就诊期间", rate=0.03, phase="line", eligible=stays)(_outside("violation"))
scheme("near_fee_outside_stay", "出院当日出院前/入院同一分钟的费用(近似)", rate=0.01, phase="line",
       eligible=stays)(_outside("near_miss"))
scheme("edge_fee_outside_stay", "出院后/入院前一分钟的费用(刚超)", rate=0.01, phase="line",
       eligible=stays)(_outside("boundary"))


# -- 费用集中上传 ------------------------------------------------------------------------------------
def _bulk(days: int) -> Callable[[World, int], bool]:
    """Re-date every line of a clean stay onto ``days`` consecutive fee dates (1: the violation, 2: the
    near-miss), order kept; 项目超限次 findings the bulk dates produce are labelled beside it."""
    def inject(w: World, e: int) -> bool:
        d0, d1 = w.span(e)
        a, b = w.line_range(e)
        if d1 - d0 < MIN_LOS_DAYS or b - a < MIN_LINES or w.xby_enc.get(e):
            return False
        L = w.lines
        old = L["t"][a:b].copy()
        order = a + np.lexsort((np.arange(b - a), old))
        first = d0 + int(w.rng.integers(0, d1 - d0 - days + 2))  # the last date may be the discharge day
        cut = len(order) if days == 1 else int(w.rng.integers(1, len(order)))
        for k, i in enumerate(order.tolist()):
            day = first + (0 if k < cut else 1)
            # a discharge-day date is entered before the discharge (07:00 + 10 s a line), others after 13:00
            L["t"][i] = day * DAY + (7 * 3600 + 10 * k if day == d1 else 13 * 3600 + 10 * k)
        lines = w.lines_of(e)
        got = _stay_findings(w, e, lines)
        head = ("fee_bulk_upload", int(order[0]))
        freq = {f for f in got if f[0] == "item_over_freq"}
        if got - freq != ({head} if days == 1 else set()) or max(int(L["t"][i]) for i in order) >= w.stay_times(e)[1]:
            L["t"][a:b] = old
            return False
        w.used[e] = True
        by_seq = {ln.seq: ln for ln in lines}
        total = sum(ln.amt for ln in lines)
        if days == 1:
            w.label("fee_bulk_upload", e, head[1], total, note=f"住院{d1 - d0}天，{len(lines)}条费用同一日期",
                    kind="co_occurring" if freq else "violation")
        else:
            w.label("fee_bulk_upload", e, head[1], 0, note=f"住院{d1 - d0}天，费用分两个日期（不应报）", kind="near_miss")
        for _, seq in sorted(freq):
            ln = by_seq[seq]
            assert ln.item is not None and ln.item.max_per_day is not None
            units = sum(o.cnt for o in lines if o.item is not None and o.item.prefix == ln.item.prefix and o.day == ln.day)
            w.label("item_over_freq", e, seq, (units - ln.item.max_per_day * 1000) * ln.pric // 1000,
                    note=f"集中上传：{ln.item.name}同日{units // 1000}次",
                    kind="co_occurring" if days == 1 else "violation")
        return True
    return inject


scheme("fee_bulk_upload", "住院费用集中上传", rate=0.02, phase="line", eligible=stays)(_bulk(1))
scheme("near_fee_bulk_upload", "住院费用分两日上传(近似)", rate=0.01, phase="line", eligible=stays)(_bulk(2))


# -- 项目超住院天数 ----------------------------------------------------------------------------------
def _per_day_items(w: World, e: int, unit: str) -> list[Item]:
    """Plain items priced by ``unit`` the stay does not bill yet (beds excluded: they count together)."""
    present = {ln.item.prefix for ln in w.lines_of(e) if ln.item is not None}
    return [it for it in w.kb.items if it.unit == unit and it.prefix not in present and _plain(it)
            and it.category != "01" and it.max_per_encounter is None
            and it.max_per_day == (1 if unit == DAILY else 24)]


@scheme("item_over_los", "项目超住院天数", rate=0.03, phase="line", eligible=stays)
def _item_over_los(w: World, e: int) -> bool:
    """One more unit of a daily item (or bed) the stay bills every day, on the discharge morning:
    LOS + 1 units against LOS allowed (算头不算尾), the excess is that one unit."""
    d0, d1 = w.span(e)
    daily = [ln for ln in w.lines_of(e) if ln.item is not None and ln.item.unit == DAILY]
    for ln in _pick(w, daily, 4):
        assert ln.item is not None
        x = _item_x(w, e, ln.item, _discharge_morning(w, e))
        what = "床位" if ln.ctype == "01" else ln.item.name
        if _try(w, e, [x], [("item_over_los", 0)], [x.pric], f"{what}收费{d1 - d0 + 1}日，住院{d1 - d0}天"):
            return True
    return False


def _hourly_lines(w: World, e: int, it: Item, last_hours: int) -> list[XLine]:
    """24 hours of ``it`` on every stay day before discharge day, ``last_hours`` on the discharge morning."""
    d0, d1 = w.span(e)
    xs = [_item_x(w, e, it, _afternoon(w, d), 24) for d in range(d0, d1)]
    return xs + [_item_x(w, e, it, _discharge_morning(w, e), last_hours)]


@scheme("near_item_over_los", "按日/按小时项目恰为可收数量(近似)", rate=0.01, phase="line", eligible=stays)
def _near_item_over_los(w: World, e: int) -> bool:
    """At the allowance (0) or one under (−1): (LOS + 1) × 24 hours over every calendar day of the
    stay, or a daily item on every day but the admission day (LOS units, 算头不算尾)."""
    d0, d1 = w.span(e)
    off = int(w.rng.choice([0, -1]))
    hourly = w.rng.random() < 0.5
    for it in _pick(w, _per_day_items(w, e, HOURLY if hourly else DAILY), 3):
        if hourly:
            xs = _hourly_lines(w, e, it, 24 + off)
            note = f"{it.name}{(d1 - d0 + 1) * 24 + off}小时，可收{(d1 - d0 + 1) * 24}小时（不应报）"
        else:
            xs = [_item_x(w, e, it, _afternoon(w, d)) for d in range(d0 + 1 - off, d1)] + [
                _item_x(w, e, it, _discharge_morning(w, e))]
            note = f"{it.name}{d1 - d0 + off}日，住院{d1 - d0}天（不应报）"
        if _try(w, e, xs, [], [], note):
            w.label("item_over_los", e, w.n_clean + len(w.xlines) - 1, 0, note=note, kind="near_miss")
            return True
    return False


@scheme("co_item_over_los+item_over_freq", "按小时项目超(住院天数+1)×24小时", rate=0.01, phase="line", eligible=stays)
def _co_hourly(w: World, e: int) -> bool:
    """24 hours a day over the stay and 24 + k on the discharge morning: (LOS + 1) × 24 + k hours
    (项目超住院天数, on that last line) and 24 + k hours that day (项目超限次): k × price each."""
    for it in _pick(w, _per_day_items(w, e, HOURLY), 3):
        k = int(w.rng.integers(1, 4))
        xs = _hourly_lines(w, e, it, 24 + k)
        last = len(xs) - 1
        if _try(w, e, xs, [("item_over_los", last), ("item_over_freq", last)], [k * xs[last].pric] * 2,
                f"{it.name}出院日{24 + k}小时，超出{k}小时", kind="co_occurring"):
            return True
    return False
