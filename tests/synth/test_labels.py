"""Every label names a violation that is really in the data: one independent check per type.

The checks read the generated tables and the knowledge tables directly (plain Python over rows), not
the generator's own checker, so a generator bug cannot hide behind itself.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import pytest

from medaudit.knowledge import default_knowledge
from medaudit.synth import SCHEMES, SynthResult, write
from medaudit.synth.schemes import violation_types

from .label_families import FAMILY_CHECKS, FAMILY_OFFSETS

LIMITS = {"outpatient": 7, "emergency": 3, "chronic": 84, "pharmacy": 30}
#: the must-fire types of the stay region (tests/synth/conftest.py): the rare encounter-level types
#: and the stay-line rules, with the 项目超限次 findings beside bulk-uploaded and hourly-overbilled stays
STAY_REGION_TYPES = {"abnormal_los", "after_death", "low_standard_admission", "split_admission",
                     "fee_outside_stay", "fee_bulk_upload", "item_over_los", "item_over_freq", "idle_bed",
                     "cohort_admission", "diagnosis_age", "los_by_diagnosis"}
#: types measured only in tests/synth/test_losdx.py's larger region: groups of 20 stays of one main
#: diagnosis (los_by_diagnosis; in the stay region only beside abnormal_los) and free calendars for
#: new 4–6 day check-up stays (checkup_admission) are too rare in the shared regions
LOS_REGION_TYPES = {"los_by_diagnosis", "checkup_admission"}


def _longest(code: str, rows: list[dict[str, Any]]) -> dict[str, Any] | None:
    best = None
    for r in rows:
        if code.startswith(r["code_prefix"]) and (best is None or len(r["code_prefix"]) > len(best["code_prefix"])):
            best = r
    return best


def _age(brdy: dt.date, day: dt.date) -> int:
    return day.year - brdy.year - ((day.month, day.day) < (brdy.month, brdy.day))


class World:
    def __init__(self, res: SynthResult):
        kb = default_knowledge().tables
        self.drugs = kb["kb_drug"].to_pylist()
        self.items = kb["kb_item"].to_pylist()
        self.ind: dict[str, list[str]] = defaultdict(list)
        for r in kb["kb_drug_indication"].to_pylist():
            self.ind[r["code_prefix"]].append(r["icd_prefix"])
        self.iind: dict[str, list[str]] = defaultdict(list)
        for r in kb["kb_item_indication"].to_pylist():
            self.iind[r["code_prefix"]].append(r["icd_prefix"])
        self.idept: dict[str, list[str]] = defaultdict(list)
        for r in kb["kb_item_dept"].to_pylist():
            self.idept[r["code_prefix"]].append(r["dept_code"])
        self.visits: dict[str, list[str]] = defaultdict(list)
        for r in kb["kb_drug_visit"].to_pylist():
            self.visits[r["code_prefix"]].append(r["visit_type"])
        self.rel = kb["kb_item_relation"].to_pylist()
        self.contra = kb["kb_contraindication"].to_pylist()
        self.chronic: dict[str, list[str]] = defaultdict(list)
        for r in kb["kb_chronic_drug"].to_pylist():
            self.chronic[r["dise_no"]].append(r["drug_prefix"])
        t = res.tables
        self.tables = t  # raw rows for the template families' own label checks
        self.enc = {e["mdtrt_id"]: e for e in t["encounters"].to_pylist()}
        self.pat = {p["psn_no"]: p for p in t["patients"].to_pylist()}
        self.inst = {i["fixmedins_code"]: i for i in t["institutions"].to_pylist()}
        self.staff = {s["staff_code"]: s for s in t["staff"].to_pylist()}
        self.lines = {ln["line_id"]: ln for ln in t["fee_lines"].to_pylist() if not ln["refund_flag"]}
        self.by_enc: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for ln in self.lines.values():
            self.by_enc[ln["mdtrt_id"]].append(ln)
        self.diag: dict[str, list[str]] = defaultdict(list)
        for d in t["diagnoses"].to_pylist():
            self.diag[d["mdtrt_id"]].append(d["diag_code"])
        self.by_psn: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for e in self.enc.values():
            self.by_psn[e["psn_no"]].append(e)

    def drug(self, ln: dict[str, Any]) -> dict[str, Any] | None:
        return _longest(ln["hilist_code"], self.drugs)

    def item(self, ln: dict[str, Any]) -> dict[str, Any] | None:
        return _longest(ln["hilist_code"], self.items)

    def others(self, ln: dict[str, Any], same_day: bool = True) -> list[dict[str, Any]]:
        key = (ln["fee_ocur_time"], ln["line_id"])
        return [o for o in self.by_enc[ln["mdtrt_id"]] if (o["fee_ocur_time"], o["line_id"]) < key
                and (not same_day or o["fee_ocur_time"].date() == ln["fee_ocur_time"].date())]


def check(w: World, lab: dict[str, Any]) -> None:  # noqa: C901 - one branch per violation type
    vt, amount = lab["violation_type"], lab["amount_fen"]
    if vt in FAMILY_CHECKS:
        FAMILY_CHECKS[vt](w, lab)
        return
    e = w.enc[lab["mdtrt_id"]]
    p = w.pat[e["psn_no"]]
    los = (e["dscg_time"].date() - e["adm_time"].date()).days
    if lab["line_id"] is None:
        assert vt in {"outpatient_during_stay", "concurrent_stay", "split_admission", "abnormal_los", "after_death",
                      "guidance_remote", "low_standard_admission"}
        stays = [s for s in w.by_psn[e["psn_no"]] if s["visit_type"] == "inpatient" and s is not e]
        day = e["adm_time"].date()
        if vt == "outpatient_during_stay":
            sd = e["setl_time"].date()
            assert e["visit_type"] != "inpatient"
            assert any(s["adm_time"].date() < sd < s["dscg_time"].date() for s in stays)
        elif vt == "concurrent_stay":
            assert any(s["adm_time"].date() < e["dscg_time"].date() and day < s["dscg_time"].date()
                       and s["adm_time"] <= e["adm_time"] for s in stays)
        elif vt == "split_admission":
            assert any(s["fixmedins_code"] == e["fixmedins_code"] and 0 <= (day - s["dscg_time"].date()).days <= 15
                       for s in stays)
        elif vt == "abnormal_los":
            assert los > 60 and amount == e["fund_pay_fen"] * (los - 60) // los
            return
        elif vt == "after_death":
            assert p["die_date"] is not None and day > p["die_date"]
        elif vt == "guidance_remote":
            i = w.inst[e["fixmedins_code"]]
            assert i["guidance_flag"] and not i["regional_center_flag"] and e["psn_admdvs"] != e["medins_admdvs"]
        elif vt == "low_standard_admission":
            lines = w.by_enc[e["mdtrt_id"]]
            total = sum(x["amt_fen"] for x in lines)
            exam = sum(x["amt_fen"] for x in lines if x["med_chrgitm_type"] in ("03", "04"))
            drug = sum(x["amt_fen"] for x in lines if x["med_chrgitm_type"] in ("09", "10", "11"))
            assert los <= 3 and exam * 100 >= 70 * total and drug * 100 <= 10 * total
        assert amount == e["fund_pay_fen"]
        return
    ln = w.lines[lab["line_id"]]
    assert ln["mdtrt_id"] == e["mdtrt_id"]
    amt, day = ln["amt_fen"], ln["fee_ocur_time"].date()
    d, it = w.drug(ln), w.item(ln)
    diags = w.diag[e["mdtrt_id"]]
    inst = w.inst[e["fixmedins_code"]]
    expected = amt
    if vt == "drug_gender":
        assert d and d["gender"] and d["gender"] != p["gend"]
    elif vt == "item_gender":
        assert it and it["gender"] and it["gender"] != p["gend"]
    elif vt == "drug_age":
        age = _age(p["brdy"], day)
        assert d and ((d["age_min"] is not None and age < d["age_min"]) or (d["age_max"] is not None and age >= d["age_max"]))
    elif vt == "drug_indication":
        assert d and w.ind[d["code_prefix"]] and not any(g.startswith(x) for g in diags for x in w.ind[d["code_prefix"]])
    elif vt == "drug_level":
        assert d and d["min_level"] is not None and d["min_level"] > inst["medins_lv"]
    elif vt == "drug_visit_type":
        assert d and w.visits[d["code_prefix"]] and e["visit_type"] not in w.visits[d["code_prefix"]]
    elif vt == "drug_max_dose":
        assert d and ln["dose_unit"] == d["dose_unit"] and ln["daily_dose_milli"] > d["max_daily_dose_milli"]
        dose, mx = ln["daily_dose_milli"], d["max_daily_dose_milli"]
        expected = amt * (dose - mx) // dose
    elif vt == "drug_over_days":
        assert d
        limit = d["max_days"] or (7 if e["visit_type"] == "inpatient" else LIMITS[e["visit_type"]])
        assert e["visit_type"] != "inpatient" or ln["drord_bhvr"] == "1"
        assert ln["prd_days"] > limit
        expected = amt * (ln["prd_days"] - limit) // ln["prd_days"]
    elif vt == "drug_duplicate":
        assert d and any((od := w.drug(o)) and od["ingredient"] == d["ingredient"] and od["code_prefix"] != d["code_prefix"]
                         for o in w.others(ln))
    elif vt == "drug_contraindication":
        def pair(a: str, b: str) -> bool:
            return any((a.startswith(c["prefix_a"]) and b.startswith(c["prefix_b"]))
                       or (a.startswith(c["prefix_b"]) and b.startswith(c["prefix_a"])) for c in w.contra)
        assert any(pair(o["hilist_code"], ln["hilist_code"]) for o in w.others(ln))
    elif vt == "chronic_drug_scope":
        assert d and e["visit_type"] == "chronic" and w.chronic[e["dise_no"]]
        assert d["code_prefix"] not in w.chronic[e["dise_no"]]
    elif vt == "not_in_catalogue":
        assert d is None and it is None and ln["med_chrgitm_type"] != "08"
    elif vt == "duplicate_trace_code":
        assert ln["drug_trac_codg"]
        assert any(o["drug_trac_codg"] == ln["drug_trac_codg"] and not (o["trdn_flag"] and ln["trdn_flag"])
                   for o in w.others(ln, same_day=False))
    elif vt == "over_price":
        cap = it and it[f"price_cap_lv{max(inst['medins_lv'], 1)}_fen"]
        assert cap and ln["pric_fen"] > cap
        expected = (ln["pric_fen"] - cap) * ln["cnt_milli"] // 1000
    elif vt == "item_over_freq":
        assert it and it["max_per_day"]
        units = sum(o["cnt_milli"] for o in w.by_enc[e["mdtrt_id"]]
                    if o["hilist_code"] == ln["hilist_code"] and o["fee_ocur_time"].date() == day) // 1000
        assert units > it["max_per_day"]
        expected = (units - it["max_per_day"]) * ln["pric_fen"]
    elif vt == "duplicate_charge":
        assert any(ln["hilist_code"].startswith(r["code_b"]) and r["relation"] in ("exclusive", "included") and any(
            o["hilist_code"].startswith(r["code_a"]) and o is not ln
            and (r["time_window"] == "encounter" or o["fee_ocur_time"].date() == day) for o in w.by_enc[e["mdtrt_id"]])
            for r in w.rel)
    elif vt == "decomposed_charge":
        same_day = [o for o in w.by_enc[e["mdtrt_id"]] if o["fee_ocur_time"].date() == day]
        ok = False
        for panel in {r["code_a"] for r in w.rel if r["relation"] == "decomposed" and ln["hilist_code"].startswith(r["code_b"])}:
            comps = {r["code_b"] for r in w.rel if r["relation"] == "decomposed" and r["code_a"] == panel}
            billed = {c for c in comps for o in same_day if o["hilist_code"].startswith(c)}
            ok |= len(billed) >= 2 and not any(o["hilist_code"].startswith(panel) for o in same_day)
        assert ok
    elif vt == "item_indication":
        assert it
        ind, depts = w.iind[it["code_prefix"]], w.idept[it["code_prefix"]]
        assert (ind and not any(g.startswith(x) for g in diags for x in ind)) or (
            depts and ln["bilg_dept_code"] not in depts and e["dept_code"] not in depts)
    elif vt == "drug_second_line":
        assert d and d["second_line"]
        firsts = [o for s in w.by_psn[e["psn_no"]] for o in w.by_enc[s["mdtrt_id"]]
                  if (od := w.drug(o)) and od["drug_class"] == d["drug_class"] and not od["second_line"]
                  and 0 <= (day - o["fee_ocur_time"].date()).days <= 90]
        assert not firsts
    else:  # pragma: no cover
        raise AssertionError(vt)
    assert amount == expected, (vt, amount, expected)


def threshold_offset(w: World, lab: dict[str, Any]) -> int:
    """How far the labelled line (or stay) is from its rule's parameter: value − N."""
    vt, e = lab["violation_type"], w.enc[lab["mdtrt_id"]]
    if vt in FAMILY_OFFSETS:
        return FAMILY_OFFSETS[vt](w, lab)
    if vt == "abnormal_los":
        return (e["dscg_time"].date() - e["adm_time"].date()).days - 60
    if vt == "split_admission":
        prev = [s for s in w.by_psn[e["psn_no"]] if s["visit_type"] == "inpatient" and s is not e
                and s["fixmedins_code"] == e["fixmedins_code"] and s["adm_time"] < e["adm_time"]
                and s["dscg_time"].date() <= e["adm_time"].date()]
        gap = min((e["adm_time"].date() - s["dscg_time"].date()).days for s in prev)
        return 16 - gap if gap > 0 else 1  # gap 15 (and 0, a same-day readmission) is over; 16 is the near-miss
    ln = w.lines[lab["line_id"]]
    d, it = w.drug(ln), w.item(ln)
    if vt == "drug_over_days":
        assert d
        return int(ln["prd_days"]) - (d["max_days"] or LIMITS[e["visit_type"]])
    if vt == "drug_max_dose":
        assert d
        return int(ln["daily_dose_milli"]) - int(d["max_daily_dose_milli"])
    if vt == "over_price":
        assert it
        return int(ln["pric_fen"]) - int(it[f"price_cap_lv{max(w.inst[e['fixmedins_code']]['medins_lv'], 1)}_fen"])
    assert vt == "item_over_freq" and it, vt
    day = ln["fee_ocur_time"].date()
    units = sum(o["cnt_milli"] for o in w.by_enc[e["mdtrt_id"]]
                if o["hilist_code"] == ln["hilist_code"] and o["fee_ocur_time"].date() == day) // 1000
    return units - int(it["max_per_day"])


