from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa
import pytest

from medaudit.knowledge import KB_TABLES, KnowledgeError, load_layers, load_pack, national_pack_path
from medaudit.schema.arrow import arrow_schema
from tests.knowledge.conftest import write_pack

DRUG_HEADER = ("code_prefix,generic_name,dosage_form,category,chrgitm_lv,restriction_text,gender,age_max,"
               "min_level,max_daily_dose,dose_unit,ingredient,ref_price,indications,visit_types,disabled,"
               "begndate,enddate\n")
ITEM_HEADER = "code_prefix,name,category,unit,price_cap_lv1,price_cap_lv2,price_cap_lv3,max_per_day,departments\n"


def _national(tmp: Path) -> Path:
    return write_pack(tmp / "nat", name="nat", layer="national", files={
        "drugs.csv": DRUG_HEADER
        + "XA10BAE001A0,二甲双胍,口服常释剂型,西药,甲,,,,,2550,mg,二甲双胍,0.05,E11,,,,\n"
        + "XJ05AHA001A0,奥司他韦,口服常释剂型,西药,乙,,,,,150,mg,奥司他韦,3.50,J09|J10|J11,,,,\n"
        + "XG03DAH001B0,黄体酮,注射剂,西药,甲,,2,,,,,黄体酮,0.60,,,,,\n",
        "items.csv": ITEM_HEADER
        + "001109000010000,普通病房床位费,01,日,20.00,30.00,40.00,1,\n"
        + "001204000060000,静脉输液,05,组,6,8.5,10.05,3,A03|A04\n",
        "item_relations.csv": "code_a,code_b,relation,time_window,note\n"
        + "001109000010000,001204000060000,exclusive,day,测试\n",
    })


def test_tables_conform_exactly_to_contract_schemas() -> None:
    kb = load_layers([national_pack_path()])
    assert set(kb.tables) == set(KB_TABLES)
    for name, table in KB_TABLES.items():
        assert kb.tables[name].schema.equals(arrow_schema(table)), name
    assert kb.versions == {"national-starter": "2025.1"}
    assert kb.manifest is not None and kb.manifest.illustrative


def test_money_and_doses_convert_exactly(tmp_path: Path) -> None:
    kb = load_layers([_national(tmp_path)], with_codes=False)
    items = {r["name"]: r for r in kb.rows("kb_item")}
    assert items["静脉输液"]["price_cap_lv1_fen"] == 600
    assert items["静脉输液"]["price_cap_lv2_fen"] == 850
    assert items["静脉输液"]["price_cap_lv3_fen"] == 1005
    drugs = {r["generic_name"]: r for r in kb.rows("kb_drug")}
    assert drugs["二甲双胍"]["max_daily_dose_milli"] == 2_550_000
    assert drugs["奥司他韦"]["ref_price_fen"] == 350
    assert drugs["黄体酮"]["gender"] == "2"
    ind = kb.tables["kb_drug_indication"].to_pylist()
    assert {r["icd_prefix"] for r in ind if r["code_prefix"] == "XJ05AHA001A0"} == {"J09", "J10", "J11"}
    depts = kb.tables["kb_item_dept"].to_pylist()
    assert {r["dept_code"] for r in depts} == {"A03", "A04"}
    assert kb.tables["kb_diagnosis"].num_rows == 0


def test_layering_overrides_disables_and_adds(tmp_path: Path) -> None:
    nat = _national(tmp_path)
    prov = write_pack(tmp_path / "prov", name="gd", layer="province", version="2025.3", files={
        "drugs.csv": DRUG_HEADER
        # override: 奥司他韦 now restricted to children, only J10|J11, inpatient or emergency
        + "XJ05AHA001A0,奥司他韦,口服常释剂型,西药,乙,限儿童,,18,,150,mg,奥司他韦,3.20,J10|J11,emergency|inpatient,,,\n"
        # disable 黄体酮 (only the key is needed)
        + "XG03DAH001B0,,,,,,,,,,,,,,,1,,\n",
        "items.csv": ITEM_HEADER + "001204000060000,静脉输液,05,组,6,8.5,10.05,3,\n",
    })
    city = write_pack(tmp_path / "city", name="gz", layer="city", files={
        "items.csv": ITEM_HEADER + "001103000010000,急诊监护费,05,日,60,80,100,1,\n",
    })
    kb = load_layers([nat, prov, city], with_codes=False)
    assert kb.versions == {"nat": "1", "gd": "2025.3", "gz": "1"}
    assert kb.manifest is not None and kb.manifest.name == "gz"
    drugs = {r["code_prefix"]: r for r in kb.rows("kb_drug")}
    assert "XG03DAH001B0" not in drugs
    assert drugs["XJ05AHA001A0"]["age_max"] == 18 and drugs["XJ05AHA001A0"]["ref_price_fen"] == 320
    ind = {r["icd_prefix"] for r in kb.rows("kb_drug_indication") if r["code_prefix"] == "XJ05AHA001A0"}
    assert ind == {"J10", "J11"}  # the children are replaced with the row, not merged
    visits = {r["visit_type"] for r in kb.rows("kb_drug_visit")}
    assert visits == {"emergency", "inpatient"}
    assert kb.tables["kb_item_dept"].num_rows == 0  # province restated 静脉输液 without departments
    assert {r["name"] for r in kb.rows("kb_item")} == {"普通病房床位费", "静脉输液", "急诊监护费"}
    assert kb.warnings == []


