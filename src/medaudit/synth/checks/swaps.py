"""The checker's statement of 串换项目/药品 (B9, ``item_swap``, encounter-local) and 医疗服务项目限支付疗程
(A11, ``item_course_limit``, across the patient's encounters); docs/rule-semantics.md.

Stated from the knowledge tables directly (``KB.tables``), in plain Python, independently of the SQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from weakref import WeakKeyDictionary

from medaudit.knowledge.tables_swaps import SWAP_DIAG, SWAP_PRICE
from medaudit.synth import checker
from medaudit.synth.checker import Ctx, Line, Params, Visit
from medaudit.synth.kb import KB

TOLERANCE_PCT = 10  # item_swap: default price tolerance (%)
ITEM_GAP_DAYS = 30  # item_course_limit: days without use that start a new course


@dataclass(frozen=True)
class Swap:
    billed: str
    actual: str
    signal: str
    icd: str | None
    tolerance: int | None


_SWAPS: WeakKeyDictionary[KB, dict[str, list[Swap]]] = WeakKeyDictionary()


def swaps(kb: KB) -> dict[str, list[Swap]]:
    """billed prefix -> its kb_item_swap rows."""
    got = _SWAPS.get(kb)
    if got is None:
        t = kb.tables.get("kb_item_swap")
        got = {}
        for r in [] if t is None else t.to_pylist():
            tol = r.get("tolerance_pct")
            got.setdefault(r["billed_prefix"], []).append(
                Swap(r["billed_prefix"], r["actual_prefix"], r["signal"], r.get("icd_prefix"),
                     None if tol is None else int(tol)))
        _SWAPS[kb] = got
    return got


def ref_price(kb: KB, prefix: str, level: int) -> int | None:
    """An entry's reference unit price: an item's cap at the level (0: level 1), else a drug's ref price."""
    for it in kb.items:
        if it.prefix == prefix:
            cap = it.cap(level)
            if cap is not None:
                return cap
            break
    for d in kb.drugs:
        if d.prefix == prefix:
            return d.price
    return None


def billed_prefix(ln: Line) -> str | None:
    if ln.item is not None:
        return ln.item.prefix
    return ln.drug.prefix if ln.drug is not None else None


def swap_of(kb: KB, ctx: Ctx, ln: Line, params: Params) -> tuple[Swap, int] | None:
    """The kb_item_swap row reported for a paid line and its actual entry's reference price: of the rows
    whose signal holds, the dearest actual entry (ties: actual prefix, signal, diagnosis code)."""
    b = billed_prefix(ln)
    if ln.selfpay or b is None or b not in swaps(kb):
        return None
    held: list[tuple[int, str, str, str, Swap]] = []
    for s in swaps(kb)[b]:
        actual = ref_price(kb, s.actual, ctx.level)
        if actual is None:
            continue
        if s.signal == SWAP_DIAG and s.icd:
            codes = sorted(c for c in ctx.diags if c.startswith(s.icd))
            if codes:
                held.append((-actual, s.actual, s.signal, codes[0], s))
        elif s.signal == SWAP_PRICE:
            billed = ref_price(kb, s.billed, ctx.level)
            tol = s.tolerance if s.tolerance is not None else params.get("tolerance_pct", TOLERANCE_PCT)
            if billed is not None and abs(ln.pric - actual) * 100 <= actual * tol \
                    and ln.pric * 100 < billed * (100 - tol):
                held.append((-actual, s.actual, s.signal, "", s))
    if not held:
        return None
    best = min(held, key=lambda h: h[:4])
    return best[4], -best[0]


def swap_amount(ln: Line, actual: int) -> int:
    return max(0, ln.amt - actual * ln.cnt // 1000)


def item_swap(kb: KB, ctx: Ctx, lines: list[Line], params: Params) -> set[tuple[str, int]]:
    return {("item_swap", ln.seq) for ln in lines if swap_of(kb, ctx, ln, params) is not None}


def item_course_excess(kb: KB, lines: list[Line], params: Params) -> set[int]:
    """限支付疗程 of service items over one patient's lines (any encounters): the seqs of paid lines of a
    course-limited item on a day of use beyond the course's ``course_days``-th. Each fee day is one day of
    use; more than the gap after the previous day of use starts a new course."""
    out: set[int] = set()
    by_row: dict[str, list[Line]] = {}
    for ln in lines:
        if ln.item is not None and ln.item.prefix in kb.course and not ln.selfpay:
            by_row.setdefault(ln.item.prefix, []).append(ln)
    for prefix, own in by_row.items():
        limit, row_gap = kb.course[prefix]
        gap = row_gap if row_gap is not None else params.get("gap_days", ITEM_GAP_DAYS)
        prev: int | None = None
        used = 0
        for ln in sorted(own, key=lambda x: (x.t, x.seq)):
            if prev is None or ln.day - prev > gap:
                used = 0
            if prev is None or ln.day > prev:
                used += 1
            if used > limit:
                out.add(ln.seq)
            prev = ln.day if prev is None else max(prev, ln.day)
    return out


def item_course_limit(kb: KB, ctx: Ctx, lines: list[Line], params: Params) -> set[tuple[str, int]]:
    """The course rule within one encounter (what generation can see); the region check states it over
    the patient's whole history."""
    return {("item_course_limit", seq) for seq in item_course_excess(kb, lines, params)}


def item_course_limit_region(kb: KB, visits: list[Visit], params: Params) -> set[tuple[str, str, int]]:
    owner, by_psn = checker.patient_lines(visits)
    return {("item_course_limit", owner[seq], seq) for lines in by_psn.values()
            for seq in item_course_excess(kb, lines, params)}


checker.LOCAL_CHECKS.extend((item_swap, item_course_limit))
checker.REGION_CHECKS.append(item_course_limit_region)
#: the region check states the course rule over every encounter; the local one is for generation only
checker.CROSS_ENCOUNTER = (*checker.CROSS_ENCOUNTER, "item_course_limit")
checker.SCOPE.update({"item_swap": None, "item_course_limit": None})
