"""Injection schemes of the stay-profile templates: 挂床住院 (idle_bed), 同时间出入院 (cohort_admission),
with near-misses at their thresholds.

All run in the encounter phase, before lines are stamped: a stay's profile is changed by giving it a
variant of its clinical template (``special`` set, so no other visit is stamped from it), and the
labelled amount is computed from the lines that variant will stamp.
"""

from __future__ import annotations

import dataclasses

from .schemes import _alive, _stay_template, can_extend, scheme, stays
from .templates import MODE_COURSE, MODE_DAILY, MODE_ONCE, TLine
from .world import World

#: idle_bed's national default: more than 3 days with only bed / 诊察 charges fires
MAX_IDLE_DAYS = 3
#: cohort_admission's national default: 5 stays with the same admission and discharge days fire
MIN_COHORT = 5
#: charge types an idle day may carry: 01 床位费, 02 诊察费
IDLE_TYPES = ("01", "02")


def _line_amount(w: World, tl: TLine, e: int) -> int:
    code = w.codes.of_drug(tl.drug) if tl.drug is not None else w.codes.of_item(tl.item)  # type: ignore[arg-type]
    return (tl.cnt * w.price(code, e) + 500) // 1000


def _idle(w: World, s: int, n_idle: int) -> int | None:
    """Give stay ``s`` exactly ``n_idle`` trailing days billed with bed / 诊察 only: its other daily
    items (nursing) stop ``n_idle`` days before discharge (the stay is stretched when too short for
    its courses and examinations to end first); the amount of those days, or None."""
    t = w.templates[int(w.enc["tmpl"][s])]
    los = int(w.enc["los"][s])
    daily = [tl for tl in t.lines if tl.mode == MODE_DAILY]
    idle = [tl for tl in daily if tl.item is not None and tl.item.category in IDLE_TYPES]
    busy = [tl for tl in daily if tl not in idle]
    if not idle or not busy:
        return None
    # examinations and treatments sit on days 0-2; drug courses are cut short at the cut (their first
    # days stay, so no order loses what preceded it), so days cut..los-1 carry only the idle lines
    first_free = 1 + max([2] + [tl.day_off for tl in t.lines if tl.mode == MODE_ONCE])
    if los < first_free + n_idle:  # stretch the stay when the patient's calendar allows
        los = first_free + n_idle
        if not can_extend(w, s, los, margin=16):
            return None
        w.enc["los"][s] = los
    cut = los - n_idle
    lines = [dataclasses.replace(tl, mode=MODE_COURSE, k=cut) if tl in busy
             else dataclasses.replace(tl, k=min(tl.k, cut)) if tl.mode == MODE_COURSE else tl for tl in t.lines]
    ghost = dataclasses.replace(t, idx=len(w.templates), lines=lines, special="idle_bed")
    w.templates.append(ghost)
    w.enc["tmpl"][s] = ghost.idx
    w.used[s] = True
    return n_idle * sum(_line_amount(w, tl, s) for tl in idle)


@scheme("idle_bed", "挂床住院", rate=0.02, phase="encounter", eligible=stays)
def _idle_bed(w: World, s: int) -> bool:
    n = MAX_IDLE_DAYS + 1 + int(w.rng.integers(0, 5))
    amount = _idle(w, s, n)
    if amount is None:
        return False
    w.label("idle_bed", s, amount=amount, note=f"住院末{n}天仅收床位费、诊察费")
    return True


@scheme("edge_idle_bed", "空床日恰3天(近似)或4天(刚超)", rate=0.01, phase="encounter", eligible=stays)
def _edge_idle_bed(w: World, s: int) -> bool:
    near = w.rng.random() < 0.5
    n = MAX_IDLE_DAYS - int(w.rng.integers(0, 2)) if near else MAX_IDLE_DAYS + 1
    amount = _idle(w, s, n)
    if amount is None:
        return False
    if near:
        w.label("idle_bed", s, amount=0, note=f"住院末{n}天仅收床位费、诊察费（未超过3天，不应报）", kind="near_miss")
    else:
        w.label("idle_bed", s, amount=amount, note=f"住院末{n}天仅收床位费、诊察费（刚超过3天）", kind="boundary")
    return True


def _cohort(w: World, s: int, size: int) -> list[int] | None:
    """Stay ``s`` plus ``size − 1`` new stays of other free patients at its institution with its
    admission and discharge days (None when too few patients fit). Runs after every other encounter
    scheme, so no later stay can join the cohort; the cohort's dates must be its own."""
    inst, (a, b) = int(w.enc["inst"][s]), w.span(s)
    if b - a < 1 or b >= w.end:
        return None
    vt, day, los, ins = w.col("vt"), w.col("day"), w.col("los"), w.col("inst")
    if int(((vt == vt[s]) & (day == a) & (day + los == b) & (ins == inst)).sum()) != 1:
        return None
    level, made = int(w.inst.level[inst]), [s]
    for psn in w.rng.permutation(len(w.pat.gend))[:400].tolist():
        if len(made) == size:
            break
        if w.pat.remote[psn] or not _alive(w, psn, b) or w.busy(psn, a - 31, b + 31):
            continue
        tm = _stay_template(w, psn, a, level)
        if tm is None or w.age(psn, b) >= w.templates[tm].age_hi:
            continue
        made.append(w.new_encounter(psn, inst, "inpatient", tm, a, b - a))
    if len(made) < size:
        for _ in made[1:]:
            w.pop_encounter()
        return None
    w.used[made] = True
    return made


@scheme("cohort_admission", "同时间出入院", rate=0.005, phase="encounter", eligible=stays, last=True)
def _cohort_admission(w: World, s: int) -> bool:
    n = MIN_COHORT + int(w.rng.integers(0, 3))
    made = _cohort(w, s, n)
    if made is None:
        return False
    for e in made:
        w.label("cohort_admission", e, basis="fund_pay", note=f"同一机构{n}人次同日入院、同日出院")
    return True


@scheme("edge_cohort_admission", "同日期出入院恰4人次(近似)或5人次(刚超)", rate=0.003, phase="encounter",
        eligible=stays, last=True)
def _edge_cohort_admission(w: World, s: int) -> bool:
    near = w.rng.random() < 0.5
    n = MIN_COHORT - 1 if near else MIN_COHORT
    made = _cohort(w, s, n)
    if made is None:
        return False
    for e in made:
        if near:
            w.label("cohort_admission", e, amount=0, note=f"同一机构{n}人次同日入院、同日出院（不足5人次，不应报）",
                    kind="near_miss")
        else:
            w.label("cohort_admission", e, basis="fund_pay", note=f"同一机构{n}人次同日入院、同日出院（恰5人次）",
                    kind="boundary")
    return True