def test_disabling_a_referenced_item_leaves_a_warning(tmp_path: Path) -> None:
    nat = _national(tmp_path)
    prov = write_pack(tmp_path / "prov", name="gd", layer="province", files={
        "items.csv": "code_prefix,name,category,disabled\n001204000060000,,,1\n"})
    kb = load_layers([nat, prov], with_codes=False)
    assert kb.tables["kb_item"].num_rows == 1
    assert len(kb.warnings) == 1
    w = kb.warnings[0]
    assert w.file.endswith("item_relations.csv") and w.line == 2 and w.column == "code_b"


def test_as_of_drops_expired_rows_and_packs(tmp_path: Path) -> None:
    nat = _national(tmp_path)
    prov = write_pack(tmp_path / "prov", name="gd", layer="province", files={
        "drugs.csv": DRUG_HEADER
        + "XA10BAE001A0,二甲双胍,口服常释剂型,西药,乙,,,,,2000,mg,二甲双胍,0.06,E11,,,2024-01-01,2024-12-31\n",
    })
    later = write_pack(tmp_path / "later", name="later", layer="city", files={
        "items.csv": ITEM_HEADER + "001103000010000,急诊监护费,05,日,60,80,100,1,\n",
    }, extra="effective_from: 2026-01-01\n")
    kb24 = load_layers([nat, prov, later], as_of=dt.date(2024, 6, 1), with_codes=False)
    kb25 = load_layers([nat, prov, later], as_of=dt.date(2025, 6, 1), with_codes=False)
    p24 = {r["generic_name"]: r["ref_price_fen"] for r in kb24.rows("kb_drug")}["二甲双胍"]
    p25 = {r["generic_name"]: r["ref_price_fen"] for r in kb25.rows("kb_drug")}["二甲双胍"]
    assert (p24, p25) == (6, 5)
    assert "later" not in kb25.versions
    assert kb25.tables["kb_item"].num_rows == 2


def test_layers_must_be_ordered(tmp_path: Path) -> None:
    nat = _national(tmp_path)
    city = write_pack(tmp_path / "city", name="gz", layer="city", files={})
    with pytest.raises(KnowledgeError) as exc:
        load_layers([city, nat], with_codes=False)
    assert any(p.column == "layer" for p in exc.value.problems)


def test_validation_reports_every_problem_with_location(tmp_path: Path) -> None:
    pack = write_pack(tmp_path / "bad", name="bad", layer="national", files={
        "drugs.csv": DRUG_HEADER
        + "XA10BAE001A0,二甲双胍,口服常释剂型,西药,甲,,3,,,2550,mg,二甲双胍,0.05,E11,,,,\n"   # line 2: gender 3
        + "XA10BAE001A0,二甲双胍,口服常释剂型,西药,甲,,,,,2550,mg,二甲双胍,0.05,E11,,,,\n"   # line 3: ok
        + "XA10BAE001A0,二甲双胍,口服常释剂型,西药,甲,,,,,2550,mg,二甲双胍,0.05,E11,,,,\n"   # line 4: duplicate
        + "XJ05AHA001A0,奥司他韦,口服常释剂型,西药,丁,,,,,150,,奥司他韦,3.505,J09|bad,,,,\n",  # line 5
        "items.csv": "code_prefix,name,category,price_cap_lv1_fen\n001,x,01,100\n",
        "item_relations.csv": "code_a,code_b,relation,time_window\n1,2,sometimes,day\n",
        "extra.csv": "a\n1\n",
    })
    with pytest.raises(KnowledgeError) as exc:
        load_pack(pack)
    probs = {(Path(p.file).name, p.line, p.column) for p in exc.value.problems}
    assert ("drugs.csv", 2, "gender") in probs
    assert ("drugs.csv", 4, "code_prefix") in probs
    assert ("drugs.csv", 5, "chrgitm_lv") in probs
    assert ("drugs.csv", 5, "ref_price") in probs
    assert ("drugs.csv", 5, "dose_unit") in probs
    assert ("drugs.csv", 5, "indications") in probs
    assert ("items.csv", 1, "price_cap_lv1_fen") in probs
    assert ("item_relations.csv", 2, "relation") in probs
    assert ("extra.csv", None, None) in probs
    assert not any(p.line == 3 for p in exc.value.problems if p.file.endswith("drugs.csv"))
    text = str(exc.value)
    assert "drugs.csv:2 (gender)" in text and "drugs.csv:5 (ref_price)" in text


def test_manifest_problems_are_reported(tmp_path: Path) -> None:
    folder = tmp_path / "m"
    folder.mkdir()
    (folder / "manifest.yaml").write_text("name: x\nlayer: county\neffective_from: '2025-13-01'\n", encoding="utf-8")
    with pytest.raises(KnowledgeError) as exc:
        load_pack(folder)
    cols = {p.column for p in exc.value.problems}
    assert {"version", "region", "layer", "effective_from"} <= cols


def test_children_rows_are_sorted_and_typed() -> None:
    kb = load_layers([national_pack_path()], with_codes=False)
    t = kb.tables["kb_drug"]
    prefixes = t.column("code_prefix").to_pylist()
    assert prefixes == sorted(prefixes)
    assert t.schema.field("ref_price_fen").type == pa.int64()
    assert kb.fingerprint() == load_layers([national_pack_path()], with_codes=False).fingerprint()
