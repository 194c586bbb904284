"""An encounter-local reference check of docs/rule-semantics.md, used to keep clean data clean.

Every clinical template is run through :func:`findings` before it is stamped out, and every
line-level injection is checked to produce exactly the one finding it is labelled with. Cross-encounter
rules (stays, history look-backs, traceability codes across encounters) are enforced structurally by
the scheduler and the schemes instead.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from .kb import KB, Drug, Item

#: drug_over_days defaults by visit type (rule params in docs/rule-semantics.md)
DAYS_LIMIT = {"outpatient": 7, "emergency": 3, "chronic": 84, "pharmacy": 30}
DISCHARGE_DAYS = 7


@dataclass
class Line:
    seq: int
    code: str
    ctype: str
    day: int  # date ordinal of fee_day
    t: int  # seconds, tie order with seq
    cnt: int
    pric: int
    drug: Drug | None = None
    item: Item | None = None
    prd_days: int | None = None
    dose: int | None = None
    dose_unit: str | None = None
    drord: str | None = None
    trac: str | None = None
    trdn: bool = False
    selfpay: bool = False
    dept: str | None = None

    @property
    def amt(self) -> int:
        return (self.cnt * self.pric + 500) // 1000


@dataclass
class Ctx:
    visit_type: str
    level: int
    gend: str
    brdy: int  # date ordinal
    diags: list[str]
    dept: str | None
    dise_no: str | None = None
    #: 'first_line_history': drug classes with first-line use earlier in the patient's history
    extra: dict[str, dict[str, bool]] = field(default_factory=dict)


def age_at(brdy: int, day: int) -> int:
    b, d = dt.date.fromordinal(brdy), dt.date.fromordinal(day)
    return d.year - b.year - ((d.month, d.day) < (b.month, b.day))


def drug_days_limit(drug: Drug, visit_type: str) -> int:
    if drug.max_days is not None:
        return drug.max_days
    return DISCHARGE_DAYS if visit_type == "inpatient" else DAYS_LIMIT[visit_type]


def findings(kb: KB, ctx: Ctx, lines: list[Line]) -> set[tuple[str, int]]:
    """(violation_type, seq of the offending line) for every encounter-local rule."""
    out: set[tuple[str, int]] = set()
    order = sorted(lines, key=lambda x: (x.t, x.seq))
    paid = [ln for ln in order if not ln.selfpay]
    ages: dict[int, int] = {}
    for ln in paid:
        age = ages.get(ln.day)
        if age is None:
            age = ages[ln.day] = age_at(ctx.brdy, ln.day)
        d, it = ln.drug, ln.item
        if d is None and it is None and ln.ctype != "08":
            out.add(("not_in_catalogue", ln.seq))
        if d is not None:
            if d.gender and ctx.gend in ("1", "2") and ctx.gend != d.gender and not kb.gender_exempt(ln.code):
                out.add(("drug_gender", ln.seq))
            if (d.age_min is not None and age < d.age_min) or (d.age_max is not None and age >= d.age_max):
                out.add(("drug_age", ln.seq))
            if d.indications and not any(g.startswith(p) for g in ctx.diags for p in d.indications):
                out.add(("drug_indication", ln.seq))
            if d.min_level is not None and d.min_level > ctx.level:
                out.add(("drug_level", ln.seq))
            if d.visits and ctx.visit_type not in d.visits:
                out.add(("drug_visit_type", ln.seq))
            if d.max_dose is not None and ln.dose is not None and ln.dose > d.max_dose and ln.dose_unit == d.dose_unit:
                out.add(("drug_max_dose", ln.seq))
            if ln.prd_days is not None and (ctx.visit_type != "inpatient" or ln.drord == "1") \
                    and ln.prd_days > drug_days_limit(d, ctx.visit_type):
                out.add(("drug_over_days", ln.seq))
            if ctx.visit_type == "chronic" and ctx.dise_no in kb.chronic and d.prefix not in kb.chronic[ctx.dise_no]:
                out.add(("chronic_drug_scope", ln.seq))
            if d.second_line and not any(
                o.drug is not None and o.drug.drug_class == d.drug_class and not o.drug.second_line and o.day <= ln.day
                for o in paid
            ) and not ctx.extra.get("first_line_history", {}).get(d.drug_class or ""):
                out.add(("drug_second_line", ln.seq))
        if it is not None:
            if it.gender and ctx.gend in ("1", "2") and ctx.gend != it.gender and not kb.gender_exempt(ln.code):
                out.add(("item_gender", ln.seq))
            cap = it.cap(ctx.level)
            if cap is not None and ln.pric > cap:
                out.add(("over_price", ln.seq))
            if it.indications and not any(g.startswith(p) for g in ctx.diags for p in it.indications) or it.depts and ln.dept not in it.depts and ctx.dept not in it.depts:
                out.add(("item_indication", ln.seq))
    # pairs on the same day
    by_day: dict[int, list[Line]] = {}
    for ln in paid:
        by_day.setdefault(ln.day, []).append(ln)
    for day_lines in by_day.values():
        drugs = [ln for ln in day_lines if ln.drug is not None]
        for j, b in enumerate(drugs):
            for a in drugs[:j]:
                assert a.drug is not None and b.drug is not None
                if a.drug.ingredient and a.drug.ingredient == b.drug.ingredient and a.drug.prefix != b.drug.prefix:
                    out.add(("drug_duplicate", b.seq))
                if kb.contraindicated(a.code, b.code):
                    out.add(("drug_contraindication", b.seq))
        # frequency per (item, day)
        units: dict[str, int] = {}
        for ln in day_lines:
            if ln.item is not None and ln.item.max_per_day is not None:
                units[ln.item.prefix] = units.get(ln.item.prefix, 0) + ln.cnt
        for ln in day_lines:
            if ln.item is not None and ln.item.max_per_day is not None and units[ln.item.prefix] > ln.item.max_per_day * 1000:
                last = [x for x in day_lines if x.item is not None and x.item.prefix == ln.item.prefix][-1]
                out.add(("item_over_freq", last.seq))
        # decomposed: >= 2 distinct components of a panel billed the same day without the panel
        rels = kb.relations
        sides = [(ln, kb.rel_sides(ln.code)) for ln in day_lines]
        panels_here = {rels[k].code_a for _, (a_s, _b) in sides for k in a_s if rels[k].relation == "decomposed"}
        comp_lines: dict[str, dict[int, set[str]]] = {}
        for ln, (_a, b_s) in sides:
            for k in b_s:
                if rels[k].relation == "decomposed":
                    comp_lines.setdefault(rels[k].code_a, {}).setdefault(ln.seq, set()).add(rels[k].code_b)
        for panel, by_line in comp_lines.items():
            if panel in panels_here:
                continue
            if len(set().union(*by_line.values())) >= 2:
                for seq in by_line:
                    out.add(("decomposed_charge", seq))
    enc_units: dict[str, int] = {}
    for ln in paid:
        if ln.item is not None and ln.item.max_per_encounter is not None:
            enc_units[ln.item.prefix] = enc_units.get(ln.item.prefix, 0) + ln.cnt
    for ln in paid:
        if ln.item is not None and ln.item.max_per_encounter is not None and enc_units[ln.item.prefix] > ln.item.max_per_encounter * 1000:
            out.add(("item_over_freq", ln.seq))
    rels = kb.relations
    a_side: dict[int, list[Line]] = {}
    for ln in paid:
        for k in kb.rel_sides(ln.code)[0]:
            if rels[k].relation in ("exclusive", "included"):
                a_side.setdefault(k, []).append(ln)
    for b in paid:
        for k in kb.rel_sides(b.code)[1]:
            if k in a_side and any(a is not b and (rels[k].time_window_day is False or a.day == b.day) for a in a_side[k]):
                out.add(("duplicate_charge", b.seq))
    seen: dict[str, Line] = {}
    for ln in order:
        if ln.trac:
            if ln.trac in seen and not (seen[ln.trac].trdn and ln.trdn):
                out.add(("duplicate_trace_code", ln.seq))
            seen.setdefault(ln.trac, ln)
    return out
