"""The checker's statement of the panel and surcharge rules (docs/rule-semantics.md): 组合项目重复 (B7),
重复加收 (B11).

Stated from the knowledge tables directly (``KB.tables``), in plain Python, independently of the SQL.
"""

from __future__ import annotations

from weakref import WeakKeyDictionary

from medaudit.synth import checker
from medaudit.synth.checker import Ctx, Line, Params
from medaudit.synth.kb import KB

#: surcharge prefix -> (base prefix, max units per day or None, exclusive group or None)
Surcharge = tuple[str, int | None, str | None]

_PANELS: WeakKeyDictionary[KB, list[tuple[str, str]]] = WeakKeyDictionary()
_SURCHARGES: WeakKeyDictionary[KB, dict[str, Surcharge]] = WeakKeyDictionary()


def panel_rows(kb: KB) -> list[tuple[str, str]]:
    """(panel prefix, component prefix) rows of ``kb_item_panel``."""
    got = _PANELS.get(kb)
    if got is None:
        t = kb.tables.get("kb_item_panel")
        got = _PANELS[kb] = [] if t is None else [(r["panel_prefix"], r["component_prefix"]) for r in t.to_pylist()]
    return got


def surcharges(kb: KB) -> dict[str, Surcharge]:
    """surcharge prefix -> (base prefix, max per day, exclusive group) of ``kb_item_surcharge``."""
    got = _SURCHARGES.get(kb)
    if got is None:
        t = kb.tables.get("kb_item_surcharge")
        rows = [] if t is None else t.to_pylist()
        got = _SURCHARGES[kb] = {
            r["surcharge_prefix"]: (r["base_prefix"], None if r["max_per_day"] is None else int(r["max_per_day"]),
                                    r["excl_group"] or None) for r in rows}
    return got


def _prefix(ln: Line) -> str | None:
    return None if ln.item is None else ln.item.prefix


def panel_duplicates(kb: KB, lines: list[Line]) -> set[int]:
    """seq of every paid line whose code starts with a component prefix of a panel that another paid
    line (its catalogue prefix the panel's) bills the same day."""
    rows = panel_rows(kb)
    if not rows:
        return set()
    paid = [ln for ln in lines if not ln.selfpay]
    out: set[int] = set()
    for c in paid:
        for panel, comp in rows:
            if c.code.startswith(comp) and any(p.seq != c.seq and p.day == c.day and _prefix(p) == panel for p in paid):
                out.add(c.seq)
                break
    return out


def surcharge_excess(kb: KB, lines: list[Line]) -> dict[int, int]:
    """seq -> excess units (milli) of every paid surcharge line whose base item is billed that day:
    all of it when an earlier line (time, seq) of its exclusive group that day is another surcharge,
    else its share of the day's units of that surcharge above ``max_per_day``."""
    sur = surcharges(kb)
    if not sur:
        return {}
    based = {(ln.day, _prefix(ln)) for ln in lines}
    rows = sorted((ln for ln in lines if not ln.selfpay and _prefix(ln) in sur
                   and (ln.day, sur[_prefix(ln) or ""][0]) in based), key=lambda x: (x.t, x.seq))
    first: dict[tuple[int, str, str], str] = {}
    run: dict[tuple[int, str], int] = {}
    out: dict[int, int] = {}
    for ln in rows:
        prefix = _prefix(ln) or ""
        base, max_per_day, group = sur[prefix]
        run[(ln.day, prefix)] = total = run.get((ln.day, prefix), 0) + ln.cnt
        if group is not None:
            head = first.setdefault((ln.day, base, group), prefix)
            if head != prefix:
                out[ln.seq] = ln.cnt
                continue
        if max_per_day is not None and total > max_per_day * 1000:
            out[ln.seq] = min(ln.cnt, total - max_per_day * 1000)
    return out


def _panels(kb: KB, ctx: Ctx, lines: list[Line], params: Params) -> set[tuple[str, int]]:
    return {("panel_duplicate", seq) for seq in panel_duplicates(kb, lines)}


def _surcharge(kb: KB, ctx: Ctx, lines: list[Line], params: Params) -> set[tuple[str, int]]:
    return {("duplicate_surcharge", seq) for seq in surcharge_excess(kb, lines)}


checker.LOCAL_CHECKS.extend((_panels, _surcharge))
checker.SCOPE["panel_duplicate"] = None
checker.SCOPE["duplicate_surcharge"] = None
