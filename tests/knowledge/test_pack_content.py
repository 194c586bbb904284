"""The shipped starter pack: sizes, code shapes, internal consistency and pinned examples."""

from __future__ import annotations

import re
from collections import Counter

import pytest
import yaml

from medaudit.knowledge import KnowledgeBase, default_knowledge, national_pack_path
from medaudit.knowledge.consistency import check_indications, check_references
from medaudit.schema.codes import CHRGITM_TYPE_ZH


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return default_knowledge()


def _drugs(kb: KnowledgeBase, name: str) -> list[dict]:
    return [r for r in kb.rows("kb_drug") if r["generic_name"] == name]


def test_minimum_sizes(kb: KnowledgeBase) -> None:
    c = kb.counts()
    assert c["kb_drug"] >= 300 and c["kb_item"] >= 300 and c["kb_item_relation"] >= 100
    pairs = {frozenset((r["prefix_a"][:10], r["prefix_b"][:10])) for r in kb.rows("kb_contraindication")}
    assert len(pairs) >= 20
    assert len({r["dise_no"] for r in kb.rows("kb_chronic_drug")}) >= 10
    assert c["kb_key_drug"] >= 20 and c["kb_gender_exception"] >= 3
    cats = Counter(r["category"] for r in kb.rows("kb_drug"))
    assert cats["西药"] >= 200 and cats["中成药"] >= 60


def test_manifest_says_illustrative() -> None:
    m = yaml.safe_load((national_pack_path() / "manifest.yaml").read_text(encoding="utf-8"))
    assert m["illustrative"] is True and m["layer"] == "national"
    assert "不是具有法律效力的目录" in m["description"]


def test_code_shapes(kb: KnowledgeBase) -> None:
    for r in kb.rows("kb_drug"):
        if r["category"] == "西药":
            assert re.fullmatch(r"X[A-Z]\d{2}[A-Z]{2}[A-Z]\d{3}[A-Z]\d", r["code_prefix"]), r
            assert r["drug_class"] and len(r["drug_class"]) == 4
        elif r["category"] == "中药饮片":  # T + 功效分类 (4 digits) + serial (5 digits)
            assert re.fullmatch(r"T\d{9}", r["code_prefix"]), r
        else:
            assert re.fullmatch(r"Z[A-Z]\d{2}[A-Z]{2}[A-Z]\d{4}", r["code_prefix"]), r
        assert r["chrgitm_lv"] in ("甲", "乙", "丙") and r["ref_price_fen"] and r["ref_price_fen"] > 0
    for r in kb.rows("kb_item"):
        assert re.fullmatch(r"00\d{13}", r["code_prefix"]), r
        assert r["category"] in CHRGITM_TYPE_ZH
    for r in kb.rows("kb_chronic_drug"):
        assert re.fullmatch(r"M\d{5}", r["dise_no"])


def test_internal_consistency(kb: KnowledgeBase) -> None:
    assert kb.notices == []  # the full ICD list is configured in the test environment
    assert check_references(kb) == []
    assert check_indications(kb) == []
    drugs = set(kb.tables["kb_drug"].column("code_prefix").to_pylist())
    items = set(kb.tables["kb_item"].column("code_prefix").to_pylist())
    # references are exact catalogue prefixes, so equality joins with the matched prefix work
    assert {r["drug_prefix"] for r in kb.rows("kb_chronic_drug")} <= drugs
    assert {r["code_prefix"] for r in kb.rows("kb_key_drug")} <= drugs
    assert {r["prefix_a"] for r in kb.rows("kb_contraindication")} | {
        r["prefix_b"] for r in kb.rows("kb_contraindication")} <= drugs
    consumables = set(kb.tables["kb_consumable"].column("code_prefix").to_pylist())
    # a consumable may depend on a procedure (requires: 耗材 → 手术/操作), nothing else names one
    assert {r["code_a"] for r in kb.rows("kb_item_relation")} <= items | consumables
    assert {r["code_a"] for r in kb.rows("kb_item_relation") if r["code_a"] in consumables
            and r["relation"] != "requires"} == set()
    assert {r["code_b"] for r in kb.rows("kb_item_relation")} <= items
    assert {r["code_prefix"] for r in kb.rows("kb_item_level")} | {
        r["code_prefix"] for r in kb.rows("kb_surgery")} <= items
    assert {r["code_prefix"] for r in kb.rows("kb_consumable_limit")} <= consumables
    assert {r["code_prefix"] for r in kb.rows("kb_gender_exception")} <= drugs | items
    assert {r["code_prefix"] for r in kb.rows("kb_drug_indication")} <= drugs
    assert {r["code_prefix"] for r in kb.rows("kb_item_dept")} <= items
    assert {r["code_prefix"] for r in kb.rows("kb_item_insurance")} <= items
    assert {r["code_prefix"] for r in kb.rows("kb_herb_policy")} <= {
        r["code_prefix"] for r in kb.rows("kb_drug") if r["category"] == "中药饮片"}
    assert {r["code_prefix"] for r in kb.rows("kb_course_limit")} <= drugs | items
    swaps = kb.rows("kb_item_swap")
    assert swaps and {r["billed_prefix"] for r in swaps} | {r["actual_prefix"] for r in swaps} <= drugs | items
    # a drug whose ingredient recurs must be distinguishable by prefix for 重复用药
    assert len({r["code_prefix"] for r in kb.rows("kb_drug")}) == kb.counts()["kb_drug"]


