"""The checker's statement of the payment-policy family (docs/rule-semantics.md): 超险种 (A2),
中药饮片单味不予支付 (A13),
药品限支付疗程 (A10, across the patient's encounters)."""

from __future__ import annotations

from medaudit.knowledge.tables_policy import HERB_NEVER
from medaudit.synth import checker
from medaudit.synth.checker import Ctx, Line, Params, Visit
from medaudit.synth.kb import KB

INJURY_INSUTYPES = ""
MATERNITY_INSUTYPES = "510"
MATERNITY_MED_TYPES = "51|52"


def _listed(value: object, text: str) -> bool:
    """Whether a code is one of the '|'-separated codes of a text parameter (a missing code is in none)."""
    return value is not None and str(value) in text.split("|")


def insurance_covered(kind: str, ctx: Ctx, params: Params) -> bool:
    """Whether the encounter is of the insurance (工伤 / 生育) a line is restricted to."""
    insutype, med_type = ctx.attrs.get("insutype"), ctx.attrs.get("med_type")
    if kind == "工伤":
        return _listed(insutype, params.get_str("injury_insutypes", INJURY_INSUTYPES))
    return _listed(insutype, params.get_str("maternity_insutypes", MATERNITY_INSUTYPES)) or _listed(
        med_type, params.get_str("maternity_med_types", MATERNITY_MED_TYPES))


def insurance_type_limit(kb: KB, ctx: Ctx, lines: list[Line], params: Params) -> set[tuple[str, int]]:
    """超险种: a paid drug or item restricted to 工伤/生育 in an encounter not of that insurance (an
    encounter whose insurance type is missing is of neither, unless its medical type is 生育)."""
    out: set[tuple[str, int]] = set()
    for ln in lines:
        if ln.selfpay:
            continue
        for kind in (ln.drug.insurance_only if ln.drug else None, ln.item.insurance_only if ln.item else None):
            if kind and not insurance_covered(kind, ctx, params):
                out.add(("insurance_type_limit", ln.seq))
    return out


def is_herb(ln: Line) -> bool:
    """A 中药饮片 line: billed as 中药饮片费 ('10') or matched to a 饮片 catalogue row."""
    return ln.ctype == "10" or (ln.drug is not None and ln.drug.category == "中药饮片")


def herb_rule(kb: KB, ln: Line) -> str | None:
    return kb.herb_rule.get(ln.drug.prefix) if ln.drug is not None else None


def herbal_single(kb: KB, ctx: Ctx, lines: list[Line], params: Params) -> set[tuple[str, int]]:
    """中药饮片单味: per fee day (the prescription), a paid flagged 饮片 when every 饮片 code of the day
    (self-paid ones too) is flagged, or any paid 饮片 flagged 单复方均不予支付."""
    out: set[tuple[str, int]] = set()
    by_day: dict[int, list[Line]] = {}
    for ln in lines:
        if is_herb(ln):
            by_day.setdefault(ln.day, []).append(ln)
    for day in by_day.values():
        codes = {ln.code for ln in day}
        flagged = {ln.code for ln in day if herb_rule(kb, ln)}
        for ln in day:
            rule = herb_rule(kb, ln)
            if rule and not ln.selfpay and (rule == HERB_NEVER or flagged == codes):
                out.add(("herbal_single", ln.seq))
    return out


GAP_DAYS = 30  # drug_course_limit: days without use that start a new course


def course_days_of(ln: Line) -> int:
    """Days a line covers from its fee day: its days of supply, else one."""
    return ln.prd_days if ln.prd_days is not None and ln.prd_days > 0 else 1


def course_excess(kb: KB, lines: list[Line], params: Params) -> dict[int, int]:
    """限支付疗程 over one patient's lines (any encounters): seq -> days beyond the course's last paid
    day, for every paid line of a course-limited drug covering days after it. Days are counted once
    however many lines cover them; more than the gap without cover starts a new course."""
    out: dict[int, int] = {}
    by_row: dict[str, list[Line]] = {}
    for ln in lines:
        if ln.drug is not None and ln.drug.prefix in kb.course and not ln.selfpay:
            by_row.setdefault(ln.drug.prefix, []).append(ln)
    for prefix, own in by_row.items():
        limit, row_gap = kb.course[prefix]
        gap = row_gap if row_gap is not None else params.get("gap_days", GAP_DAYS)
        prev_end: int | None = None
        used, last_paid = 0, None
        for ln in sorted(own, key=lambda x: (x.t, x.seq)):
            start, end = ln.day, ln.day + course_days_of(ln) - 1
            if prev_end is None or start - prev_end > gap:
                used, last_paid = 0, None
            new = end - start + 1 if prev_end is None or prev_end < start else max(end - prev_end, 0)
            if last_paid is None and used < limit <= used + new:
                last_paid = end - (used + new - limit)
            used += new
            if last_paid is not None and end > last_paid:
                out[ln.seq] = end - max(start - 1, last_paid)
            prev_end = end if prev_end is None else max(prev_end, end)
    return out


def drug_course_limit(kb: KB, ctx: Ctx, lines: list[Line], params: Params) -> set[tuple[str, int]]:
    """The course rule within one encounter (what generation can see); the region check below states
    it over the patient's whole history."""
    return {("drug_course_limit", seq) for seq in course_excess(kb, lines, params)}


def drug_course_limit_region(kb: KB, visits: list[Visit], params: Params) -> set[tuple[str, str, int]]:
    owner, by_psn = checker.patient_lines(visits)
    return {("drug_course_limit", owner[seq], seq) for lines in by_psn.values()
            for seq in course_excess(kb, lines, params)}


checker.LOCAL_CHECKS.extend((insurance_type_limit, herbal_single, drug_course_limit))
checker.REGION_CHECKS.append(drug_course_limit_region)
#: the region check states the course rule over every encounter; the local one is for generation only
checker.CROSS_ENCOUNTER = (*checker.CROSS_ENCOUNTER, "drug_course_limit")
checker.SCOPE.update({"insurance_type_limit": None, "herbal_single": None, "drug_course_limit": None})
