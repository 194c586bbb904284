"""Independent label checks of the person-level templates: the staff master row, the line and the
patient's diagnoses as written, never the generator's checker."""

from __future__ import annotations

from typing import Any

from . import label_check, label_offset


@label_check("suspended_staff")
def _suspended_staff(w: Any, lab: dict[str, Any]) -> None:
    ln = w.lines[lab["line_id"]]
    e = w.enc[lab["mdtrt_id"]]
    s = w.staff[ln["bilg_dr_code"]]
    day = ln["fee_ocur_time"].date()
    assert ln["mdtrt_id"] == e["mdtrt_id"] and e["visit_type"] != "emergency" and not ln["selfpay_flag"]
    assert s["pay_qual_stas"] in ("暂停", "终止") and s["pay_qual_begndate"] <= day
    assert s["pay_qual_enddate"] is None or day <= s["pay_qual_enddate"]
    assert lab["amount_fen"] == ln["amt_fen"]


@label_offset("suspended_staff")
def _suspended_staff_offset(w: Any, lab: dict[str, Any]) -> int:
    """Days from the fee day to the day after the suspension: 1 on its last day (boundary), 0 the day
    after (near-miss)."""
    ln = w.lines[lab["line_id"]]
    s = w.staff[ln["bilg_dr_code"]]
    assert s["pay_qual_stas"] == "暂停" and s["pay_qual_enddate"] is not None
    return (s["pay_qual_enddate"] - ln["fee_ocur_time"].date()).days + 1


@label_check("diagnosis_gender")
def _diagnosis_gender(w: Any, lab: dict[str, Any]) -> None:
    from medaudit.knowledge import default_knowledge

    kb = default_knowledge().tables
    rows = kb["kb_diag_gender"].to_pylist()
    exempt = [r["code_prefix"] for r in kb["kb_gender_exception"].to_pylist()]
    e = w.enc[lab["mdtrt_id"]]
    gend = w.pat[e["psn_no"]]["gend"]
    assert lab["line_id"] is None and gend in ("1", "2")

    def sex(code: str) -> str | None:
        hits = [r for r in rows if code.startswith(r["icd_prefix"])]
        return max(hits, key=lambda r: len(r["icd_prefix"]))["gender"] if hits else None

    assert any((g := sex(c)) is not None and g != gend and not any(c.startswith(x) for x in exempt)
               for c in w.diag[e["mdtrt_id"]])
    assert lab["amount_fen"] == e["fund_pay_fen"]


@label_check("diagnosis_age")
def _diagnosis_age(w: Any, lab: dict[str, Any]) -> None:
    from medaudit.knowledge import default_knowledge

    rows = default_knowledge().tables["kb_diag_age"].to_pylist()
    e = w.enc[lab["mdtrt_id"]]
    brdy, day = w.pat[e["psn_no"]]["brdy"], e["adm_time"].date()
    age = day.year - brdy.year - ((day.month, day.day) < (brdy.month, brdy.day))
    assert lab["line_id"] is None

    def outside(code: str) -> bool:
        hits = [r for r in rows if code.startswith(r["icd_prefix"])]
        if not hits:
            return False
        r = max(hits, key=lambda r: len(r["icd_prefix"]))
        return (r["age_min"] is not None and age < r["age_min"]) or (r["age_max"] is not None and age >= r["age_max"])

    assert any(outside(c) for c in w.diag[e["mdtrt_id"]])
    assert lab["amount_fen"] == e["fund_pay_fen"]
