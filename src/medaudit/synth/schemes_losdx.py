"""Injection schemes of 住院天数异常（按主要诊断）(los_by_diagnosis) and 体检式住院 (checkup_admission),
with near-misses at their thresholds.

The rule compares a stay with the region's own stays of the same main diagnosis (P95 of groups of at
least 20 stays, only stays over 30 days), so whether a stretched stay fires depends on every other stay
of its group, including stays later schemes stretch or add. The schemes therefore only stretch stays
(to 32–60 days, or to 30 / 31 days at the floor, only in main-diagnosis categories with
room under their P95: see :func:`_room`); :func:`label_los_by_diagnosis`, run once the world
is finished, states the rule over every discharged stay and labels what it finds:

* a stretched stay that fires is a violation (a boundary when one day over its threshold), one that
  does not fire at 0 or 1 day under its threshold is a near-miss, any other is left unlabelled;
* a stay of another type that fires too (abnormal_los stays of 61+ days in a large enough group) is
  a co-occurrence, and the other type's label becomes one as well.

Clean stays last at most 30 days (generate.schedule caps them), so clean data never fires. Stretched
stays stay within 60 days, so they never fire abnormal_los; their daily lines (bed and nursing) run
over the added days, so they add no idle days (idle_bed) and no units beyond the stay (item_over_los).
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict

from .schemes import CLEAN_PASSES, _alive, can_extend, scheme, stays
from .templates import MODE_DAILY, VT
from .world import World

VTYPE = "los_by_diagnosis"
#: the national instance: nearest-rank P95, groups of at least 20 stays, stays over 30 days
PERCENTILE = 95
MIN_GROUP = 20
LOS_FLOOR_DAYS = 30
#: the longest stretch: abnormal_los fires over 60 days
MAX_STRETCH = 60


def main_diag(w: World, e: int) -> str | None:
    """The stay's main diagnosis as finalize writes it (first code of its template alternative)."""
    t = w.templates[int(w.enc["tmpl"][e])]
    alt = t.diag_alts[int(w.enc["alt"][e])] if t.diag_alts else []
    return alt[0] if alt and alt[0].strip() else None


