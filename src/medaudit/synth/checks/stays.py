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
