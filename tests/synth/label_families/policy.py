"""Independent label checks of the payment-policy family (超险种, 中药饮片单味, 限支付疗程)."""

from __future__ import annotations

from typing import Any

from medaudit.knowledge import default_knowledge

from . import label_check, label_offset

#: the national instance's parameters (packs/national/instances-policy.yaml)
MATERNITY_INSUTYPES = {"510"}
MATERNITY_MED_TYPES = {"51", "52"}


def _kb_rows(name: str) -> list[dict[str, Any]]:
    return default_knowledge().tables[name].to_pylist()


@label_check("insurance_type_limit")
def _insurance(w: Any, lab: dict[str, Any]) -> None:
    ln = w.lines[lab["line_id"]]
    e = w.enc[lab["mdtrt_id"]]
    d, it = w.drug(ln), w.item(ln)
    kinds = {d["insurance_only"]} if d and d["insurance_only"] else set()
    if it:
        kinds |= {r["insurance_only"] for r in _kb_rows("kb_item_insurance") if r["code_prefix"] == it["code_prefix"]}
    assert kinds and not ln["selfpay_flag"], lab
    for kind in kinds:  # no 工伤 insurance type in the national defaults; 生育 by insurance type or medical type
        assert kind == "工伤" or (e["insutype"] not in MATERNITY_INSUTYPES and e["med_type"] not in MATERNITY_MED_TYPES)
    assert lab["amount_fen"] == ln["amt_fen"]


def _herb_day(w: Any, ln: dict[str, Any]) -> tuple[set[str], set[str], str | None]:
    """(饮片 codes, flagged 饮片 codes) of the line's encounter and fee day, and the line's pay rule."""
    rules = {r["code_prefix"]: r["pay_rule"] for r in _kb_rows("kb_herb_policy")}
    day = ln["fee_ocur_time"].date()
    codes, flagged = set(), set()
    for o in w.by_enc[ln["mdtrt_id"]]:
        d = w.drug(o)
        if o["fee_ocur_time"].date() == day and (o["med_chrgitm_type"] == "10" or (d and d["category"] == "中药饮片")):
            codes.add(o["hilist_code"])
            if d and d["code_prefix"] in rules:
                flagged.add(o["hilist_code"])
    d = w.drug(ln)
    return codes, flagged, rules.get(d["code_prefix"]) if d else None


@label_check("herbal_single")
def _herbal(w: Any, lab: dict[str, Any]) -> None:
    ln = w.lines[lab["line_id"]]
    codes, flagged, rule = _herb_day(w, ln)
    assert rule and not ln["selfpay_flag"] and (rule == "单复方均不予支付" or codes == flagged), lab
    assert lab["amount_fen"] == ln["amt_fen"]


@label_offset("herbal_single")
def _herbal_offset(w: Any, lab: dict[str, Any]) -> int:
    """Flagged 饮片 less 饮片 of the prescription: 0 all flagged (fires), −1 one unflagged herb (near miss)."""
    codes, flagged, rule = _herb_day(w, w.lines[lab["line_id"]])
    assert rule == "单方不予支付"
    return len(flagged) - len(codes)


def _course_total(w: Any, lab: dict[str, Any]) -> tuple[int, int, int, dict[str, Any]]:
    """(days supplied by the patient's paid lines of the drug up to this line, course days, line days,
    line): the injected supplies never overlap and sit within the 30-day gap, so a plain sum is the
    course's days of use."""
    ln = w.lines[lab["line_id"]]
    d = w.drug(ln)
    assert d is not None
    rows = [r for r in _kb_rows("kb_course_limit") if r["code_prefix"] == d["code_prefix"]]
    assert len(rows) == 1, ln
    psn = w.enc[ln["mdtrt_id"]]["psn_no"]
    key = (ln["fee_ocur_time"], ln["line_id"])
    own = sorted((o for e in w.by_psn[psn] for o in w.by_enc[e["mdtrt_id"]]
                  if (od := w.drug(o)) and od["code_prefix"] == d["code_prefix"] and not o["selfpay_flag"]
                  and (o["fee_ocur_time"], o["line_id"]) <= key), key=lambda o: (o["fee_ocur_time"], o["line_id"]))
    for a, b in zip(own, own[1:], strict=False):  # consecutive supplies: no overlap, no new course
        gap = (b["fee_ocur_time"].date() - a["fee_ocur_time"].date()).days - (a["prd_days"] or 1)
        assert 0 <= gap < 30, (a, b)
    return sum(o["prd_days"] or 1 for o in own), int(rows[0]["course_days"]), ln["prd_days"] or 1, ln


@label_check("drug_course_limit")
def _course_check(w: Any, lab: dict[str, Any]) -> None:
    total, course, days, ln = _course_total(w, lab)
    assert total > course, lab
    assert lab["amount_fen"] == ln["amt_fen"] * min(days, total - course) // days


@label_offset("drug_course_limit")
def _course_offset(w: Any, lab: dict[str, Any]) -> int:
    total, course, _days, _ln = _course_total(w, lab)
    return total - course
