"""Injection schemes of the charging templates: 关联缺失 (B12), and the B10/B13 rules.

Consumables are not in the generator's code table (clean templates bill none): a scheme that needs
one registers a national-looking 27-character code under its kb_consumable prefix once per world.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .checks.charging import SECONDARY_RATIO_PCT, item_min_level, view
from .kb import Item
from .schemes import _amt, _free, _item_x, _new_time, _pick, _try, clinical, scheme
from .world import World, XLine

CONSUMABLE_LEN = 27


def consumable_code(w: World, prefix: str) -> int:
    """The generator's code index of a consumable under ``prefix`` (registered on first use)."""
    known: dict[str, int] = w.__dict__.setdefault("_consumable_codes", {})
    if prefix not in known:
        row = next(r for r in w.kb.tables["kb_consumable"].to_pylist() if r["code_prefix"] == prefix)
        code = (prefix + "0" * CONSUMABLE_LEN)[: CONSUMABLE_LEN - 3] + f"{len(known) + 1:03d}"
        known[prefix] = w.codes.add(code, str(row["name"]), "08", str(row.get("unit") or "个"),
                                    int(row.get("ref_price_fen") or 5000))
    return known[prefix]


def dependent_code(w: World, prefix: str) -> int | None:
    """The code index billed for a relation's dependent prefix: a service item, or a consumable."""
    it = next((i for i in w.kb.items if i.prefix == prefix), None)
    if it is not None:
        return w.codes.of_item(it)
    if view(w.kb).consumable(prefix) == prefix:
        return consumable_code(w, prefix)
    return None


@scheme("missing_relation", "关联缺失", rate=0.002, phase="line", eligible=clinical)
def _missing_relation(w: World, e: int) -> bool:
    for dep in _pick(w, sorted(view(w.kb).requires), 3):
        code = dependent_code(w, dep)
        if code is None:
            continue
        x = XLine(e, code, 1000, w.price(code, e), _new_time(w, e))
        if _try(w, e, [x], [("missing_relation", 0)], [_amt(x)], f"{w.codes.name[code]}未伴其依赖的项目"):
            return True
    return False


def _level_items(w: World, e: int, over: bool) -> list:  # type: ignore[type-arg]
    """Items needing a level above the encounter's institution (``over``), or exactly its level."""
    lv = int(w.inst.level[int(w.enc["inst"][e])])
    return [it for it in w.kb.items if (item_min_level(w.kb, it.prefix) > lv if over
                                        else item_min_level(w.kb, it.prefix) == lv > 0)]


@scheme("implausible_charge", "虚记（超机构级别收费）", rate=0.002, phase="line", eligible=clinical)
def _implausible_charge(w: World, e: int) -> bool:
    for it in _pick(w, _level_items(w, e, over=True)):
        x = _item_x(w, e, it, _new_time(w, e))
        if _try(w, e, [x], [("implausible_charge", 0)], [_amt(x)], f"{it.name}超出本机构级别"):
            return True
    return False


def _near_item(w: World, e: int, pool: list, vtype: str, note: Callable[[Item], str], k: int = 3) -> bool:  # type: ignore[type-arg]
    """One item of ``pool`` added to ``e`` showing no finding at all, labelled a near miss of ``vtype``."""
    for it in _pick(w, pool, k):
        x = _item_x(w, e, it, _new_time(w, e))
        if _try(w, e, [x], [], [], note(it)):
            w.label(vtype, e, w.n_clean + len(w.xlines) - 1, 0, note=note(it), kind="near_miss")
            return True
    return False


@scheme("near_implausible_charge", "机构级别恰为限定级别(近似)", rate=0.002, phase="line", eligible=clinical)
def _near_implausible_charge(w: World, e: int) -> bool:
    return _near_item(w, e, _level_items(w, e, over=False), "implausible_charge",
                      lambda it: f"{it.name}限定级别恰为本机构级别（不应报）")


def _pharmacy_visits(w: World) -> np.ndarray:
    return _free(w, ("pharmacy",))


def _plain_items(w: World) -> list:  # type: ignore[type-arg]
    """Service items without a level limit (a pharmacy's level-limited item is implausible_charge's)."""
    return [it for it in w.kb.items if item_min_level(w.kb, it.prefix) == 0]


@scheme("pharmacy_service_item", "虚记（定点零售药店收取医疗服务项目）", rate=0.01, phase="line", eligible=_pharmacy_visits)
def _pharmacy_service_item(w: World, e: int) -> bool:
    for it in _pick(w, _plain_items(w), 4):
        x = _item_x(w, e, it, _new_time(w, e))
        if _try(w, e, [x], [("pharmacy_service_item", 0)], [_amt(x)], f"药店收取医疗服务项目{it.name}"):
            return True
    return False


@scheme("near_pharmacy_service_item", "医疗机构门诊收取同类项目(近似)", rate=0.002, phase="line",
        eligible=lambda w: _free(w, ("outpatient",)))
