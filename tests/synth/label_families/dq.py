"""Independent label checks of the data-quality family: each label's corrupted field is really in the
written tables (codes against the official tables, empty fields, totals against the raw lines)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from medaudit.knowledge import default_knowledge
from medaudit.schema.codes import MED_TYPE_VISIT

from . import label_check, label_offset

TOLERANCE_FEN = 1  # dq_settle_total's default in the national pack


def _rows(w: Any, table: str, mdtrt: str) -> list[dict[str, Any]]:
    cache = w.__dict__.setdefault("_dq_rows", {})
    if table not in cache:
        by: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for r in w.tables[table].to_pylist():
            by[r["mdtrt_id"]].append(r)
        cache[table] = by
    return list(cache[table].get(mdtrt, []))


def _official(kind: str) -> set[str]:
    return set(default_knowledge().tables[kind].column("code").to_pylist())


@label_check("dq_diag_code")
def _diag(w: Any, lab: dict[str, Any]) -> None:
    e = w.enc[lab["mdtrt_id"]]
    codes = [d["diag_code"] for d in _rows(w, "diagnoses", e["mdtrt_id"])] + [e["dscg_maindiag_code"]]
    assert e["visit_type"] not in ("inpatient", "pharmacy")
    assert any(c and c not in _official("kb_diagnosis") for c in codes), codes
    assert lab["line_id"] is None and lab["amount_fen"] == 0


@label_check("dq_oprn_code")
def _oprn(w: Any, lab: dict[str, Any]) -> None:
    e = w.enc[lab["mdtrt_id"]]
    codes = [o["oprn_code"] for o in _rows(w, "operations", e["mdtrt_id"])]
    assert any(c and c not in _official("kb_procedure") for c in codes), codes
    assert lab["line_id"] is None and lab["amount_fen"] == 0


@label_check("dq_required_missing")
def _required(w: Any, lab: dict[str, Any]) -> None:
    e = w.enc[lab["mdtrt_id"]]
    main = e["dscg_maindiag_code"] or any(d["maindiag_flag"] for d in _rows(w, "diagnoses", e["mdtrt_id"]))
    assert not e["chfpdr_code"] or (not main and e["visit_type"] != "pharmacy")
    assert lab["line_id"] is None and lab["amount_fen"] == 0


@label_check("dq_code_set")
def _code_set(w: Any, lab: dict[str, Any]) -> None:
    e = w.enc[lab["mdtrt_id"]]
    assert e["med_type"] not in MED_TYPE_VISIT
    assert lab["line_id"] is None and lab["amount_fen"] == 0


def _difference(w: Any, lab: dict[str, Any]) -> int:
    e = w.enc[lab["mdtrt_id"]]
    lines = _rows(w, "fee_lines", e["mdtrt_id"])  # refund lines included
    assert lines
    return abs(e["medfee_sumamt_fen"] - sum(ln["amt_fen"] for ln in lines))


@label_check("dq_settle_total")
def _settle(w: Any, lab: dict[str, Any]) -> None:
    diff = _difference(w, lab)
    assert diff > TOLERANCE_FEN and lab["amount_fen"] == diff and lab["line_id"] is None


@label_offset("dq_settle_total")
def _settle_offset(w: Any, lab: dict[str, Any]) -> int:
    return _difference(w, lab) - TOLERANCE_FEN
