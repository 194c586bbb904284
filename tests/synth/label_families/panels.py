"""Independent label checks of the panel and surcharge rules: 组合项目重复 (B7), 重复加收 (B11).

Read from the generated tables and the knowledge rows directly (plain Python over rows).
"""

from __future__ import annotations

from typing import Any

from medaudit.knowledge import default_knowledge

from . import label_check, label_offset


def _same_day(w: Any, ln: dict[str, Any]) -> list[dict[str, Any]]:
    day = ln["fee_ocur_time"].date()
    return [o for o in w.by_enc[ln["mdtrt_id"]] if o["fee_ocur_time"].date() == day and not o["selfpay_flag"]]


def _panel_partners(w: Any, ln: dict[str, Any]) -> list[dict[str, Any]]:
    """Other paid lines that day of a panel one of whose component prefixes starts the line's code."""
    rows = default_knowledge().tables["kb_item_panel"].to_pylist()
    panels = {r["panel_prefix"] for r in rows if ln["hilist_code"].startswith(r["component_prefix"])}
    out = []
    for o in _same_day(w, ln):
        it = w.item(o)
        if o["line_id"] != ln["line_id"] and it is not None and it["code_prefix"] in panels:
            out.append(o)
    return out


@label_check("panel_duplicate")
def _check_panel(w: Any, lab: dict[str, Any]) -> None:
    ln = w.lines[lab["line_id"]]
    assert ln["mdtrt_id"] == lab["mdtrt_id"] and not ln["selfpay_flag"]
    assert _panel_partners(w, ln)
    assert lab["amount_fen"] == ln["amt_fen"]


@label_offset("panel_duplicate")
def _offset_panel(w: Any, lab: dict[str, Any]) -> int:
    """Same-day panel lines beside the component minus one (−1 for the near miss on another day)."""
    return len(_panel_partners(w, w.lines[lab["line_id"]])) - 1


def _surcharge_row(w: Any, ln: dict[str, Any]) -> dict[str, Any] | None:
    it = w.item(ln)
    if it is None:
        return None
    rows = default_knowledge().tables["kb_item_surcharge"].to_pylist()
    return next((r for r in rows if r["surcharge_prefix"] == it["code_prefix"]), None)


def _run(w: Any, ln: dict[str, Any]) -> tuple[int, bool]:
    """(units of the line's surcharge that day up to it in (fee time, line id) order, whether an earlier
    line of its exclusive group that day is another surcharge); its base must be billed that day."""
    row = _surcharge_row(w, ln)
    assert row is not None
    day = _same_day(w, ln)
    assert any((w.item(o) or {}).get("code_prefix") == row["base_prefix"] for o in day)
    key = (ln["fee_ocur_time"], ln["line_id"])
    rows = default_knowledge().tables["kb_item_surcharge"].to_pylist()
    group = {r["surcharge_prefix"] for r in rows if row["excl_group"] and r["excl_group"] == row["excl_group"]
             and r["base_prefix"] == row["base_prefix"]}
    earlier = sorted((o for o in day if (o["fee_ocur_time"], o["line_id"]) <= key), key=lambda o: (o["fee_ocur_time"], o["line_id"]))
    firsts = [(w.item(o) or {}).get("code_prefix") for o in earlier if (w.item(o) or {}).get("code_prefix") in group]
    run = sum(int(o["cnt_milli"]) for o in earlier if (w.item(o) or {}).get("code_prefix") == row["surcharge_prefix"])
    return run, bool(firsts) and firsts[0] != row["surcharge_prefix"]


@label_check("duplicate_surcharge")
def _check_surcharge(w: Any, lab: dict[str, Any]) -> None:
    ln = w.lines[lab["line_id"]]
    assert ln["mdtrt_id"] == lab["mdtrt_id"] and not ln["selfpay_flag"]
    row = _surcharge_row(w, ln)
    assert row is not None
    run, exclusive = _run(w, ln)
    if exclusive:
        excess = int(ln["cnt_milli"])
    else:
        assert row["max_per_day"] is not None and run > int(row["max_per_day"]) * 1000, (run, row)
        excess = min(int(ln["cnt_milli"]), run - int(row["max_per_day"]) * 1000)
    assert lab["amount_fen"] == excess * int(ln["pric_fen"]) // 1000


@label_offset("duplicate_surcharge")
def _offset_surcharge(w: Any, lab: dict[str, Any]) -> int:
    """Units of the surcharge that day up to the labelled line minus the daily limit."""
    ln = w.lines[lab["line_id"]]
    row = _surcharge_row(w, ln)
    assert row is not None and row["max_per_day"] is not None
    return (_run(w, ln)[0] - int(row["max_per_day"]) * 1000) // 1000