def _near_pharmacy_service_item(w: World, e: int) -> bool:
    return _near_item(w, e, _plain_items(w), "pharmacy_service_item",
                      lambda it: f"医疗机构收取{it.name}（不是药店，不应报）", k=4)


def _over_quantity(w: World, e: int, off: int) -> tuple[XLine, int, str] | None:
    """One consumable line of ``max + off`` units (no relation of its own, so nothing else fires)."""
    v = view(w.kb)
    pool = sorted(p for p in v.limits if p not in v.requires)
    if not pool:
        return None
    p = _pick(w, pool, 1)[0]
    units = v.limits[p] + off
    code = consumable_code(w, p)
    x = XLine(e, code, units * 1000, w.price(code, e), _new_time(w, e))
    return x, max(off, 0) * x.pric, f"{w.codes.name[code]}本次就诊{units}个，上限{v.limits[p]}（{off:+d}）"


@scheme("consumable_over_quantity", "医用耗材数量超标", rate=0.002, phase="line", eligible=clinical)
def _consumable_over_quantity(w: World, e: int) -> bool:
    got = _over_quantity(w, e, 1 + int(w.rng.integers(0, 3)))
    return got is not None and _try(w, e, [got[0]], [("consumable_over_quantity", 0)], [got[1]], got[2])


@scheme("near_consumable_over_quantity", "耗材数量恰为上限(近似)", rate=0.002, phase="line", eligible=clinical)
def _near_consumable_over_quantity(w: World, e: int) -> bool:
    got = _over_quantity(w, e, 0 if w.rng.random() < 0.7 else -1)
    if got is None or not _try(w, e, [got[0]], [], [], got[2]):
        return False
    w.label("consumable_over_quantity", e, w.n_clean + len(w.xlines) - 1, 0, note=got[2], kind="near_miss")
    return True


@scheme("edge_consumable_over_quantity", "耗材数量刚超上限", rate=0.002, phase="line", eligible=clinical)
def _edge_consumable_over_quantity(w: World, e: int) -> bool:
    got = _over_quantity(w, e, 1)
    return got is not None and _try(w, e, [got[0]], [("consumable_over_quantity", 0)], [got[1]], got[2],
                                    kind="boundary")


def _surgeries(w: World, e: int, off: int | None) -> tuple[list[XLine], int, str] | None:
    """Two surgeries of one group on one day: the main (higher cap) first, the secondary at full price
    (``off`` None) or at cap × ratio % + ``off`` fen. Returns (lines, amount of the secondary, note)."""
    v = view(w.kb)
    lv = int(w.inst.level[int(w.enc["inst"][e])])
    by_group: dict[str, list] = {}  # type: ignore[type-arg]
    for it in w.kb.items:
        if it.prefix in v.surgeries and it.cap(lv) is not None:
            by_group.setdefault(v.surgeries[it.prefix], []).append(it)
    groups = sorted(g for g, its in by_group.items() if len(its) >= 2)
    if not groups:
        return None
    a, b = _pick(w, by_group[_pick(w, groups, 1)[0]], 2)
    if a.cap(lv) < b.cap(lv):
        a, b = b, a
    cap = b.cap(lv)
    disc = cap * SECONDARY_RATIO_PCT // 100
    t = _new_time(w, e)
    xa = _item_x(w, e, a, t)
    xb = _item_x(w, e, b, t + 30, pric=None if off is None else disc + off)
    full = min(xb.pric, cap)
    return [xa, xb], max(full - disc, 0) * xb.cnt // 1000, f"{a.name}（主）与{b.name}同日，次要手术单价{xb.pric}分，折价{disc}分"


@scheme("surgery_discount", "主次手术未折价", rate=0.002, phase="line", eligible=clinical)
def _surgery_discount(w: World, e: int) -> bool:
    got = _surgeries(w, e, None)
    return got is not None and _try(w, e, got[0], [("surgery_discount", 1)], [got[1]], got[2])


@scheme("near_surgery_discount", "次要手术恰按折价收取(近似)", rate=0.002, phase="line", eligible=clinical)
def _near_surgery_discount(w: World, e: int) -> bool:
    got = _surgeries(w, e, 0 if w.rng.random() < 0.7 else -1)
    if got is None or not _try(w, e, got[0], [], [], got[2]):
        return False
    w.label("surgery_discount", e, w.n_clean + len(w.xlines) - 1, 0, note=got[2], kind="near_miss")
    return True


@scheme("edge_surgery_discount", "次要手术比折价多1分", rate=0.002, phase="line", eligible=clinical)
def _edge_surgery_discount(w: World, e: int) -> bool:
    got = _surgeries(w, e, 1)
    return got is not None and _try(w, e, got[0], [("surgery_discount", 1)], [got[1]], got[2], kind="boundary")
