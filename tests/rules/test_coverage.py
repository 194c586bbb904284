"""The coverage table of the 88 national rule classes is generated from template metadata."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from medaudit.knowledge.liangku import read_classes
from medaudit.rules.coverage import (
    catalogue_coverage,
    catalogue_section,
    check_catalogue,
    check_metadata,
    check_reasons,
    coverage,
    coverage_section,
    read_reasons,
    render_table,
)
from medaudit.rules.doc import render
from medaudit.rules.loader import load_templates
from medaudit.rules.model import NhsaClass, Template
from medaudit.rules.mutate import TemplateScore

CLASSES = [
    {"seq": "1", "tier1": "政策类", "tier2": "药品政策限定类", "name": "甲类", "has_kp_detail": "1", "gz_code_1_0": "GZ10000101001000"},
    {"seq": "2", "tier1": "政策类", "tier2": "药品政策限定类", "name": "乙类", "has_kp_detail": "0", "gz_code_1_0": ""},
    {"seq": "3", "tier1": "管理类", "tier2": "统计指标监测类", "name": "丙类", "has_kp_detail": "0", "gz_code_1_0": "ZB10000205001000"},
]


def _tpl(tid: str, nhsa: list[dict[str, object]], note: str = "") -> Template:
    base = load_templates()["drug_gender"].model_dump()
    return Template(**{**base, "id": tid, "nhsa": nhsa, "nhsa_note": note})


def test_status_per_class_from_metadata() -> None:
    tpls = {"a": _tpl("a", [{"seq": 1, "name": "甲类", "code": "GZ10000101001000"}]),
            "b": _tpl("b", [{"seq": 1, "name": "甲类", "code": "GZ10000101001000", "coverage": "partly", "note": "缺X"},
                            {"seq": 2, "name": "乙类", "coverage": "partly", "note": "缺Y"}])}
    rows = coverage(tpls, CLASSES, {3: "需要进销存数据"})
    got = {r.seq: (r.status, r.templates, r.reason) for r in rows}
    assert got == {1: ("implemented", ["a", "b"], ""), 2: ("partly", ["b"], "b：缺Y"), 3: ("not", [], "需要进销存数据")}
    text = "\n".join(render_table(rows))
    assert "已实现 1 · 部分实现 1 · 未实现 1（共 3 类）" in text
    assert "| 3 | 管理类 | 统计指标监测类 | 丙类 | ZB10000205001000 | — | 未实现 | — | 需要进销存数据 |" in text
    assert "| 2 | 政策类 | 药品政策限定类 | 乙类 | （新增） | — | 部分实现 | `b` | b：缺Y |" in text


def test_reasons_must_match_the_classes() -> None:
    tpls = {"a": _tpl("a", [{"seq": 1, "name": "甲类", "code": "GZ10000101001000"}])}
    rows = coverage(tpls, CLASSES, {1: "陈旧的理由", 3: "理由"})
    problems = check_reasons(rows, {1: "陈旧的理由", 3: "理由"})
    assert any("class 2" in p and "no reason" in p for p in problems)
    assert any("class 1" in p and "still listed" in p for p in problems)


def test_metadata_must_agree_with_the_class_list() -> None:
    tpls = {"a": _tpl("a", [{"seq": 1, "name": "错名", "code": "GZ10000101009000"}, {"seq": 9, "name": "x"}])}
    problems = check_metadata(tpls, CLASSES)
    assert len(problems) == 3 and any("not in the class list" in p for p in problems)


def test_model_validates_the_class_field() -> None:
    with pytest.raises(ValidationError, match="note"):
        NhsaClass(seq=1, name="x", coverage="partly")
    with pytest.raises(ValidationError):
        NhsaClass(seq=89, name="x")
    with pytest.raises(ValidationError):
        NhsaClass(seq=1, name="x", code="GZ123")
    with pytest.raises(ValidationError, match="nhsa_note"):
        _tpl("c", [])
    with pytest.raises(ValidationError, match="twice"):
        _tpl("d", [{"seq": 1, "name": "甲类"}, {"seq": 1, "name": "甲类"}])


def test_shipped_templates_match_the_88_classes() -> None:
    classes = read_classes()
    assert len(classes) == 88
    tpls = load_templates()
    assert check_metadata(tpls, classes) == []
    reasons = read_reasons()
    rows = coverage(tpls, classes, reasons)
    assert check_reasons(rows, reasons) == []
    by_seq = {r.seq: r for r in rows}
    assert by_seq[67].status == "implemented" and by_seq[67].templates == ["drug_gender"]
    assert by_seq[8].status == "partly" and "drug_indication" in by_seq[8].templates
    assert by_seq[56].status == "not"


def test_docs_carry_the_coverage_table_and_each_templates_classes() -> None:
    text = render({tid: TemplateScore(tid) for tid in load_templates()})
    assert "## 国家规则分类覆盖 / coverage of the 88 national rule classes" in text
    assert "| 67 | 医疗类 | 药品合理使用类 | 药品区分性别使用 | GZ10000301004000 | 有 | 已实现 | `drug_gender` | — |" in text
    assert "- 国家规则分类 / national rule classes: 67 药品区分性别使用 GZ10000301004000" in text


def test_missing_class_list_is_said_plainly(tmp_path: Path) -> None:
    lines = coverage_section(load_templates(), tmp_path)
    assert "未找到" in lines[-1]


def test_catalogue_rows_are_implemented_or_say_why() -> None:
    tpls = load_templates()
    assert check_catalogue(tpls) == []
    rows = {rid: (tids, reason) for rid, _, tids, reason in catalogue_coverage(tpls)}
    assert len(rows) == 51 and rows["A3"][0] == ["drug_gender"] and "进销存" in rows["B15"][1]
    lines = catalogue_section(tpls)
    assert "| B15 | 超加成率 | — | 需医院进销存的购进价格，结算数据不含（多数公立医院已零加成） |" in lines


def test_catalogue_check_names_a_row_left_without_reason_or_kept_with_one() -> None:
    tpls = load_templates()
    drop = {k: v for k, v in tpls.items() if "A3" not in v.catalogue}
    assert any(p.startswith("catalogue row A3 ") for p in check_catalogue(drop))
    extra = {**tpls, "x": _tpl("x", [{"seq": 1, "name": "甲类"}]).model_copy(update={"catalogue": ["B15"]})}
    assert any("B15" in p and "still has a reason" in p for p in check_catalogue(extra))
    with pytest.raises(ValidationError, match="catalogue rows not in"):
        Template(**{**tpls["drug_gender"].model_dump(), "catalogue": ["Z9"]})