def test_every_label_is_present_in_the_data(region: SynthResult) -> None:
    w = World(region)
    labels = region.labels.to_pylist()
    must = [lab for lab in labels if lab["kind"] != "near_miss"]
    kinds = Counter(lab["violation_type"] for lab in must)
    types = violation_types()
    # the small region has few stays: the rare stay types are carried by the stay region instead
    assert types - set(kinds) <= STAY_REGION_TYPES | LOS_REGION_TYPES, sorted(types - set(kinds) - STAY_REGION_TYPES)
    for lab in must:
        check(w, lab)
    # one injection per encounter (decomposed charges label each component line), except co-occurrences
    per_enc = {(lab["mdtrt_id"], lab["violation_type"]) for lab in must if lab["kind"] != "co_occurring"}
    assert len({m for m, _ in per_enc}) == len(per_enc)
    co = defaultdict(set)
    for lab in must:
        if lab["kind"] == "co_occurring":
            co[lab["mdtrt_id"]].add(lab["violation_type"])
    assert len(co) >= 20 and all(len(t) == 2 for t in co.values()), co


def test_near_misses_sit_at_the_threshold_and_boundaries_just_over(region: SynthResult, stay_region: SynthResult) -> None:
    seen: Counter[tuple[str, str, int]] = Counter()
    for res in (region, stay_region):
        w = World(res)
        for lab in res.labels.to_pylist():
            if lab["kind"] in ("near_miss", "boundary"):
                seen[(lab["kind"], lab["violation_type"], threshold_offset(w, lab))] += 1
    kinds = {(k, t) for k, t, _ in seen}
    for t in ("drug_over_days", "drug_max_dose", "over_price", "item_over_freq", "abnormal_los", "split_admission",
              "fee_outside_stay"):
        assert ("near_miss", t) in kinds and ("boundary", t) in kinds, t
    assert {("near_miss", "fee_bulk_upload"), ("near_miss", "item_over_los")} <= kinds
    assert {off for k, _, off in seen if k == "near_miss"} <= {0, -1}
    assert {off for k, _, off in seen if k == "boundary"} == {1}
    assert sum(n for (k, _, off), n in seen.items() if k == "near_miss" and off == 0) >= 50


