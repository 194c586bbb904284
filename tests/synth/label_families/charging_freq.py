"""Independent label checks of the charging-rule family: 周期超频次 (B2), 超单次计价数量 (B4).

Read from the generated tables and the knowledge rows directly (plain Python over rows).
"""

from __future__ import annotations

from typing import Any

from medaudit.knowledge import default_knowledge

from . import label_check, label_offset


def _cycle_row(w: Any, ln: dict[str, Any]) -> dict[str, Any] | None:
    it = w.item(ln)
    if it is None:
        return None
    rows = default_knowledge().tables["kb_item_cycle"].to_pylist()
    return next((r for r in rows if r["code_prefix"] == it["code_prefix"]), None)


def _window(w: Any, ln: dict[str, Any], days: int) -> int:
    """Paid units (milli) of the line's item billed to the patient in the ``days`` days ending on its fee
    day, up to the line in (fee time, line id) order, over every encounter of the patient."""
    psn = w.enc[ln["mdtrt_id"]]["psn_no"]
    prefix = w.item(ln)["code_prefix"]
    key, day = (ln["fee_ocur_time"], ln["line_id"]), ln["fee_ocur_time"].date()
    total = 0
    for e in w.by_psn[psn]:
        for o in w.by_enc[e["mdtrt_id"]]:
            oi = w.item(o)
            if oi is None or oi["code_prefix"] != prefix or o["selfpay_flag"]:
                continue
            if (o["fee_ocur_time"], o["line_id"]) <= key and 0 <= (day - o["fee_ocur_time"].date()).days < days:
                total += int(o["cnt_milli"])
    return total


@label_check("item_cycle_freq")
def _check_cycle(w: Any, lab: dict[str, Any]) -> None:
    ln = w.lines[lab["line_id"]]
    assert ln["mdtrt_id"] == lab["mdtrt_id"] and not ln["selfpay_flag"]
    row = _cycle_row(w, ln)
    assert row is not None
    window = _window(w, ln, int(row["period_days"]))
    assert window > int(row["max_units"]) * 1000, (window, row)
    excess = min(int(ln["cnt_milli"]), window - int(row["max_units"]) * 1000)
    assert lab["amount_fen"] == excess * int(ln["pric_fen"]) // 1000


@label_offset("item_cycle_freq")
def _offset_cycle(w: Any, lab: dict[str, Any]) -> int:
    """Units in the window at the labelled line minus the limit (0 for the near miss D days after)."""
    ln = w.lines[lab["line_id"]]
    row = _cycle_row(w, ln)
    assert row is not None
    return (_window(w, ln, int(row["period_days"])) - int(row["max_units"]) * 1000) // 1000


def _charge_row(w: Any, ln: dict[str, Any]) -> dict[str, Any] | None:
    it = w.item(ln)
    if it is None:
        return None
    rows = default_knowledge().tables["kb_item_charge_limit"].to_pylist()
    return next((r for r in rows if r["code_prefix"] == it["code_prefix"]), None)


@label_check("item_over_units")
def _check_units(w: Any, lab: dict[str, Any]) -> None:
    ln = w.lines[lab["line_id"]]
    assert ln["mdtrt_id"] == lab["mdtrt_id"] and not ln["selfpay_flag"]
    row = _charge_row(w, ln)
    assert row is not None and ln["cnt_milli"] > int(row["max_units"]) * 1000
    assert lab["amount_fen"] == (ln["cnt_milli"] - int(row["max_units"]) * 1000) * ln["pric_fen"] // 1000


@label_offset("item_over_units")
def _offset_units(w: Any, lab: dict[str, Any]) -> int:
    """The line's units minus the per-charge limit."""
    ln = w.lines[lab["line_id"]]
    row = _charge_row(w, ln)
    assert row is not None
    return (int(ln["cnt_milli"]) - int(row["max_units"]) * 1000) // 1000
