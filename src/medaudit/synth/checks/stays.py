"""The checker's statements of the stay-profile templates (挂床住院, 同时间出入院, 体检式住院).

Each is a region check (``checker.REGION_CHECKS``) reporting encounter-level findings (seq −1):
they read a whole stay's fee days, or several stays of one institution.
"""

from __future__ import annotations

from medaudit.synth import checker
from medaudit.synth.checker import Params, Visit
from medaudit.synth.kb import KB

#: charge types an idle day may carry: 01 床位费, 02 诊察费
IDLE_TYPES = ("01", "02")


def idle_days(v: Visit) -> dict[int, int]:
    """Day → non-self-paid amount of the stay's idle days (only bed / 诊察 lines, inside the stay)."""
    assert v.dscg is not None
    days: dict[int, list[checker.Line]] = {}
    for ln in v.lines:
        if v.adm <= ln.day <= v.dscg:
            days.setdefault(ln.day, []).append(ln)
    return {d: sum(ln.amt for ln in lines if not ln.selfpay) for d, lines in days.items()
            if all(ln.ctype in IDLE_TYPES for ln in lines)}


def _idle_bed(kb: KB, visits: list[Visit], params: Params) -> set[tuple[str, str, int]]:
    k = params.get("max_idle_days", 3)
    return {("idle_bed", v.key, -1) for v in visits
            if v.ctx.visit_type == "inpatient" and v.dscg is not None and len(idle_days(v)) > k}


checker.REGION_CHECKS.append(_idle_bed)
checker.SCOPE["idle_bed"] = None


def cohorts(visits: list[Visit], min_los_days: int) -> dict[tuple[str, int, int], list[Visit]]:
    """(institution, admission day, discharge day) → the discharged stays with those dates."""
    out: dict[tuple[str, int, int], list[Visit]] = {}
    for v in visits:
        if v.ctx.visit_type == "inpatient" and v.dscg is not None and v.dscg - v.adm >= min_los_days:
            out.setdefault((v.inst, v.adm, v.dscg), []).append(v)
    return out


def _cohort_admission(kb: KB, visits: list[Visit], params: Params) -> set[tuple[str, str, int]]:
    n = params.get("min_stays", 5)
    return {("cohort_admission", v.key, -1) for group in cohorts(visits, params.get("min_los_days", 1)).values()
            if len(group) >= n for v in group}


checker.REGION_CHECKS.append(_cohort_admission)
checker.SCOPE["cohort_admission"] = None


#: 体检式住院 charge types: 03 检查, 04 化验 (examinations); 05 治疗, 06 手术, 09/10/11 药品 (treatment)
EXAM_TYPES = ("03", "04")
TREAT_TYPES = ("05", "06", "09", "10", "11")


def shares(v: Visit) -> tuple[int, int, int]:
    """(total, examination, treatment-and-drug) amounts of a stay's lines, self-paid lines included."""
    total = sum(ln.amt for ln in v.lines)
    exam = sum(ln.amt for ln in v.lines if ln.ctype in EXAM_TYPES)
    return total, exam, sum(ln.amt for ln in v.lines if ln.ctype in TREAT_TYPES)


def _checkup_admission(kb: KB, visits: list[Visit], params: Params) -> set[tuple[str, str, int]]:
    out: set[tuple[str, str, int]] = set()
    for v in visits:
        if v.ctx.visit_type != "inpatient" or v.dscg is None or v.dscg - v.adm < params.get("min_los_days", 4):
            continue
        total, exam, treat = shares(v)
        items = {ln.code for ln in v.lines if ln.ctype in EXAM_TYPES}
        if len(items) >= params.get("min_exam_items", 6) and total > 0 and exam * 100 >= params.get("min_exam_share_pct", 60) * total \
                and treat * 100 <= params.get("max_treat_share_pct", 5) * total:
            out.add(("checkup_admission", v.key, -1))
    return out


checker.REGION_CHECKS.append(_checkup_admission)
checker.SCOPE["checkup_admission"] = None
