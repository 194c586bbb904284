"""Injection schemes of the payment-policy family: 超险种 (A2), 中药饮片单味 (A13), 限支付疗程 (A10).

Every injection is checked by the reference checker (``_try``) to show exactly its labelled finding;
the rules are stated in :mod:`medaudit.synth.checks.policy`.
"""

from __future__ import annotations

import numpy as np

from medaudit.knowledge.tables_policy import HERB_NEVER, HERB_SINGLE

from .checker import DEFAULTS, drug_days_limit, findings
from .checks.policy import GAP_DAYS, insurance_covered, is_herb
from .kb import Drug, Item
from .schemes import _amt, _as_line, _drug_x, _free, _item_x, _new_time, _pick, _try, scheme, visits
from .templates import VISIT_TYPES
from .world import DAY, World, XLine


@scheme("insurance_type_limit", "超险种范围（限工伤/限生育）", rate=0.002, phase="line", eligible=visits)
def _insurance_type_limit(w: World, e: int) -> bool:
    """A drug or item payable only by 工伤/生育 insurance on a visit of another insurance."""
    ctx = w.ctx(e)
    refs: list[Drug | Item] = [*w.kb.drugs, *w.kb.items]
    pool = [r for r in refs if r.insurance_only and not insurance_covered(r.insurance_only, ctx, DEFAULTS)]
    for ref in _pick(w, pool, 4):
        t = _new_time(w, e)
        x = _drug_x(w, e, ref, t) if isinstance(ref, Drug) else _item_x(w, e, ref, t)
        if _try(w, e, [x], [("insurance_type_limit", 0)], [_amt(x)],
                f"限{ref.insurance_only}保险的{ref.name}纳入基本医疗保险结算"):
            return True
    return False


def _herb_visits(w: World) -> np.ndarray:
    """Visits of one day (outpatient, emergency, chronic, pharmacy): their prescription is the visit."""
    return _free(w, ("outpatient", "emergency", "chronic", "pharmacy"))


def _herbs_on(w: World, e: int, day: int) -> bool:
    return any(is_herb(ln) and ln.day == day for ln in w.lines_of(e))


def _herb_x(w: World, e: int, d: Drug, t: int) -> XLine:
    code = w.codes.of_drug(d)
    grams = int(w.rng.integers(6, 31)) * 1000
    return XLine(e, code, grams, w.price(code, e), t)


