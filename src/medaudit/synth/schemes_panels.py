"""Injection schemes of the panel and surcharge rules: 组合项目重复 (B7), 重复加收 (B11), with near misses.

Clean templates never bill a panel with one of its components (templates.py blocks the pair) and never
use the surcharge items or their bases (``CLEAN_ITEM_EXCLUSIONS``: a clean visit cannot know how often
a surcharge was already added that day), so every finding of these rules is an injected one.
"""

from __future__ import annotations

from medaudit.synth.checks.panels import panel_rows, surcharges
from medaudit.synth.kb import KB, Item
from medaudit.synth.schemes import _amt, _item_x, _new_time, _pick, _try, clinical, scheme
from medaudit.synth.templates import CLEAN_ITEM_EXCLUSIONS, VT
from medaudit.synth.world import DAY, World, XLine


def _surcharge_item(kb: KB, it: Item) -> bool:
    sur = surcharges(kb)
    return it.prefix in sur or any(it.prefix == base for base, _, _ in sur.values())


CLEAN_ITEM_EXCLUSIONS.append(_surcharge_item)


def _pairs(w: World) -> list[tuple[Item, Item]]:
    """(panel item, component item) of every kb_item_panel row with both in the catalogue."""
    out = []
    for panel, comp in panel_rows(w.kb):
        ps = [it for it in w.kb.items if it.prefix == panel]
        cs = [it for it in w.kb.items if it.code.startswith(comp) and it.prefix != panel]
        out += [(p, c) for p in ps for c in cs]
    return out


@scheme("panel_duplicate", "组合项目重复收费", rate=0.002, phase="line", eligible=clinical)
def _panel_duplicate(w: World, e: int) -> bool:
    for p, c in _pick(w, _pairs(w), 3):
        t = _new_time(w, e)
        if (t + 30) // DAY != t // DAY:
            continue
        # the component before or after the panel: the rule reads the whole day either way
        tp, tc = (t, t + 30) if w.rng.random() < 0.5 else (t + 30, t)
        xp, xc = _item_x(w, e, p, tp), _item_x(w, e, c, tc)
        if _try(w, e, [xp, xc], [("panel_duplicate", 1)], [_amt(xc)], f"{c.name}已含在同日收取的组合项目{p.name}内"):
            return True
    return False


def _siblings(w: World) -> list[tuple[Item, Item]]:
    """(panel item, item of the panel's code family that none of its component prefixes matches)."""
    rows = panel_rows(w.kb)
    out = []
    for panel in sorted({p for p, _ in rows}):
        comps = [c for p, c in rows if p == panel]
        ps = [it for it in w.kb.items if it.prefix == panel]
        sib = [it for it in w.kb.items if it.code[:10] == panel[:10] and it.prefix != panel
               and not any(it.code.startswith(c) for c in comps) and not it.indications]
        out += [(p, c) for p in ps for c in sib]
    return out


@scheme("near_panel_duplicate", "组合项目与非其组成的同类单项同日收取或组成项目另日收取(近似)", rate=0.002,
        phase="line", eligible=clinical)
def _near_panel_duplicate(w: World, e: int) -> bool:
    """A panel with a single test of its family that is not one of its components (same day), or, in
    a stay of two days or more, with one of its components on the next or previous day."""
    d0, d1 = w.span(e)
    apart = w.enc["vt"][e] == VT["inpatient"] and d1 - d0 >= 2 and w.rng.random() < 0.5
    for p, c in _pick(w, _pairs(w) if apart else _siblings(w), 3):
        if apart:
            dp = d0 + int(w.rng.integers(0, d1 - d0))
            dc = dp + 1 if dp + 1 < d1 else dp - 1
            tp, tc = dp * DAY + 16 * 3600 + int(w.rng.integers(0, 3600)), dc * DAY + 16 * 3600 + int(w.rng.integers(0, 3600))
            note = f"{c.name}与组合项目{p.name}相隔一日收取（不应报）"
        else:
            tp = _new_time(w, e)
            tc = tp + 30
            if tc // DAY != tp // DAY:
                continue
            note = f"{c.name}与组合项目{p.name}同日收取，但不是其组成项目（不应报）"
        if _try(w, e, [_item_x(w, e, p, tp), _item_x(w, e, c, tc)], [], [], note):
            w.label("panel_duplicate", e, w.n_clean + len(w.xlines) - 1, 0, note=note, kind="near_miss")
            return True
    return False


