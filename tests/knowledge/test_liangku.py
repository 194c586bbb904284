"""The NHSA knowledge points (两库) as the national layer: grammar, supersede by date, citations."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

import medaudit.commands  # noqa: F401  (registers the commands)
from medaudit.cli import app
from medaudit.knowledge import KnowledgeError, load_layers, national_knowledge, national_pack_path
from medaudit.knowledge.liangku import (
    CHILD_AGE_MAX,
    Point,
    build_layer,
    liangku_dir,
    parse_child_ages,
    parse_course_days,
    parse_level,
    parse_point,
    parse_visit_types,
    read_indication_map,
    read_liangku,
)

APALUTAMIDE = "XL02BBA326A001010102180"
REVISION_DAY = dt.date(2026, 1, 28)
runner = CliRunner()


def _point(rule_class: str, constraint: str, *, limit: str = "", codes: tuple[str, ...] = ("XA01",),
           name: str = "某药") -> Point:
    return Point("T-1", "1", dt.date(2025, 5, 23), rule_class, "GZ10000301004000", "", "", name, constraint,
                 "", limit, "", "f.xlsx", 1, codes)


# ------------------------------------------------------------------------------------------ grammar

@pytest.mark.parametrize(("text", "level"), [
    ("限二级及以上医疗机构。", 2), ("限三级医院使用", 3), ("需三级医院眼科或二级及以上眼科专科医院医师处方", 2),
    ("限二级及以上医疗机构癌症患者。", 2), ("限脑梗死患者。", None)])
def test_level_grammar(text: str, level: int | None) -> None:
    assert parse_level(text) == level


@pytest.mark.parametrize(("text", "ages"), [
    ("限2岁至11岁儿童慢性便秘。", (2, 12)), ("限3-12岁特发性或先天性肺动脉高压患者。", (3, 13)),
    ("限5至12岁以下单纯性甲型和乙型流感儿童患者。", (5, 12)), ("限3岁及以上儿童的生长激素缺乏症", (3, CHILD_AGE_MAX)),
    ("限：1.1岁至14岁儿童哮喘；2.2岁至14岁儿童过敏性鼻炎。", (1, 15)), ("限儿童。", None)])
def test_child_age_grammar(text: str, ages: tuple[int, int] | None) -> None:
    assert parse_child_ages(text) == ages


@pytest.mark.parametrize(("text", "days"), [
    ("支付不超过14天。", 14), ("单次住院最多支付14天。", 14), ("且支付不超过12个月：1.HER2阳性", 360),
    ("支付不超过一年，每周最多支付一次。", 365), ("限脑外伤所致的脑功能障碍患者", None)])
def test_course_grammar(text: str, days: int | None) -> None:
    assert parse_course_days(text) == days


def test_visit_grammar() -> None:
    assert parse_visit_types("补充足够营养的住院患者方予支付。") == ["inpatient"]
    assert parse_visit_types("限门诊和住院使用") is None
    assert parse_visit_types("限重度炎症患者") is None


def test_point_grammar_reads_or_says_why() -> None:
    assert parse_point(_point("药品区分性别使用", "x", limit="男"), {}).values == {"gender": "1"}
    assert "性别" in (parse_point(_point("药品区分性别使用", "x"), {}).reason or "")
    assert parse_point(_point("药品限二线使用", "限中重度特应性皮炎患者的二线用药。"), {}).values == {"second_line": True}
    flat = parse_point(_point("药品限二线使用", "限成人患者。"), {})
    assert not flat.ok and "一线" in (flat.reason or "")
    assert parse_point(_point("药品限工伤保险", "限工伤保险"), {}).values == {"insurance_only": "工伤"}
    assert parse_point(_point("医疗服务项目儿童专用", "婴幼儿专用项目"), {}).values == {"age_max": 3}
    assert not parse_point(_point("药品限适应症", "限2型糖尿病。"), {}).ok
    assert parse_point(_point("药品限适应症", "限2型糖尿病。"), {"T-1": ["E11"]}).values == {"indications": ["E11"]}
    assert "编码" in (parse_point(_point("药品区分性别使用", "x", limit="男", codes=()), {}).reason or "")


# ------------------------------------------------------------------------------------ the folder

def test_every_point_loads_and_every_unused_one_is_reported() -> None:
    lk = read_liangku()
    assert len(lk.points) == 3899 and not lk.problems
    assert sum(len(p.codes) for p in lk.points.values()) == 30264
    _, national = build_layer(lk)
    rep = national.report
    assert sum(s["points"] for s in rep.per_class.values()) == 3899
    assert rep.per_class["药品区分性别使用"] == {"points": 640, "parsed": 640, "in_force": 484}
    assert len(rep.superseded) == 397
    unused = {u.kp_id: u.reason for u in rep.unused}
    assert "未列出任何国家编码" in unused["B01-00872"]
    # every point that is neither parsed-and-used nor listed: none
    used = {p.kp_id for pts in national.by_key.values() for p in pts}
    live = {p.kp_id for p in lk.in_force()}
    assert live - used - set(unused) == set()


def test_revision_replaces_the_point_from_its_publication_date_on() -> None:
    lk = read_liangku()
    rev = lk.points["U2026-01-00365"]  # 注射用丹参多酚酸: the revision rewords the restriction
    old = lk.points[rev.supersedes]
    assert old.constraint != rev.constraint
    code = rev.codes[0]
    for day, want in ((REVISION_DAY - dt.timedelta(days=1), old), (REVISION_DAY, rev)):
        kb = national_knowledge(day)
        row = next(r for r in kb.rows("kb_drug") if r["code_prefix"] == code)
        assert row["restriction_text"] == want.constraint
        cited = kb.cite(f"kb_drug:{code}", ["GZ10000101012000"], [])
        assert cited is not None and f"知识点{want.kp_id}" in cited
        assert f"知识点{(rev if want is old else old).kp_id}" not in cited


def test_apalutamide_cites_the_point_in_force() -> None:
    before = national_knowledge(REVISION_DAY - dt.timedelta(days=1)).cite(
        f"kb_drug:{APALUTAMIDE}", ["GZ10000301004000"], [])
    after = national_knowledge().cite(f"kb_drug:{APALUTAMIDE}", ["GZ10000301004000"], [])
    assert before is not None and "B01-00001（2025-05-23发布）" in before
    assert after is not None and "U2026-01-00001（2026-01-28发布）" in after and "与限定性别不符" in after
    # a template of another class does not cite the sex point
    assert national_knowledge().cite(f"kb_drug:{APALUTAMIDE}", ["GZ10000101012000"], []) is None


def test_illustrative_entries_stay_and_are_marked() -> None:
    from medaudit.knowledge.search import search

    kb = national_knowledge()
    hits = {h.code: h for h in search(kb, "阿莫西林")}
    illustrative = [h for h in hits.values() if h.lists.get("illustrative")]
    assert illustrative and all("示例性条目" in h.restrictions[-1] for h in illustrative)
    apa = search(kb, "阿帕他胺")
    assert apa and all(not h.lists.get("illustrative") for h in apa)


def test_audit_refuses_apalutamide_for_a_woman_citing_the_official_rule() -> None:
    from medaudit.engine.backends import get_backend
    from medaudit.engine.runner import audit
    from medaudit.rules.golden import build_case
    from medaudit.rules.loader import RuleBase, load_templates
    from medaudit.rules.model import Instance

    case = build_case("drug_gender", {"name": "x", "claims": {
        "patients": [{"psn_no": "P1", "gend": "2"}],
        "fee_lines": [{"line_id": "L1", "hilist_code": APALUTAMIDE, "hilist_name": "阿帕他胺片",
                       "cnt_milli": 1000, "pric_fen": 2000}]}})
    rb = RuleBase(load_templates(), {"drug_gender": Instance(id="drug_gender", template="drug_gender")}, {"t": "1"})
    backend = get_backend("duckdb")
    try:
        found = audit(backend, case.claims, national_knowledge(), rb).to_pylist()
    finally:
        backend.close()
    assert [(f["rule_id"], f["line_id"], f["amount_fen"], f["action"]) for f in found] == [
        ("drug_gender", "L1", 2000, "拦截")]
    assert found[0]["kb_ref"].startswith(f"kb_drug:{APALUTAMIDE}｜GZ10000301004000 药品区分性别使用 知识点U2026-01-00001")
    assert "参保人性别为女，药品【阿帕他胺片】（阿帕他胺片）限男性使用（限转移性激素敏感性前列腺癌(mHSPC)患者。" in found[0]["reason"]


# ------------------------------------------------------------------------------ location, errors

def test_folder_location_is_configurable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    copy = tmp_path / "lk"
    shutil.copytree(liangku_dir(), copy)
    pts = copy / "knowledge_points.tsv"
    lines = pts.read_text(encoding="utf-8").splitlines()
    lines[1] = lines[1].replace("2025-05-23", "2025-13-40", 1)
    pts.write_text("\n".join(lines) + "\n", encoding="utf-8")
    monkeypatch.setenv("MEDAUDIT_LIANGKU_DATA", str(copy))
    assert liangku_dir() == copy
    lk = read_liangku()
    assert len(lk.points) == 3898
    assert any(p.column == "published" and p.line == 2 for p in lk.problems)
    monkeypatch.setenv("MEDAUDIT_LIANGKU_DATA", str(tmp_path / "absent"))
    with pytest.raises(KnowledgeError, match="folder not found"):
        read_liangku()


def test_indication_mapping_is_validated_data(tmp_path: Path) -> None:
    shipped = read_indication_map()
    assert shipped["B12-00005"] == ["E11"] and shipped["B17-00004"] == ["C61"]
    bad = tmp_path / "indications.tsv"
    bad.write_text("kp_id\titem_name\tconstraint\ticd_prefixes\tbasis\nB12-00005\tx\ty\t2型糖尿病\tz\n", encoding="utf-8")
    with pytest.raises(KnowledgeError, match="ICD-10"):
        read_indication_map(bad)


def test_national_layer_sits_under_province_rows() -> None:
    kb = load_layers([national_pack_path()], national_points=True, with_codes=False)
    assert kb.layers[1].name == "nhsa-liangku" and not kb.layers[1].illustrative
    assert kb.national is not None and kb.national.by_key[APALUTAMIDE]


# ------------------------------------------------------------------------------------------- CLI

def test_cli_import_reports_per_class_and_unused() -> None:
    res = runner.invoke(app, ["knowledge", "import", str(liangku_dir()), "--json", "--as-of", "2026-01-27"])
    assert res.exit_code == 0, res.output
    rep = json.loads(res.output)
    assert rep["total"] == 3899 and rep["superseded"] == []
    assert rep["per_class"]["医疗服务项目重复收费"]["parsed"] == 900
    assert any(u["kp_id"] == "B01-00872" for u in rep["unused"])


def test_cli_search_shows_point_codes_limit_and_superseded() -> None:
    res = runner.invoke(app, ["knowledge", "search", "阿帕他胺", "--json"])
    assert res.exit_code == 0, res.output
    hit = next(h for h in json.loads(res.output) if h["code"] == APALUTAMIDE)
    sex = next(p for p in hit["national_points"] if p["rule_class"] == "药品区分性别使用")
    assert sex["kp_id"] == "U2026-01-00001" and sex["limit"] == "男" and sex["supersedes"] == "B01-00001"
    assert APALUTAMIDE in sex["codes"]
    assert any("替代 B01-00001（2025-05-23发布" in r for r in hit["restrictions"])


def test_national_point_adds_its_limit_and_keeps_the_illustrative_attributes() -> None:
    """A national point over an illustrative row of the same code restricts it; it does not erase the
    row's other attributes (once the point's blank price caps and daily limits replaced them, and
    超标准收费 / 项目超限次 went silent on those codes)."""
    from medaudit.knowledge import default_knowledge, national_knowledge

    code = "001204000070000"  # 小儿头皮静脉输液: the national point's 小儿 is under 18, not under 6
    before = {r["code_prefix"]: r for r in default_knowledge().tables["kb_item"].to_pylist()}[code]
    after = {r["code_prefix"]: r for r in national_knowledge().tables["kb_item"].to_pylist()}[code]
    assert before["age_max"] == 6 and after["age_max"] == 18
    assert after["price_cap_lv3_fen"] == before["price_cap_lv3_fen"] is not None
    assert after["max_per_day"] == before["max_per_day"]


@pytest.mark.parametrize(("table", "name"), [("kb_item", "name"), ("kb_drug", "generic_name")])
def test_illustrative_codes_mean_what_the_national_points_say(table: str, name: str) -> None:
    """An illustrative row whose code a national point also carries names the same item. Once 24
    illustrative items sat on real codes of other items (糖类抗原CA19-9测定 on the code of 前列腺酸性磷酸酶
    测定, which the point limits to men), so a region generated on the illustrative pack and audited
    with the national points raised 限性别 findings on lines that were clean."""
    from medaudit.knowledge import default_knowledge, national_knowledge

    ours = {r["code_prefix"]: r[name] for r in default_knowledge().tables[table].to_pylist()}
    national = {r["code_prefix"]: r[name] for r in national_knowledge().tables[table].to_pylist()}
    assert len(ours) > 300
    clash = {c: (n, national[c]) for c, n in ours.items() if c in national and national[c] != n}
    assert not clash


def test_national_relations_between_illustrative_items_are_in_the_illustrative_pack() -> None:
    """A relation the national layer adds between two items of the illustrative pack is one the pack
    itself must state: the generator builds clean regions on the pack alone, so a relation it does
    not know (急诊监护费 includes every bed and nursing item) made clean lines 重复收费 once the audit
    read the national points."""
    from medaudit.knowledge import default_knowledge, national_knowledge

    ours = default_knowledge().tables
    codes = {r["code_prefix"] for r in ours["kb_item"].to_pylist()}

    def key(r: dict[str, str]) -> tuple[str, str, str]:
        return r["code_a"], r["code_b"], r["relation"]

    have = {key(r) for r in ours["kb_item_relation"].to_pylist()}
    national = national_knowledge().tables["kb_item_relation"].to_pylist()
    assert len(national) > len(have) > 100
    missing = [key(r) for r in national if r["code_a"] in codes and r["code_b"] in codes and key(r) not in have]
    assert not missing