def test_price_caps_increase_with_level(kb: KnowledgeBase) -> None:
    for r in kb.rows("kb_item"):
        caps = [r[f"price_cap_lv{i}_fen"] for i in (1, 2, 3)]
        assert None not in caps and caps[0] <= caps[1] <= caps[2], r["name"]


def test_pinned_examples(kb: KnowledgeBase) -> None:
    ind: dict[str, set[str]] = {}
    for r in kb.rows("kb_drug_indication"):
        ind.setdefault(r["code_prefix"], set()).add(r["icd_prefix"])
    assert all(d["gender"] == "2" for d in _drugs(kb, "黄体酮"))
    assert all(d["gender"] == "1" for d in _drugs(kb, "非那雄胺") + _drugs(kb, "坦索罗辛"))
    assert all(ind[d["code_prefix"]] == {"E11"} for d in _drugs(kb, "二甲双胍"))
    assert all({"E78", "I25", "I63"} <= ind[d["code_prefix"]] for d in _drugs(kb, "阿托伐他汀"))
    assert all(ind[d["code_prefix"]] == {"J09", "J10", "J11"} for d in _drugs(kb, "奥司他韦"))
    ibu = [r for r in kb.rows("kb_drug") if r["ingredient"] == "布洛芬"]
    assert {r["dosage_form"] for r in ibu} >= {"口服常释剂型", "缓释控释剂型"}
    amox = {r["generic_name"] for r in kb.rows("kb_drug") if r["ingredient"] == "阿莫西林"}
    assert {"阿莫西林", "阿莫西林克拉维酸钾"} <= amox
    assert any(r["second_line"] for r in kb.rows("kb_drug"))
    assert {r["insurance_only"] for r in kb.rows("kb_drug")} >= {"工伤", "生育"}
    assert any(r["min_level"] == 2 for r in kb.rows("kb_drug"))
    assert any(r["age_max"] == 18 for r in kb.rows("kb_drug"))
    items = {r["name"]: r for r in kb.rows("kb_item")}
    for name in ("普通病房床位费", "住院诊查费", "Ⅰ级护理", "Ⅱ级护理"):
        assert items[name]["max_per_day"] == 1
    assert items["妇科检查"]["gender"] == "2" and items["阴道镜检查"]["gender"] == "2"
    assert items["前列腺特异性抗原测定(PSA)"]["gender"] == "1"
    assert items["新生儿护理"]["age_max"] == 1
    hba1c = items["糖化血红蛋白测定"]["code_prefix"]
    assert {r["icd_prefix"] for r in kb.rows("kb_item_indication") if r["code_prefix"] == hba1c} >= {
        "E10", "E11", "E13", "E14", "O24"}
    rel = {(r["code_a"], r["code_b"], r["relation"]) for r in kb.rows("kb_item_relation")}
    code = {n: r["code_prefix"] for n, r in items.items()}
    assert (code["急诊监护费"], code["急诊诊查费"], "included") in rel
    assert (code["Ⅰ级护理"], code["Ⅱ级护理"], "included") in rel
    assert (code["全身麻醉"], code["局部浸润麻醉"], "included") in rel
    for part in ("血浆凝血酶原时间测定(PT)", "活化部分凝血活酶时间测定(APTT)", "凝血酶时间测定(TT)",
                 "血浆纤维蛋白原测定(FIB)"):
        assert (code["凝血功能常规检查"], code[part], "decomposed") in rel
    kinds = Counter(r["relation"] for r in kb.rows("kb_item_relation"))
    assert set(kinds) == {"exclusive", "included", "requires", "decomposed"}
    assert {r["time_window"] for r in kb.rows("kb_item_relation")} == {"day", "encounter"}
    warfarin = {r["code_prefix"] for r in _drugs(kb, "华法林")}
    aspirin = {r["code_prefix"] for r in _drugs(kb, "阿司匹林")}
    assert any({r["prefix_a"], r["prefix_b"]} <= warfarin | aspirin and r["prefix_a"] in warfarin
               for r in kb.rows("kb_contraindication"))
