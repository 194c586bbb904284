"""Injection schemes of the data-quality family (数据质量类): a field of the finished tables corrupted.

A data-quality finding is about the data, not the claim, so these schemes add no line: each records
an edit of the encounter's rows (synth/edits.py) applied once the tables are built, and labels it with
amount 0 (the settlement total: the difference). The corruptions are chosen so that no other rule
changes its verdict:

- a diagnosis code gets an extension the official table does not list (``J18.900`` → ``J18.900x9…``):
  every prefix match (限适应症, sex- and age-specific diagnoses) still sees the same code, and only
  visits without a DRG (not stays) are used, so grouping is untouched;
- a procedure with such a code is added to an outpatient or emergency visit (no DRG either);
- an emptied required field is the attending doctor (finding staff falls back to the line's doctor)
  or the main diagnosis of a non-stay visit (the diagnosis rows stay, only the main flag goes);
- a ``med_type`` outside the code set keeps its family (NHSA 1x 门诊, 2x 住院, …), so the visit type
  ingest derives and the rules read is the same;
- a settlement total that is off by more than the tolerance leaves the fund and self-paid amounts.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from medaudit.schema.codes import MED_TYPE_VISIT, visit_of_med_type

from .checks.dq import SETTLE_TOLERANCE_FEN
from .edits import AddRow, Edit
from .refcodes import CodeBook, diagnoses, procedures
from .schemes import _free, scheme, visits
from .world import DAY, World


def non_stays(w: World) -> np.ndarray:
    """Clinical visits that are not stays (no DRG grouping reads their diagnoses or procedures)."""
    return _free(w, ("outpatient", "emergency", "chronic"))


def outpatient(w: World) -> np.ndarray:
    return _free(w, ("outpatient", "emergency"))


def _unlisted(book: CodeBook, code: str, w: World) -> str | None:
    """``code`` with an extension the code table does not list (None when every tried one is listed)."""
    for _ in range(5):
        cand = f"{code}x9{int(w.rng.integers(10, 100))}"
        if not book.name(cand) and cand not in book.codes:
            return cand
    return None


def _mark(w: World, e: int, vtype: str, note: str, amount: int = 0, kind: str = "violation") -> None:
    w.used[e] = True
    w.label(vtype, e, -1, amount, note=note, kind=kind)


@scheme("dq_diag_code", "诊断编码不在医保版ICD-10代码表", rate=0.002, phase="line", eligible=non_stays)
def _diag_code(w: World, e: int) -> bool:
    diags = w.ctx(e).diags
    if not diags:
        return False
    k = int(w.rng.integers(len(diags)))
    old = diags[k]
    if diags.count(old) > 1:
        return False
    bad = _unlisted(diagnoses(), old, w)
    if bad is None:
        return False
    w.edits.append(Edit("diagnoses", e, "diag_code", bad, where=("diag_code", old)))
    if k == 0:  # the main diagnosis is also the encounter's own dscg_maindiag_code
        w.edits.append(Edit("encounters", e, "dscg_maindiag_code", bad))
    _mark(w, e, "dq_diag_code", f"{'主诊断' if k == 0 else '其他诊断'}{old}写成代码表未收录的{bad}")
    return True


@scheme("dq_oprn_code", "手术操作编码不在医保版ICD-9-CM-3代码表", rate=0.002, phase="line", eligible=outpatient)
def _oprn_code(w: World, e: int) -> bool:
    book = procedures()
    if not book.codes:
        return False
    base = book.codes[int(w.rng.integers(len(book.codes)))]
    bad = _unlisted(book, base, w)
    if bad is None:
        return False
    t = int(w.enc["day"][e]) * DAY + int(w.enc["sec"][e]) + 120
    w.edits.append(AddRow("operations", e, {
        "oprn_code": bad, "oprn_name": book.name(base), "main_oprn_flag": True,
        "oprn_time": dt.datetime.fromordinal(t // DAY) + dt.timedelta(seconds=t % DAY),
        "oper_dr_code": w.staff.code[int(w.enc["doctor"][e])]}))
    _mark(w, e, "dq_oprn_code", f"门诊手术操作{base}写成代码表未收录的{bad}")
    return True


@scheme("dq_required_missing", "结算清单必填项缺失", rate=0.002, phase="line", eligible=visits)
def _required_missing(w: World, e: int) -> bool:
    diags = w.ctx(e).diags
    stay_or_shop = w.ctx(e).visit_type in ("inpatient", "pharmacy")
    if diags and not stay_or_shop and w.rng.random() < 0.5:
        w.edits.append(Edit("encounters", e, "dscg_maindiag_code", None))
        w.edits.append(Edit("diagnoses", e, "maindiag_flag", False, where=("diag_code", diags[0])))
        _mark(w, e, "dq_required_missing", "主诊断缺失（出院主诊断代码为空，诊断信息无主诊断标志）")
        return True
    w.edits.append(Edit("encounters", e, "chfpdr_code", None))
    _mark(w, e, "dq_required_missing", "主诊医师代码为空")
    return True


@scheme("dq_code_set", "字段值不在代码集", rate=0.002, phase="line", eligible=visits)
def _code_set(w: World, e: int) -> bool:
    # a regional extension of the visit's own family (NHSA 1x 门诊, 13 急诊, 14 慢特病, 2x 住院, 41 药店):
    # outside the dictionary, yet ingest and the API derive the same visit type from it
    family = {"outpatient": "1", "emergency": "13", "chronic": "14", "inpatient": "2", "pharmacy": "41"}
    bad = family[w.ctx(e).visit_type] + str(int(w.rng.choice([9, 99])))
    assert visit_of_med_type(bad) == w.ctx(e).visit_type and bad not in MED_TYPE_VISIT
    w.edits.append(Edit("encounters", e, "med_type", bad))
    _mark(w, e, "dq_code_set", f"医疗类别写成代码集外的{bad}")
    return True


def _lines_total(w: World, e: int) -> int:
    return sum(ln.amt for ln in w.lines_of(e))


def _settle(w: World, e: int, size: int, kind: str) -> bool:
    total = _lines_total(w, e)
    if total <= 0:
        return False
    sign = -1 if (total > size and w.rng.random() < 0.5) else 1
    w.edits.append(Edit("encounters", e, "medfee_sumamt_fen", sign * size, add=True))
    amount = size if kind != "near_miss" else 0
    _mark(w, e, "dq_settle_total", f"结算医疗费总额比明细合计{'多' if sign > 0 else '少'}{size}分", amount, kind)
    return True


@scheme("dq_settle_total", "结算总额与明细合计不符", rate=0.002, phase="line", eligible=visits)
def _settle_total(w: World, e: int) -> bool:
    return _settle(w, e, int(w.rng.integers(SETTLE_TOLERANCE_FEN + 2, 5000)), "violation")


@scheme("near_dq_settle_total", "结算总额差额等于允许误差（不应报）", rate=0.002, phase="line", eligible=visits)
def _near_settle_total(w: World, e: int) -> bool:
    return _settle(w, e, SETTLE_TOLERANCE_FEN, "near_miss")


@scheme("edge_dq_settle_total", "结算总额差额刚超过允许误差", rate=0.002, phase="line", eligible=visits)
def _edge_settle_total(w: World, e: int) -> bool:
    return _settle(w, e, SETTLE_TOLERANCE_FEN + 1, "boundary")
