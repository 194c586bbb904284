"""The checker's statement of the charging templates: 关联缺失 (B12), and the B10/B13 rules.

Plain Python over the checker's lines, written from docs/rule-semantics.md, not from the SQL.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field

from medaudit.synth import checker
from medaudit.synth.checker import Ctx, Line, Params
from medaudit.synth.kb import KB


@dataclass
class ChargingView:
    """The charging knowledge of one KB, indexed for the checks (built once per KB)."""

    consumables: list[str] = field(default_factory=list)  # kb_consumable prefixes, longest first
    #: dependent prefix (item or consumable) -> [(required item prefix, window)]
    requires: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    #: consumable prefix -> plausible maximum units per encounter (kb_consumable_limit)
    limits: dict[str, int] = field(default_factory=dict)
    #: surgery item prefix -> surgery group (kb_surgery)
    surgeries: dict[str, str] = field(default_factory=dict)
    #: item prefix -> lowest institution level that can perform it (kb_item_level)
    levels: dict[str, int] = field(default_factory=dict)

    def consumable(self, code: str) -> str | None:
        """Longest kb_consumable prefix of ``code``."""
        return next((p for p in self.consumables if code.startswith(p)), None)


_VIEWS: weakref.WeakKeyDictionary[KB, ChargingView] = weakref.WeakKeyDictionary()


def view(kb: KB) -> ChargingView:
    v = _VIEWS.get(kb)
    if v is None:
        v = ChargingView()

        def rows(name: str) -> list[dict[str, object]]:
            t = kb.tables.get(name)
            return [] if t is None else t.to_pylist()

        v.consumables = sorted((str(r["code_prefix"]) for r in rows("kb_consumable")), key=lambda p: (-len(p), p))
        v.limits = {str(r["code_prefix"]): int(str(r["max_per_encounter"])) for r in rows("kb_consumable_limit")}
        v.surgeries = {str(r["code_prefix"]): str(r["surgery_group"]) for r in rows("kb_surgery")}
        v.levels = {str(r["code_prefix"]): int(str(r["min_level"])) for r in rows("kb_item_level")}
        for r in kb.relations:
            if r.relation == "requires":
                v.requires.setdefault(r.code_a, []).append((r.code_b, r.window))
        _VIEWS[kb] = v
    return v


def dependent_prefix(v: ChargingView, ln: Line) -> str | None:
    """The catalogue prefix a relation names for this line: its item, or (no drug, no item) its consumable."""
    if ln.item is not None:
        return ln.item.prefix
    return v.consumable(ln.code) if ln.drug is None else None


def _missing_relation(kb: KB, ctx: Ctx, lines: list[Line], params: Params) -> set[tuple[str, int]]:
    """关联缺失: a paid dependent line with none of its required items billed before it (tie order)
    within the relation's window; a self-paid required line counts."""
    v = view(kb)
    out: set[tuple[str, int]] = set()
    for ln in lines:
        dep = None if ln.selfpay else dependent_prefix(v, ln)
        needs = v.requires.get(dep or "")
        if not needs:
            continue
        if not any(o.item is not None and o.item.prefix == b and (o.t, o.seq) < (ln.t, ln.seq)
                   and (window == "encounter" or o.day == ln.day) for b, window in needs for o in lines):
            out.add(("missing_relation", ln.seq))
    return out


def item_min_level(kb: KB, prefix: str) -> int:
    """The lowest institution level that can perform the item (0: any)."""
    return view(kb).levels.get(prefix, 0)


def _implausible_charge(kb: KB, ctx: Ctx, lines: list[Line], params: Params) -> set[tuple[str, int]]:
    """虚记 (限医疗机构级别): a paid item line whose item needs a higher level than the institution's."""
    return {("implausible_charge", ln.seq) for ln in lines
            if not ln.selfpay and ln.item is not None and item_min_level(kb, ln.item.prefix) > ctx.level}


def _pharmacy_service_item(kb: KB, ctx: Ctx, lines: list[Line], params: Params) -> set[tuple[str, int]]:
    """虚记 (限医疗机构类型): a paid item line at a pharmacy, unless the item has a level limit (then it is
    implausible_charge's, a pharmacy being level 0)."""
    if ctx.visit_type != "pharmacy":
        return set()
    levels = view(kb).levels
    return {("pharmacy_service_item", ln.seq) for ln in lines
            if not ln.selfpay and ln.item is not None and ln.item.prefix not in levels}


def _consumable_over_quantity(kb: KB, ctx: Ctx, lines: list[Line], params: Params) -> set[tuple[str, int]]:
    """医用耗材数量超标: per consumable prefix, the paid line whose running units first exceed the maximum."""
    v = view(kb)
    run: dict[str, int] = {}
    out: set[tuple[str, int]] = set()
    for ln in lines:
        p = None if ln.selfpay or ln.item is not None or ln.drug is not None else v.consumable(ln.code)
        if p is None or p not in v.limits:
            continue
        before = run.get(p, 0)
        run[p] = before + ln.cnt
        if before <= v.limits[p] * 1000 < run[p]:
            out.add(("consumable_over_quantity", ln.seq))
    return out


SECONDARY_RATIO_PCT = 50


def surgery_cap(kb: KB, ln: Line, level: int) -> int | None:
    """The price cap of a surgery line for the institution level, None when not a capped surgery."""
    it = ln.item
    if it is None or it.prefix not in view(kb).surgeries:
        return None
    return it.cap(level)


def _surgery_discount(kb: KB, ctx: Ctx, lines: list[Line], params: Params) -> set[tuple[str, int]]:
    """主次手术未折价: per (day, surgery group), every paid capped surgery after the main one (highest
    cap, then tie order) whose unit price exceeds cap × ratio %."""
    v = view(kb)
    ratio = params.get("secondary_ratio_pct", SECONDARY_RATIO_PCT)
    groups: dict[tuple[int, str], list[tuple[int, Line]]] = {}
    for ln in lines:  # already in tie order
        cap = None if ln.selfpay else surgery_cap(kb, ln, ctx.level)
        if cap is not None and ln.item is not None:
            groups.setdefault((ln.day, v.surgeries[ln.item.prefix]), []).append((cap, ln))
    out: set[tuple[str, int]] = set()
    for members in groups.values():
        ranked = sorted(members, key=lambda m: -m[0])  # stable: tie order among equal caps
        out |= {("surgery_discount", ln.seq) for cap, ln in ranked[1:] if ln.pric * 100 > cap * ratio}
    return out


checker.LOCAL_CHECKS.extend((_missing_relation, _implausible_charge, _pharmacy_service_item, _consumable_over_quantity,
                             _surgery_discount))
checker.SCOPE["pharmacy_service_item"] = None
checker.SCOPE["surgery_discount"] = None
checker.SCOPE["consumable_over_quantity"] = None
checker.SCOPE["missing_relation"] = None
checker.SCOPE["implausible_charge"] = None
