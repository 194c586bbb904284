"""Injection schemes of 医疗服务项目限支付疗程 (A11) and 串换项目/药品 (B9), with near misses.

A11: course-limited items are kept out of clean templates (``CLEAN_ITEM_EXCLUSIONS``): visits fall on
random days, so a clean template could not know the patient's other days of use. A course of 30 or
90 days of use needs a stay that long, so the injection works in two steps: an encounter-phase scheme
lengthens a free stay to ``course_days + over`` days (and reserves it), and a pass after the line
schemes bills the item once on every day of the reserved stays, checked by the reference checker
to show exactly the lines beyond the course (none for a near miss).

B9: a line of a kb_item_swap billed entry (单价 rows: synthetic encounters carry no diagnosis of the
诊断 rows) priced at the cheaper entry's reference price, up to 9 % above it; near miss: one fen past
the tolerance. Clean prices are 90–100 % of an entry's own reference, far from the cheaper entry's.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from medaudit.knowledge.tables_swaps import SWAP_PRICE

from .checks.swaps import TOLERANCE_PCT, ref_price, swaps
from .kb import KB, Drug, Item
from .schemes import CLEAN_PASSES, _amt, _drug_x, _item_x, _new_time, _pick, _try, clinical, scheme, visits
from .templates import CLEAN_ITEM_EXCLUSIONS, VT
from .world import DAY, World


def _course_limited(kb: KB, it: Item) -> bool:
    return it.prefix in kb.course


CLEAN_ITEM_EXCLUSIONS.append(_course_limited)

#: attribute of a World holding the stays lengthened for a course injection: (stay, item prefix, days
#: over the course, label kind); kept on the world itself (one generation, no global state)
_RESERVED = "_swaps_course_stays"


def _reserved(w: World) -> list[tuple[int, str, int, str]]:
    got: list[tuple[int, str, int, str]] | None = getattr(w, _RESERVED, None)
    if got is None:
        got = []
        setattr(w, _RESERVED, got)
    return got


#: a stay longer than this would be 住院天数异常 (abnormal_los, 60 days): longer courses are left out
MAX_COURSE_STAY = 50


def _course_items(w: World) -> list[Item]:
    return [it for it in w.kb.items if it.prefix in w.kb.course and w.kb.course[it.prefix][0] + 4 <= MAX_COURSE_STAY]


def _anchors(w: World) -> np.ndarray:
    """Every 50th free visit: its patient gets the new stay (a sparse pool keeps the share of such
    long stays small whatever rate a test gives every encounter scheme)."""
    return visits(w)[::50]


def _room_for_stay(w: World, psn: int, a: int, b: int) -> bool:
    """Whether a stay of ``psn`` on days [a, b] meets none of the patient's encounters, and no other
    stay starts or ends within 16 days of it (分解住院 would then read it as a readmission)."""
    for e in w.patient_encounters(psn):
        lo, hi = w.span(e)
        if lo <= b + 1 and a - 1 <= hi:
            return False
        if w.enc["vt"][e] == VT["inpatient"] and (a - 16 <= hi < a or b < lo <= b + 16):
            return False
    return True


def _reserve(w: World, e: int, over: int, kind: str) -> bool:
    """A new stay of the patient of visit ``e``, as long as the course of one course-limited item plus
    ``over`` days, reserved for :func:`_bill_courses`."""
    pool = _course_items(w)
    psn = int(w.enc["psn"][e])
    if not pool or any(int(w.enc["psn"][r]) == psn for r, *_ in _reserved(w)):
        return False
    it = _pick(w, pool, 1)[0]
    los = w.kb.course[it.prefix][0] + over
    if w.end - w.start <= los + 2:
        return False
    die = int(w.pat.die[psn])
    for _ in range(3):
        a = w.start + int(w.rng.integers(0, w.end - w.start - los - 1))
        if (die and a + los > die) or not _room_for_stay(w, psn, a, a + los):
            continue
        inst = w.institution_for("inpatient", 1, bool(w.pat.remote[psn]))
        if inst is None:
            return False
        tm = w.template_for("inpatient", psn, a, los, max_level=int(w.inst.level[inst]))
        if tm is None:
            continue
        s = w.new_encounter(psn, inst, "inpatient", tm, a, los)
        w.used[s] = True
        _reserved(w).append((s, it.prefix, over, kind))
        return True
    return False


@scheme("item_course_limit", "医疗服务项目超支付疗程", rate=0.08, phase="encounter", eligible=_anchors)
def _item_course_limit(w: World, e: int) -> bool:
    return _reserve(w, e, int(w.rng.integers(2, 5)), "violation")


@scheme("edge_item_course_limit", "项目使用日刚超过支付疗程1天", rate=0.03, phase="encounter", eligible=_anchors)
def _edge_item_course_limit(w: World, e: int) -> bool:
    return _reserve(w, e, 1, "boundary")


@scheme("near_item_course_limit", "项目使用日恰为支付疗程(近似)", rate=0.03, phase="encounter", eligible=_anchors)
def _near_item_course_limit(w: World, e: int) -> bool:
    return _reserve(w, e, 0, "near_miss")


def _bill_courses(w: World) -> None:
    """Bill the reserved stays' item on each of their days (after every line scheme)."""
    todo = list(_reserved(w))
    _reserved(w).clear()
    for s, prefix, _over, kind in todo:
        it = next(i for i in w.kb.items if i.prefix == prefix)
        limit = w.kb.course[prefix][0]
        a, b = w.span(s)
        xs = [_item_x(w, s, it, d * DAY + 16 * 3600 + int(w.rng.integers(0, 3600))) for d in range(a, b)]
        note = f"{it.name}住院期间连续{len(xs)}天使用，限支付疗程{limit}天"
        if kind == "near_miss":
            if _try(w, s, xs, [], [], note + "（恰为支付疗程，不应报）"):
                w.label("item_course_limit", s, w.n_clean + len(w.xlines) - 1, 0, note=note + "（恰为支付疗程，不应报）",
                        kind="near_miss")
            continue
        _try(w, s, xs, [("item_course_limit", k) for k in range(limit, len(xs))],
             [_amt(x) for x in xs[limit:]], note, kind=kind)