def _herbal(w: World, e: int, near: bool) -> bool:
    """A prescription of flagged 饮片 only (1–2 herbs; each is a finding), or — near miss — one
    单方不予支付 herb with an unflagged herb, which makes it compound (no finding)."""
    t = _new_time(w, e)
    if _herbs_on(w, e, t // DAY):
        return False
    single = [d for d in w.kb.drugs if w.kb.herb_rule.get(d.prefix) == HERB_SINGLE]
    never = [d for d in w.kb.drugs if w.kb.herb_rule.get(d.prefix) == HERB_NEVER]
    plain = [d for d in w.kb.drugs if d.category == "中药饮片" and d.prefix not in w.kb.herb_rule]
    if not single or (near and not plain):
        return False
    if near:
        herbs = [_pick(w, single, 1)[0], _pick(w, plain, 1)[0]]
    else:
        herbs = _pick(w, single + never, int(w.rng.integers(1, 3)))
    xs = [_herb_x(w, e, d, t + 30 * k) for k, d in enumerate(herbs)]
    names = "、".join(d.name for d in herbs)
    if near:
        if _try(w, e, xs, [], [], f"{names}同方（复方，不应报）"):
            w.label("herbal_single", e, w.n_clean + len(w.xlines) - 2, 0, note=f"{names}同方（复方，不应报）",
                    kind="near_miss")
            return True
        return False
    return _try(w, e, xs, [("herbal_single", k) for k in range(len(xs))], [_amt(x) for x in xs],
                f"饮片处方仅含单方不予支付的饮片：{names}")


@scheme("herbal_single", "中药饮片单味或单方不予支付", rate=0.002, phase="line", eligible=_herb_visits)
def _herbal_single(w: World, e: int) -> bool:
    return _herbal(w, e, near=False)


@scheme("near_herbal_single", "单方不予支付的饮片与其他饮片同方(近似)", rate=0.002, phase="line", eligible=_herb_visits)
def _near_herbal_single(w: World, e: int) -> bool:
    return _herbal(w, e, near=True)


# -- 限支付疗程 ------------------------------------------------------------------------------------
_COURSE_VTS = ("outpatient", "chronic", "pharmacy")


def _course_visits(w: World) -> np.ndarray:
    return _free(w, _COURSE_VTS)


def _clean_with(w: World, e: int, x: XLine) -> bool:
    """Whether encounter ``e`` plus line ``x`` shows no encounter-local finding at all."""
    return not findings(w.kb, w.ctx(e), [*w.lines_of(e), _as_line(w, x, w.n_clean + len(w.xlines))])


def _course(w: World, e2: int, over: int, kind: str) -> bool:
    """A course-limited drug prescribed at an earlier visit of the patient (any institution) and again
    at visit ``e2``, without overlap and within the gap: the second supply ends ``over`` days beyond
    the course (0: exactly at it, a near miss). The finding is on the second line, for its share of
    days beyond the course."""
    psn = int(w.enc["psn"][e2])
    held = {d.prefix for _, d in w.enc_drug_history(psn)}
    pool = [d for d in w.kb.drugs if d.prefix in w.kb.course and d.prefix not in held
            and w.kb.course[d.prefix][1] is None]
    t2 = _new_time(w, e2)
    day2 = t2 // DAY
    firsts = [e for e in w.patient_encounters(psn) if e != e2 and not w.used[e]
              and VISIT_TYPES[int(w.enc["vt"][e])] in _COURSE_VTS and 3 <= day2 - int(w.enc["day"][e]) <= GAP_DAYS]
    for d in _pick(w, pool, 2):
        limit = w.kb.course[d.prefix][0]
        for e1 in _pick(w, firsts, 2):
            t1 = _new_time(w, e1)
            day1 = t1 // DAY
            d1 = min(drug_days_limit(d, VISIT_TYPES[int(w.enc["vt"][e1])]), day2 - day1, limit - 1)
            d2 = limit + over - d1
            if d1 < max(over, 1) + 1 or d2 < 1 or d2 > min(limit, drug_days_limit(d, VISIT_TYPES[int(w.enc["vt"][e2])])) \
                    or day2 - (day1 + d1 - 1) > GAP_DAYS:
                continue
            x1, x2 = _drug_x(w, e1, d, t1, days=d1), _drug_x(w, e2, d, t2, days=d2)
            if not (_clean_with(w, e1, x1) and _clean_with(w, e2, x2)):
                continue
            w.add_line(x1)
            g2 = w.add_line(x2)
            w.used[[e1, e2]] = True
            note = f"{d.name}先后开药{d1}天、{d2}天，限支付疗程{limit}天"
            w.label("drug_course_limit", e2, g2, _amt(x2) * over // d2, note=note, kind=kind)
            return True
    return False


@scheme("drug_course_limit", "药品超支付疗程", rate=0.01, phase="line", eligible=_course_visits, last=True)
def _drug_course_limit(w: World, e: int) -> bool:
    return _course(w, e, int(w.rng.integers(2, 5)), "violation")


@scheme("edge_drug_course_limit", "累计用药刚超过支付疗程1天", rate=0.005, phase="line", eligible=_course_visits, last=True)
def _edge_drug_course_limit(w: World, e: int) -> bool:
    return _course(w, e, 1, "boundary")


@scheme("near_drug_course_limit", "累计用药恰为支付疗程(近似)", rate=0.005, phase="line", eligible=_course_visits, last=True)
def _near_drug_course_limit(w: World, e: int) -> bool:
    return _course(w, e, 0, "near_miss")