def _by_prefix(w: World, prefix: str) -> Item | None:
    return next((it for it in w.kb.items if it.prefix == prefix), None)


def _groups(w: World) -> list[tuple[Item, Item, Item]]:
    """(base, surcharge, other surcharge of its exclusive group on the same base)."""
    sur = surcharges(w.kb)
    out = []
    for a, (base, _, group) in sur.items():
        for b, (base_b, _, group_b) in sur.items():
            if a != b and group is not None and group == group_b and base == base_b:
                ib, ia, ib2 = _by_prefix(w, base), _by_prefix(w, a), _by_prefix(w, b)
                if ib is not None and ia is not None and ib2 is not None:
                    out.append((ib, ia, ib2))
    return out


def _limited(w: World) -> list[tuple[Item, Item, int]]:
    """(base, surcharge, max per day) of the surcharges with a daily limit."""
    out = []
    for s, (base, m, _) in surcharges(w.kb).items():
        ib, i_s = _by_prefix(w, base), _by_prefix(w, s)
        if m is not None and ib is not None and i_s is not None:
            out.append((ib, i_s, m))
    return out


def _base_time(w: World, e: int) -> int | None:
    t = _new_time(w, e)
    return t if (t + 60) // DAY == t // DAY else None


def _units(w: World, e: int, off: int) -> tuple[list[XLine], int, str] | None:
    """Base + one surcharge line at its daily limit M + ``off`` units (amount: the excess × price)."""
    pool = [x for x in _limited(w) if x[2] + off >= 1]
    t = _base_time(w, e)
    if not pool or t is None:
        return None
    base, s, m = _pick(w, pool, 1)[0]
    x = _item_x(w, e, s, t + 30, m + off)
    return [_item_x(w, e, base, t), x], max(off, 0) * x.pric, f"{base.name}当日加收{s.name}{m + off}{s.unit}，限{m}{s.unit}（{off:+d}）"


@scheme("duplicate_surcharge", "重复加收", rate=0.002, phase="line", eligible=clinical)
def _duplicate_surcharge(w: World, e: int) -> bool:
    for _ in range(3):
        if w.rng.random() < 0.5:
            groups, t = _groups(w), _base_time(w, e)
            if not groups or t is None:
                continue
            base, a, b = _pick(w, groups, 1)[0]
            xs = [_item_x(w, e, base, t), _item_x(w, e, a, t + 30), _item_x(w, e, b, t + 60)]
            if _try(w, e, xs, [("duplicate_surcharge", 2)], [xs[2].cnt * xs[2].pric // 1000],
                    f"{base.name}同日加收{a.name}后又加收互斥的{b.name}"):
                return True
            continue
        got = _units(w, e, 1 + int(w.rng.integers(0, 2)))
        if got is not None and _try(w, e, got[0], [("duplicate_surcharge", 1)], [got[1]], got[2]):
            return True
    return False


@scheme("near_duplicate_surcharge", "加收恰为每日上限(近似)", rate=0.002, phase="line", eligible=clinical)
def _near_duplicate_surcharge(w: World, e: int) -> bool:
    for _ in range(3):
        got = _units(w, e, 0 if w.rng.random() < 0.7 else -1)
        if got is not None and _try(w, e, got[0], [], [], got[2]):
            w.label("duplicate_surcharge", e, w.n_clean + len(w.xlines) - 1, 0, note=got[2], kind="near_miss")
            return True
    return False


@scheme("edge_duplicate_surcharge", "加收刚超每日上限", rate=0.002, phase="line", eligible=clinical)
def _edge_duplicate_surcharge(w: World, e: int) -> bool:
    for _ in range(3):
        got = _units(w, e, 1)
        if got is not None and _try(w, e, got[0], [("duplicate_surcharge", 1)], [got[1]], got[2], kind="boundary"):
            return True
    return False
