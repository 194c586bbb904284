"""The checker's statement of 住院天数异常（按主要诊断）(los_by_diagnosis): a region check, since a stay
is compared with the percentile of every discharged stay of its main diagnosis (or ICD-10 category)."""

from __future__ import annotations

from collections import defaultdict

from medaudit.synth import checker
from medaudit.synth.checker import Params, Visit
from medaudit.synth.kb import KB


def nearest_rank(values: list[int], pct: int) -> int:
    """The nearest-rank percentile: the k-th smallest value, k = ⌈pct × n ÷ 100⌉."""
    return sorted(values)[-(-pct * len(values) // 100) - 1]


def _main_diag(v: Visit) -> str | None:
    code = v.ctx.attrs.get("rows", {}).get("encounter", {}).get("dscg_maindiag_code")
    return code if code is not None and code.strip(" ") else None


def _los_by_diagnosis(kb: KB, visits: list[Visit], params: Params) -> set[tuple[str, str, int]]:
    pct, min_group, floor = params.get("percentile", 95), params.get("min_group", 20), params.get("los_floor_days", 30)
    stays: list[tuple[Visit, str, int]] = []
    for v in visits:
        code = _main_diag(v)
        if v.ctx.visit_type == "inpatient" and v.dscg is not None and code is not None:
            stays.append((v, code, v.dscg - v.adm))
    by_code: dict[str, list[int]] = defaultdict(list)
    by_cat: dict[str, list[int]] = defaultdict(list)
    for _, code, los in stays:
        by_code[code].append(los)
        by_cat[code[:3]].append(los)
    out: set[tuple[str, str, int]] = set()
    for v, code, los in stays:
        group = by_code[code] if len(by_code[code]) >= min_group else by_cat[code[:3]]
        if len(group) >= min_group and los > nearest_rank(group, pct) and los > floor:
            out.add(("los_by_diagnosis", v.key, -1))
    return out


checker.REGION_CHECKS.append(_los_by_diagnosis)
checker.SCOPE["los_by_diagnosis"] = None