CLEAN_PASSES.insert(0, _bill_courses)


# -- 串换 -------------------------------------------------------------------------------------------
def _entry(w: World, prefix: str) -> Drug | Item | None:
    for it in w.kb.items:
        if it.prefix == prefix:
            return it
    for d in w.kb.drugs:
        if d.prefix == prefix:
            return d
    return None


def _swap(w: World, e: int, near: bool) -> bool:
    rows = [s for rows in swaps(w.kb).values() for s in rows if s.signal == SWAP_PRICE]
    level = w.ctx(e).level
    for row in _pick(w, rows, 3):
        billed = _entry(w, row.billed)
        actual = ref_price(w.kb, row.actual, level)
        if billed is None or actual is None or (isinstance(billed, Drug) and not billed.code):
            continue
        tol = row.tolerance if row.tolerance is not None else TOLERANCE_PCT
        # near miss: one fen past the tolerance; else the cheaper entry's price + 0–9 %
        pric = actual + actual * tol // 100 + 1 if near else actual * int(w.rng.integers(1000, 1091)) // 1000
        t = _new_time(w, e)
        if isinstance(billed, Drug):
            x = replace(_drug_x(w, e, billed, t), pric=pric)
        else:
            x = _item_x(w, e, billed, t, pric=pric)
        name = billed.name
        actual_name = getattr(_entry(w, row.actual), "name", row.actual)
        if near:
            note = f"{name}按接近{actual_name}的单价收费，偏差超出允许范围1分（不应报）"
            if _try(w, e, [x], [], [], note):
                w.label("item_swap", e, w.n_clean + len(w.xlines) - 1, 0, note=note, kind="near_miss")
                return True
            continue
        amount = max(0, _amt(x) - actual * x.cnt // 1000)
        if _try(w, e, [x], [("item_swap", 0)], [amount], f"按{name}收费而单价与{actual_name}相符"):
            return True
    return False


@scheme("item_swap", "串换项目/药品", rate=0.004, phase="line", eligible=clinical)
def _item_swap(w: World, e: int) -> bool:
    return _swap(w, e, near=False)


@scheme("near_item_swap", "单价刚超出串换信号的允许偏差(近似)", rate=0.004, phase="line", eligible=clinical)
def _near_item_swap(w: World, e: int) -> bool:
    return _swap(w, e, near=True)

