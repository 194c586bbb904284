"""The checker's statement of the charging-rule family (docs/rule-semantics.md): 周期超频次 (B2),
超单次计价数量 (B4).

Stated from the knowledge tables directly (``KB.tables``), in plain Python, independently of the SQL.
"""

from __future__ import annotations

from weakref import WeakKeyDictionary

from medaudit.synth import checker
from medaudit.synth.checker import Ctx, Line, Params, Visit
from medaudit.synth.kb import KB

_CYCLES: WeakKeyDictionary[KB, dict[str, tuple[int, int]]] = WeakKeyDictionary()
_CHARGE: WeakKeyDictionary[KB, dict[str, int]] = WeakKeyDictionary()


def charge_limits(kb: KB) -> dict[str, int]:
    """item prefix -> max units per charge of ``kb_item_charge_limit``."""
    got = _CHARGE.get(kb)
    if got is None:
        t = kb.tables.get("kb_item_charge_limit")
        got = _CHARGE[kb] = {} if t is None else {r["code_prefix"]: int(r["max_units"]) for r in t.to_pylist()}
    return got


def cycle_limits(kb: KB) -> dict[str, tuple[int, int]]:
    """item prefix -> (max units, period days) of ``kb_item_cycle``."""
    got = _CYCLES.get(kb)
    if got is None:
        t = kb.tables.get("kb_item_cycle")
        rows = [] if t is None else t.to_pylist()
        got = _CYCLES[kb] = {r["code_prefix"]: (int(r["max_units"]), int(r["period_days"])) for r in rows}
    return got


def cycle_excess(kb: KB, lines: list[Line]) -> dict[int, int]:
    """seq -> excess units (milli) of every paid line of one patient over its item's cycle limit: the
    units of that item in the ``period_days`` days ending on the line's day, counting lines up to it in
    (time, seq) order, above ``max_units``; at most the line's own quantity."""
    lim = cycle_limits(kb)
    by_item: dict[str, list[Line]] = {}
    for ln in lines:
        if ln.item is not None and not ln.selfpay and ln.item.prefix in lim:
            by_item.setdefault(ln.item.prefix, []).append(ln)
    out: dict[int, int] = {}
    for prefix, rows in by_item.items():
        n, days = lim[prefix]
        rows.sort(key=lambda x: (x.t, x.seq))
        for j, b in enumerate(rows):
            window = sum(a.cnt for a in rows[: j + 1] if a.day > b.day - days)
            if window > n * 1000:
                out[b.seq] = min(b.cnt, window - n * 1000)
    return out


def _cycle(kb: KB, visits: list[Visit], params: Params) -> set[tuple[str, str, int]]:
    if not cycle_limits(kb):
        return set()
    owner, by_psn = checker.patient_lines(visits)
    return {("item_cycle_freq", owner[seq], seq) for lines in by_psn.values() for seq in cycle_excess(kb, lines)}


def _over_units(kb: KB, ctx: Ctx, lines: list[Line], params: Params) -> set[tuple[str, int]]:
    """超单次计价数量: a paid line whose net quantity exceeds its item's max units per charge."""
    lim = charge_limits(kb)
    return {("item_over_units", ln.seq) for ln in lines
            if ln.item is not None and not ln.selfpay and ln.item.prefix in lim and ln.cnt > lim[ln.item.prefix] * 1000}


checker.REGION_CHECKS.append(_cycle)
checker.LOCAL_CHECKS.append(_over_units)
checker.SCOPE["item_cycle_freq"] = None
checker.SCOPE["item_over_units"] = None
