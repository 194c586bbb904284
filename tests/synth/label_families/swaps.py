"""Independent label checks of 医疗服务项目限支付疗程 (item_course_limit) and 串换项目/药品 (item_swap)."""

from __future__ import annotations

from typing import Any

from medaudit.knowledge import default_knowledge

from . import label_check, label_offset

#: the national instance's parameters (packs/national/instances-swaps.yaml, item_swap's default)
GAP_DAYS = 30
TOLERANCE_PCT = 10


def _kb_rows(name: str) -> list[dict[str, Any]]:
    return default_knowledge().tables[name].to_pylist()


def _day_of_use(w: Any, lab: dict[str, Any]) -> tuple[int, int, dict[str, Any]]:
    """(the line's day of use in its course, course days, line), counted from the patient's paid lines of
    the item in every encounter: distinct fee days, a new course after more than 30 days without use."""
    ln = w.lines[lab["line_id"]]
    it = w.item(ln)
    assert it is not None, ln
    rows = [r for r in _kb_rows("kb_course_limit") if r["code_prefix"] == it["code_prefix"]]
    assert len(rows) == 1, ln
    gap = rows[0]["gap_days"] if rows[0]["gap_days"] is not None else GAP_DAYS
    psn = w.enc[ln["mdtrt_id"]]["psn_no"]
    key = (ln["fee_ocur_time"], ln["line_id"])
    days = sorted({o["fee_ocur_time"].date() for e in w.by_psn[psn] for o in w.by_enc[e["mdtrt_id"]]
                   if (oi := w.item(o)) and oi["code_prefix"] == it["code_prefix"] and not o["selfpay_flag"]
                   and (o["fee_ocur_time"], o["line_id"]) <= key})
    n = 0
    for k, d in enumerate(days):
        n = 1 if k == 0 or (d - days[k - 1]).days > gap else n + 1
    return n, int(rows[0]["course_days"]), ln


@label_check("item_course_limit")
def _course_check(w: Any, lab: dict[str, Any]) -> None:
    n, course, ln = _day_of_use(w, lab)
    assert n > course and not ln["selfpay_flag"], lab
    assert lab["amount_fen"] == ln["amt_fen"]


@label_offset("item_course_limit")
def _course_offset(w: Any, lab: dict[str, Any]) -> int:
    n, course, _ln = _day_of_use(w, lab)
    return n - course


def _ref(w: Any, prefix: str, level: int) -> int | None:
    for it in w.items:
        if it["code_prefix"] == prefix:
            cap = it[f"price_cap_lv{max(level, 1)}_fen"]
            if cap is not None:
                return int(cap)
    for d in w.drugs:
        if d["code_prefix"] == prefix and d["ref_price_fen"] is not None:
            return int(d["ref_price_fen"])
    return None


def _swap_margin(w: Any, lab: dict[str, Any]) -> tuple[int, int]:
    """(tolerance margin of the labelled line's unit price against the swap row's cheaper entry, in
    hundredths of a fen: ≥ 0 within the tolerance; the amount the rule reports for that row)."""
    ln = w.lines[lab["line_id"]]
    entry = w.item(ln) or w.drug(ln)
    assert entry is not None, ln
    level = int(w.inst[w.enc[ln["mdtrt_id"]]["fixmedins_code"]]["medins_lv"] or 0)
    rows = [r for r in _kb_rows("kb_item_swap") if r["billed_prefix"] == entry["code_prefix"] and r["signal"] == "单价"]
    assert len(rows) == 1, ln
    r = rows[0]
    actual, billed = _ref(w, r["actual_prefix"], level), _ref(w, r["billed_prefix"], level)
    assert actual is not None and billed is not None, r
    tol = r["tolerance_pct"] if r["tolerance_pct"] is not None else TOLERANCE_PCT
    assert ln["pric_fen"] * 100 < billed * (100 - tol), (ln, r)
    return actual * tol - abs(ln["pric_fen"] - actual) * 100, max(0, ln["amt_fen"] - actual * ln["cnt_milli"] // 1000)


@label_check("item_swap")
def _swap_check(w: Any, lab: dict[str, Any]) -> None:
    margin, amount = _swap_margin(w, lab)
    assert margin >= 0 and not w.lines[lab["line_id"]]["selfpay_flag"], lab
    assert lab["amount_fen"] == amount


@label_offset("item_swap")
def _swap_offset(w: Any, lab: dict[str, Any]) -> int:
    """0 within the tolerance (fires), −1 just past it (the near miss)."""
    margin, _ = _swap_margin(w, lab)
    return 0 if margin >= 0 else -1
