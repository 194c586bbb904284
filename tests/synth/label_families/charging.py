"""Independent label checks of the charging templates (关联缺失, 主次手术未折价, 虚记), from the raw tables."""

from __future__ import annotations

from typing import Any

from medaudit.knowledge import default_knowledge

from . import label_check, label_offset


def _longest(code: str, prefixes: list[str]) -> str | None:
    hits = [p for p in prefixes if code.startswith(p)]
    return max(hits, key=len) if hits else None


def _kb(name: str) -> list[dict[str, Any]]:
    return default_knowledge().tables[name].to_pylist()


def _order(ln: dict[str, Any]) -> tuple[Any, str]:
    return ln["fee_ocur_time"], ln["line_id"]


@label_check("missing_relation")
def _missing_relation(w: Any, lab: dict[str, Any]) -> None:
    ln = w.lines[lab["line_id"]]
    assert not ln["selfpay_flag"] and lab["amount_fen"] == ln["amt_fen"]
    items = [r["code_prefix"] for r in w.items]
    dep = _longest(ln["hilist_code"], items)
    if dep is None:
        assert ln["med_chrgitm_type"] == "08"
        dep = _longest(ln["hilist_code"], [r["code_prefix"] for r in _kb("kb_consumable")])
    needs = [r for r in w.rel if r["relation"] == "requires" and r["code_a"] == dep]
    assert needs, dep
    for o in w.by_enc[ln["mdtrt_id"]]:
        if _order(o) >= _order(ln):
            continue
        got = _longest(o["hilist_code"], items)
        for r in needs:
            same_window = r["time_window"] == "encounter" or o["fee_ocur_time"].date() == ln["fee_ocur_time"].date()
            assert not (got == r["code_b"] and same_window), (lab, o["line_id"])


def _level_gap(w: Any, lab: dict[str, Any]) -> int:
    """Required level − the institution's level of the labelled line (> 0 fires)."""
    ln = w.lines[lab["line_id"]]
    prefix = _longest(ln["hilist_code"], [r["code_prefix"] for r in w.items])
    need = {r["code_prefix"]: r["min_level"] for r in _kb("kb_item_level")}
    assert prefix in need, prefix
    inst = w.inst[w.enc[ln["mdtrt_id"]]["fixmedins_code"]]
    return int(need[prefix]) - int(inst["medins_lv"] or 0)


@label_check("implausible_charge")
def _implausible_charge(w: Any, lab: dict[str, Any]) -> None:
    ln = w.lines[lab["line_id"]]
    assert not ln["selfpay_flag"] and lab["amount_fen"] == ln["amt_fen"]
    assert _level_gap(w, lab) > 0


@label_offset("implausible_charge")
def _implausible_offset(w: Any, lab: dict[str, Any]) -> int:
    return _level_gap(w, lab)


def _quantity_excess(w: Any, lab: dict[str, Any]) -> tuple[int, dict[str, Any], int]:
    """(units in the encounter − maximum, the labelled line, maximum) of the line's consumable."""
    ln = w.lines[lab["line_id"]]
    cons = [r["code_prefix"] for r in _kb("kb_consumable")]
    p = _longest(ln["hilist_code"], cons)
    limit = {r["code_prefix"]: int(r["max_per_encounter"]) for r in _kb("kb_consumable_limit")}
    assert ln["med_chrgitm_type"] == "08" and p in limit and w.item(ln) is None and w.drug(ln) is None
    same = [o for o in w.by_enc[ln["mdtrt_id"]] if not o["selfpay_flag"] and _longest(o["hilist_code"], cons) == p]
    total = sum(o["cnt_milli"] for o in same)
    before = sum(o["cnt_milli"] for o in same if _order(o) < _order(ln))
    if lab["kind"] != "near_miss":  # the finding's line: the running count first exceeds the maximum there
        assert before <= limit[p] * 1000 < before + ln["cnt_milli"]
    return (total - limit[p] * 1000) // 1000, ln, limit[p]


@label_check("consumable_over_quantity")
def _consumable_over_quantity(w: Any, lab: dict[str, Any]) -> None:
    excess, ln, _ = _quantity_excess(w, lab)
    assert excess > 0 and lab["amount_fen"] == excess * ln["pric_fen"]


@label_offset("consumable_over_quantity")
def _consumable_offset(w: Any, lab: dict[str, Any]) -> int:
    return _quantity_excess(w, lab)[0]


RATIO_PCT = 50  # the national instance's secondary_ratio_pct


def _surgery(w: Any, lab: dict[str, Any]) -> tuple[int, dict[str, Any], int]:
    """(unit price − cap × ratio %, the labelled line, its cap): the line is a paid secondary surgery."""
    ln = w.lines[lab["line_id"]]
    groups = {r["code_prefix"]: r["surgery_group"] for r in _kb("kb_surgery")}
    lv = max(int(w.inst[w.enc[ln["mdtrt_id"]]["fixmedins_code"]]["medins_lv"] or 0), 1)

    def cap(o: dict[str, Any]) -> int | None:
        it = w.item(o)
        return None if it is None or it["code_prefix"] not in groups else it[f"price_cap_lv{lv}_fen"]

    mine = w.item(ln)
    assert mine is not None and not ln["selfpay_flag"] and cap(ln) is not None
    day = ln["fee_ocur_time"].date()
    main = [o for o in w.by_enc[ln["mdtrt_id"]] if o is not ln and not o["selfpay_flag"] and cap(o) is not None
            and groups[w.item(o)["code_prefix"]] == groups[mine["code_prefix"]] and o["fee_ocur_time"].date() == day
            and (-cap(o), _order(o)) < (-cap(ln), _order(ln))]  # type: ignore[operator]
    assert main, lab
    c = int(cap(ln))  # type: ignore[arg-type]
    return int(ln["pric_fen"]) - c * RATIO_PCT // 100, ln, c


@label_check("surgery_discount")
def _surgery_discount(w: Any, lab: dict[str, Any]) -> None:
    over, ln, c = _surgery(w, lab)
    assert over > 0
    assert lab["amount_fen"] == (min(int(ln["pric_fen"]), c) - c * RATIO_PCT // 100) * ln["cnt_milli"] // 1000


@label_offset("surgery_discount")
def _surgery_offset(w: Any, lab: dict[str, Any]) -> int:
    return _surgery(w, lab)[0]


def _at_pharmacy(w: Any, lab: dict[str, Any]) -> bool:
    ln = w.lines[lab["line_id"]]
    return bool(w.inst[w.enc[ln["mdtrt_id"]]["fixmedins_code"]]["fixmedins_type"] == "pharmacy")


@label_check("pharmacy_service_item")
def _pharmacy_service_item(w: Any, lab: dict[str, Any]) -> None:
    ln = w.lines[lab["line_id"]]
    assert not ln["selfpay_flag"] and lab["amount_fen"] == ln["amt_fen"]
    prefix = _longest(ln["hilist_code"], [r["code_prefix"] for r in w.items])
    assert prefix is not None and prefix not in {r["code_prefix"] for r in _kb("kb_item_level")}
    assert _at_pharmacy(w, lab)


@label_offset("pharmacy_service_item")
def _pharmacy_offset(w: Any, lab: dict[str, Any]) -> int:
    """1 at a pharmacy (fires), 0 for the same kind of item at a medical institution (the near miss)."""
    return int(_at_pharmacy(w, lab))
