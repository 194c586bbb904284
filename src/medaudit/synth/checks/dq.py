"""The checker's statement of the data-quality family (数据质量类): codes outside the official code
tables and the schema's code sets, empty required 结算清单 fields, settlement totals that are not
the sum of their lines. One finding per encounter and rule (seq -1).

These read raw fields of the encounter's rows (``ctx.attrs["rows"]``, filled where the checker reads
canonical tables: synth/oracle.py). While generating, the rows are not built yet and nothing here
fires: the data-quality schemes corrupt the finished tables (synth/edits.py), never a line.
"""

from __future__ import annotations

from typing import Any

from medaudit.schema.quality import CODE_SETS, QUALITY_FIELDS

from ..checker import REGION_CHECKS, SCOPE, Params, Visit
from ..kb import KB

TYPES = ("dq_diag_code", "dq_oprn_code", "dq_required_missing", "dq_code_set", "dq_settle_total")
SETTLE_TOLERANCE_FEN = 1  # dq_settle_total default


def _blank(v: Any) -> bool:
    return v is None or (isinstance(v, str) and v.strip() == "")


def _codes(kb: KB, table: str) -> set[str]:
    t = kb.tables.get(table)
    return set() if t is None else {str(c) for c in t.column("code").to_pylist()}


def _main_diag_given(rows: dict[str, Any]) -> bool:
    return not _blank(rows["encounter"].get("dscg_maindiag_code")) or any(
        d.get("maindiag_flag") and not _blank(d.get("diag_code")) for d in rows["diagnoses"])


def _missing(field: str, rows: dict[str, Any]) -> bool:
    """Whether a required field is empty where it must be filled (dq_required_missing's conditions)."""
    e = rows["encounter"]
    vt = e["visit_type"]
    if field == "dscg_maindiag_code":
        return vt != "pharmacy" and not _main_diag_given(rows)
    if field == "dscg_time":
        return vt == "inpatient" and e.get("setl_time") is not None and e.get("dscg_time") is None
    if field == "dscg_way":
        return vt == "inpatient" and e.get("dscg_time") is not None and _blank(e.get("dscg_way"))
    if field == "chfpdr_code":
        return _blank(e.get("chfpdr_code"))
    if field == "dept_code":
        return vt != "pharmacy" and _blank(e.get("dept_code"))
    raise AssertionError(field)  # pragma: no cover - a required field without a stated condition


def _filled(field: str, rows: dict[str, Any]) -> int:
    """How many values of the field this encounter contributes (a field no row fills is not exported)."""
    e = rows["encounter"]
    if field == "dscg_maindiag_code":
        return int(not _blank(e.get(field))) + sum(
            1 for d in rows["diagnoses"] if d.get("maindiag_flag") and not _blank(d.get("diag_code")))
    if field == "dscg_time":
        return int(e.get(field) is not None)
    return int(not _blank(e.get(field)))


def _value(table: str, field: str, rows: dict[str, Any]) -> Any:
    row = rows["encounter"] if table == "encounters" else rows["patient" if table == "patients" else "institution"]
    return None if row is None else row.get(field)


def dq_findings(kb: KB, visits: list[Visit], params: Params) -> set[tuple[str, str, int]]:
    out: set[tuple[str, str, int]] = set()
    views = [(v.key, v.ctx.attrs["rows"]) for v in visits if "rows" in v.ctx.attrs]
    if not views:
        return out
    dx, px = _codes(kb, "kb_diagnosis"), _codes(kb, "kb_procedure")
    required = [f.field for f in QUALITY_FIELDS if f.required_when is not None]
    exported = {f for f in required if sum(_filled(f, rows) for _, rows in views) > 0}
    coded = [(f.table, f.field) for f in QUALITY_FIELDS if f.code_set is not None]
    tolerance = params.get("tolerance_fen", SETTLE_TOLERANCE_FEN)
    for key, rows in views:
        e = rows["encounter"]
        diag_codes = [d.get("diag_code") for d in rows["diagnoses"]] + [e.get("dscg_maindiag_code")]
        if dx and any(not _blank(c) and c not in dx for c in diag_codes):
            out.add(("dq_diag_code", key, -1))
        if px and any(not _blank(o.get("oprn_code")) and o.get("oprn_code") not in px for o in rows["operations"]):
            out.add(("dq_oprn_code", key, -1))
        if any(f in exported and _missing(f, rows) for f in required):
            out.add(("dq_required_missing", key, -1))
        if any(not _blank(v := _value(t, f, rows)) and v not in CODE_SETS[f] for t, f in coded):
            out.add(("dq_code_set", key, -1))
        fee = rows["fee_lines"]
        if fee and abs(int(e["medfee_sumamt_fen"]) - sum(int(f["amt_fen"]) for f in fee)) > tolerance:
            out.add(("dq_settle_total", key, -1))
    return out


REGION_CHECKS.append(dq_findings)
SCOPE.update({t: None for t in TYPES})