def _room(w: World, cat: str, more: int) -> bool:
    """Whether the main-diagnosis category ``cat`` can take ``more`` more stays over 30 days with its
    P95 staying within 30 days (at least ⌈0.95 n⌉ of its n stays within 30 days), so that a stretched
    stay fires (or, at 30 days, sits at the floor) when its group is the category; later schemes may
    still change the group, which the final pass sees."""
    n = long = 0
    for e in (w.col("vt") == VT["inpatient"]).nonzero()[0].tolist():
        code = main_diag(w, e)
        if code is not None and code[:3] == cat:
            n += 1
            long += int(w.enc["los"][e]) > LOS_FLOOR_DAYS
    return n >= MIN_GROUP and long + more <= n - -(-PERCENTILE * n // 100)


def _stretch(w: World, s: int, los: int) -> bool:
    """Stretch stay ``s`` to ``los`` days when the patient's calendar, life and age allow it."""
    code = main_diag(w, s)
    if code is None or not _room(w, code[:3], int(los > LOS_FLOOR_DAYS)):
        return False
    a, b = w.span(s)
    if los <= b - a:
        return False
    if not can_extend(w, s, los):
        return False
    w.enc["los"][s] = los
    w.used[s] = True
    # a placeholder: label_los_by_diagnosis replaces it with what the finished region shows
    w.label(VTYPE, s, amount=0, note=f"住院延长至{los}天", kind="injected")
    return True


#: registered before the violations, so that boundaries find room in the categories first
@scheme(f"edge_{VTYPE}", "住院恰30天(近似)或31天(刚超)", rate=0.01, phase="encounter", eligible=stays)
def _edge_los_by_diagnosis(w: World, s: int) -> bool:
    # one in three just over: a boundary takes the room a violation needs (see _room)
    return _stretch(w, s, LOS_FLOOR_DAYS + int(w.rng.random() < 1 / 3))


@scheme(VTYPE, "住院天数超过同病种P95", rate=0.02, phase="encounter", eligible=stays)
def _los_by_diagnosis(w: World, s: int) -> bool:
    return _stretch(w, s, LOS_FLOOR_DAYS + 2 + int(w.rng.integers(0, MAX_STRETCH - LOS_FLOOR_DAYS - 1)))


def group_thresholds(stays_: dict[int, tuple[str, int]]) -> dict[int, tuple[int, int] | None]:
    """Stay → (group size, nearest-rank percentile days) of its group (full code when it has at least
    MIN_GROUP stays, else its 3-character category), or None when the group is too small."""
    by_code: dict[str, list[int]] = defaultdict(list)
    by_cat: dict[str, list[int]] = defaultdict(list)
    for code, los in stays_.values():
        by_code[code].append(los)
        by_cat[code[:3]].append(los)

    def pct(values: list[int]) -> int:
        k = -(-PERCENTILE * len(values) // 100)
        return sorted(values)[k - 1]

    out: dict[int, tuple[int, int] | None] = {}
    for e, (code, _) in stays_.items():
        group = by_code[code] if len(by_code[code]) >= MIN_GROUP else by_cat[code[:3]]
        out[e] = (len(group), pct(group)) if len(group) >= MIN_GROUP else None
    return out


def label_los_by_diagnosis(w: World) -> None:
    """Label every stay the rule fires on, and the near-misses among the stretched stays (see the
    module docstring); runs after every scheme, so no stay changes afterwards."""
    injected = {lb.enc for lb in w.labels if lb.vtype == VTYPE}
    w.labels[:] = [lb for lb in w.labels if lb.vtype != VTYPE]
    ip = (w.col("vt") == VT["inpatient"]).nonzero()[0].tolist()
    stays_ = {e: (code, int(w.enc["los"][e])) for e in ip if (code := main_diag(w, e)) is not None}
    for e, th in group_thresholds(stays_).items():
        if th is None:
            continue
        n, p = th
        los = stays_[e][1]
        offset = los - max(p, LOS_FLOOR_DAYS)
        note = f"住院{los}天，同病种{n}例P{PERCENTILE}为{p}天"
        if offset > 0:
            others = [k for k, lb in enumerate(w.labels) if lb.enc == e and lb.kind != "near_miss"]
            if others:
                for k in others:
                    w.labels[k] = dataclasses.replace(w.labels[k], kind="co_occurring")
                kind = "co_occurring"
            else:
                kind = "boundary" if offset == 1 else "violation"
            w.label(VTYPE, e, basis="fund_pay_los", arg=p, note=note + "，超出同病种百分位且超过30天", kind=kind)
        elif e in injected and offset >= -1:
            w.label(VTYPE, e, amount=0, note=note + "（未超出，不应报）", kind="near_miss")


CLEAN_PASSES.append(label_los_by_diagnosis)


# -- 体检式住院 (checkup_admission, D4) ------------------------------------------------------------------
#: checkup_admission's national instance: stays of at least 4 days with at least 6 distinct
#: examinations making at least 60 % of the lines, treatment and drugs at most 5 %
CHECKUP_MIN_LOS = 4
CHECKUP_MIN_EXAMS = 6
CHECKUP_MIN_SHARE = 60
EXAM_TYPES = ("03", "04")


def _checkup(w: World, s: int, n_exams: int) -> int | None:
    """A new 4–6 day stay of the patient of stay ``s``, stamped from a variant of a check-up template
    (a bed per day and ``n_exams`` distinct examinations, at least one each day, so that no day is an
    idle bed-only day and not every line falls on one day); None when none fits. The examinations
    make at least 65 % of its lines (the share threshold is not what the near-miss tests), and it
    has no treatment or drug line at all."""
    psn = int(w.enc["psn"][s])
    special = [t for t in w.templates if t.special == "low_standard"]
    if not special or w.pat.remote[psn]:
        return None
    los = CHECKUP_MIN_LOS + int(w.rng.integers(0, 3))
    for _ in range(4):
        day = w.start + int(w.rng.integers(0, max(1, w.end - w.start - los - 1)))
        if _alive(w, psn, day + los) and not w.busy(psn, day - 31, day + los + 31):
            break
    else:
        return None
    age0, age1 = w.age(psn, day), w.age(psn, day + los)
    fits = [t for t in special if t.age_lo <= age0 and age1 < t.age_hi
            and sum(1 for tl in t.lines if tl.item is not None and tl.item.category in EXAM_TYPES) >= n_exams]
    if not fits:
        return None
    t = fits[int(w.rng.integers(len(fits)))]
    exams = [tl for tl in t.lines if tl.item is not None and tl.item.category in EXAM_TYPES][:n_exams]
    if len({tl.item.code for tl in exams if tl.item is not None}) != n_exams or n_exams < los:
        return None
    rest = [tl for tl in t.lines if tl.item is None or tl.item.category not in EXAM_TYPES]
    lines = rest + [dataclasses.replace(tl, day_off=j % los) for j, tl in enumerate(exams)]
    inst = w.institution_for("inpatient", t.min_level, False)
    if inst is None:
        return None
    ghost = dataclasses.replace(t, idx=len(w.templates), lines=lines, special="checkup_admission")
    w.templates.append(ghost)
    e = w.new_encounter(psn, inst, "inpatient", ghost.idx, day, los)
    exam = total = 0
    for tl in lines:
        assert tl.item is not None
        n = los if tl.mode == MODE_DAILY else 1
        amt = n * ((tl.cnt * w.price(w.codes.of_item(tl.item), e) + 500) // 1000)
        total += amt
        exam += amt if tl.item.category in EXAM_TYPES else 0
    if exam * 100 < (CHECKUP_MIN_SHARE + 5) * total:
        w.pop_encounter()
        w.templates.pop()
        return None
    w.used[e] = True
    return e


@scheme("checkup_admission", "体检式住院", rate=0.02, phase="encounter", eligible=stays)
def _checkup_admission(w: World, s: int) -> bool:
    n = CHECKUP_MIN_EXAMS + int(w.rng.integers(0, 3))
    e = _checkup(w, s, n)
    if e is None:
        return False
    w.label("checkup_admission", e, basis="fund_pay", note=f"住院{int(w.enc['los'][e])}天只做{n}项检查化验、无治疗用药")
    return True


@scheme("edge_checkup_admission", "检查化验恰5项(近似)或6项(刚够)", rate=0.01, phase="encounter", eligible=stays)
def _edge_checkup_admission(w: World, s: int) -> bool:
    near = w.rng.random() < 0.5
    n = CHECKUP_MIN_EXAMS - 1 if near else CHECKUP_MIN_EXAMS
    e = _checkup(w, s, n)
    if e is None:
        return False
    if near:
        w.label("checkup_admission", e, amount=0, note=f"检查化验{n}项（不足6项，不应报）", kind="near_miss")
    else:
        w.label("checkup_admission", e, basis="fund_pay", note=f"检查化验{n}项（恰6项）", kind="boundary")
    return True