def test_rare_encounter_types_are_present(stay_region: SynthResult) -> None:
    w = World(stay_region)
    labels = [lab for lab in stay_region.labels.to_pylist() if lab["kind"] != "near_miss"]
    assert {lab["violation_type"] for lab in labels} == STAY_REGION_TYPES
    for lab in labels:
        check(w, lab)


@pytest.mark.parametrize("which", ["region", "stay_region"])
def test_rule_engine_finds_exactly_the_labels(which: str, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    """The project's rule engine (pinned semantics) finds every label and nothing else."""
    from medaudit.engine.batch import run_batch

    region: SynthResult = request.getfixturevalue(which)
    from medaudit.rules.loader import NATIONAL_PACK, load_rulebase

    write(region, tmp_path, "parquet")
    res = run_batch(str(tmp_path), default_knowledge(), load_rulebase([NATIONAL_PACK]), engine="duckdb")
    f = res.findings.to_pylist()
    got = Counter((r["rule_id"], r["mdtrt_id"], r["line_id"], r["amount_fen"]) for r in f)
    labels = region.labels.to_pylist()
    want = Counter((r["violation_type"], r["mdtrt_id"], r["line_id"], r["amount_fen"]) for r in labels
                   if r["kind"] != "near_miss")
    assert got == want
    # near-misses sit at a threshold: no finding of their type on their line (or encounter)
    near = {(r["violation_type"], r["mdtrt_id"], r["line_id"]) for r in labels if r["kind"] == "near_miss"}
    assert len(near) >= 10
    assert not near & {(r["rule_id"], r["mdtrt_id"], r["line_id"]) for r in f}


@pytest.mark.parametrize("vtype", ["drug_gender", "split_admission"])
def test_rates_switch_types(vtype: str) -> None:
    from medaudit.synth import SynthConfig, generate

    zero = {k: 0.0 for k in SCHEMES}
    res = generate(SynthConfig(patients=400, months=3, seed=9, rates=zero | {vtype: 0.5}))
    types = set(res.labels.column("violation_type").to_pylist())
    assert types == {vtype}
