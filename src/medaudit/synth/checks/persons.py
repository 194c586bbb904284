"""The checker's statements of the person-level templates (docs/rule-semantics.md):
医保支付资格暂停/终止人员开方 (``suspended_staff``), 诊断与性别不符 (``diagnosis_gender``) and 诊断与年龄不符
(``diagnosis_age``, a region check: the age is taken at the admission day, which ``Ctx`` lacks).

The staff periods travel in ``Ctx.attrs[STAFF_STATUS]`` and the ordering doctor in
``Line.attrs[DR_CODE]`` (filled by the oracle from the tables, and by the staff schemes for the
lines they add); :func:`staff_periods` is the one reading of the staff master data both use.
"""

from __future__ import annotations

import datetime as dt
import weakref
from collections.abc import Iterable
from typing import Any

from medaudit.synth import checker
from medaudit.synth.checker import Ctx, Line, Params, Visit, age_at
from medaudit.synth.kb import KB

#: Ctx.attrs key: staff code -> [(暂停 | 终止, first day, last day or None)], date ordinals, inclusive
STAFF_STATUS = "staff_status"
#: Line.attrs key: the line's ordering doctor (bilg_dr_code)
DR_CODE = "dr_code"

Period = tuple[str, int, int | None]


def staff_periods(rows: Iterable[dict[str, Any]]) -> dict[str, list[Period]]:
    """Staff master rows → suspension/termination periods, as engine.prepare.STAFF_STATUS reads them:
    中止 is a suspension, 正常 or an empty status is none, a status without its first day is left out."""
    out: dict[str, list[Period]] = {}
    for r in rows:
        stas, begin, end = r.get("pay_qual_stas"), r.get("pay_qual_begndate"), r.get("pay_qual_enddate")
        if stas not in ("暂停", "中止", "终止") or not isinstance(begin, dt.date):
            continue
        out.setdefault(str(r["staff_code"]), []).append(
            ("终止" if stas == "终止" else "暂停", begin.toordinal(), end.toordinal() if isinstance(end, dt.date) else None))
    return out


def suspended_staff(kb: KB, ctx: Ctx, lines: list[Line], params: Params) -> set[tuple[str, int]]:
    """A paid line billed by a doctor inside one of his or her 暂停/终止 periods on its fee day;
    emergency visits exempt unless ``exempt_emergency`` = 0."""
    periods: dict[str, list[Period]] = ctx.attrs.get(STAFF_STATUS) or {}
    if not periods or (ctx.visit_type == "emergency" and params.get("exempt_emergency", 1) == 1):
        return set()
    out: set[tuple[str, int]] = set()
    for ln in lines:
        code = ln.attrs.get(DR_CODE)
        if ln.selfpay or code is None:
            continue
        if any(b <= ln.day and (e is None or ln.day <= e) for _, b, e in periods.get(code, ())):
            out.add(("suspended_staff", ln.seq))
    return out


_DIAG_GENDER: weakref.WeakKeyDictionary[KB, list[tuple[str, str]]] = weakref.WeakKeyDictionary()


def diag_gender_rows(kb: KB) -> list[tuple[str, str]]:
    """(ICD-10 prefix, sex) of kb_diag_gender, longest prefix first (cached per knowledge base)."""
    rows = _DIAG_GENDER.get(kb)
    if rows is None:
        t = kb.tables.get("kb_diag_gender")
        rows = sorted(((str(r["icd_prefix"]), str(r["gender"])) for r in ([] if t is None else t.to_pylist())),
                      key=lambda x: (-len(x[0]), x[0]))
        _DIAG_GENDER[kb] = rows
    return rows


def diag_sex(kb: KB, code: str) -> str | None:
    """The only sex a diagnosis code fits (its longest kb_diag_gender prefix), or None."""
    return next((g for p, g in diag_gender_rows(kb) if code.startswith(p)), None)


def diagnosis_gender(kb: KB, ctx: Ctx, lines: list[Line], params: Params) -> set[tuple[str, int]]:
    """An encounter (seq -1) with a diagnosis specific to the other sex than the card holder's, unless
    a kb_gender_exception prefix starts the code."""
    if ctx.gend not in ("1", "2"):
        return set()
    for code in ctx.diags:
        sex = diag_sex(kb, code)
        if sex in ("1", "2") and sex != ctx.gend and not kb.gender_exempt(code):
            return {("diagnosis_gender", -1)}
    return set()


_DIAG_AGE: weakref.WeakKeyDictionary[KB, list[tuple[str, int | None, int | None]]] = weakref.WeakKeyDictionary()


def diag_age_bounds(kb: KB, code: str) -> tuple[int | None, int | None] | None:
    """[age_min, age_max) of a diagnosis code's longest kb_diag_age prefix, or None."""
    rows = _DIAG_AGE.get(kb)
    if rows is None:
        t = kb.tables.get("kb_diag_age")
        rows = sorted(((str(r["icd_prefix"]), r["age_min"], r["age_max"]) for r in ([] if t is None else t.to_pylist())),
                      key=lambda x: (-len(x[0]), x[0]))
        _DIAG_AGE[kb] = rows
    return next(((lo, hi) for p, lo, hi in rows if code.startswith(p)), None)


def age_conflict(kb: KB, ctx: Ctx, adm_day: int) -> bool:
    """Whether some diagnosis limits the age to a range the patient's age at ``adm_day`` is outside."""
    age = age_at(ctx.brdy, adm_day)
    for code in ctx.diags:
        b = diag_age_bounds(kb, code)
        if b is not None and ((b[0] is not None and age < b[0]) or (b[1] is not None and age >= b[1])):
            return True
    return False


def diagnosis_age(kb: KB, visits: list[Visit], params: Params) -> set[tuple[str, str, int]]:
    """An encounter (seq -1) with a diagnosis whose age range excludes the patient's age at admission."""
    return {("diagnosis_age", v.key, -1) for v in visits if age_conflict(kb, v.ctx, v.adm)}


checker.LOCAL_CHECKS.extend([suspended_staff, diagnosis_gender])
checker.REGION_CHECKS.append(diagnosis_age)
checker.SCOPE["suspended_staff"] = None
checker.SCOPE["diagnosis_gender"] = None
checker.SCOPE["diagnosis_age"] = None
