"""Rule packs layer national → province → city: same id overrides, enabled: false disables."""

from __future__ import annotations

from pathlib import Path

import pytest

from medaudit.errors import RuleError
from medaudit.rules.golden import build_case, run_case
from medaudit.rules.loader import NATIONAL_PACK, load_rulebase


def _pack(tmp: Path, body: str) -> Path:
    tmp.mkdir(parents=True, exist_ok=True)
    (tmp / "pack.yaml").write_text(body, encoding="utf-8")
    return tmp


CITY = """
manifest: {name: city, version: "2025.3", layer: city, region: "440100"}
instances:
  - id: split_admission
    template: split_admission
    version: 2
    params: {max_gap_days: 7}
    scope: {levels: [3]}
  - {id: drug_second_line, template: drug_second_line, enabled: false}
"""


def test_city_layer_overrides_and_disables(tmp_path: Path) -> None:
    rb = load_rulebase([NATIONAL_PACK, _pack(tmp_path / "city", CITY)])
    inst = rb.instances["split_admission"]
    assert inst.params == {"max_gap_days": 7} and inst.version == 2 and inst.scope.levels == [3]
    assert "drug_second_line" not in rb.active()
    assert rb.versions == {"national": "2025.1", "city": "2025.3"}


def test_overridden_threshold_and_scope_change_the_findings(tmp_path: Path) -> None:
    stay = {"visit_type": "inpatient", "med_type": "21"}
    case = build_case("split_admission", {"name": "10 days", "claims": {"encounters": [
        {**stay, "mdtrt_id": "E1", "adm_time": "2025-03-01 09:00:00", "dscg_time": "2025-03-08 10:00:00"},
        {**stay, "mdtrt_id": "E2", "adm_time": "2025-03-18 09:00:00", "dscg_time": "2025-03-20 10:00:00"}]}})
    assert run_case(case).num_rows == 1  # national default: 15 days
    case.params = {"max_gap_days": 7}
    assert run_case(case).num_rows == 0  # the city's 7 days


@pytest.mark.parametrize(("body", "message"), [
    ("manifest: {name: x, version: '1'}\ninstances:\n  - {id: a, template: no_such_template}\n", "unknown template"),
    ("manifest: {name: x, version: '1'}\ninstances:\n  - {id: a, template: split_admission, params: {gap: 3}}\n",
     "unknown parameters"),
    ("manifest: {version: '1'}\n", "invalid rule pack"),
])
def test_bad_packs_are_refused_with_a_reason(tmp_path: Path, body: str, message: str) -> None:
    with pytest.raises(RuleError, match=message):
        load_rulebase([NATIONAL_PACK, _pack(tmp_path / "bad", body)])


@pytest.mark.parametrize(("params", "message"), [
    ("{max_gap_days: -1}", "参数 max_gap_days 取值 -1 小于下限 0"),
    ("{max_gap_days: 10000}", "大于上限"),
    ("{max_gap_days: '15'}", "不是整数"),
    ("{max_gap_days: true}", "不是整数"),
])
def test_parameter_outside_its_declared_bounds_is_refused_naming_file_instance_and_parameter(
        tmp_path: Path, params: str, message: str) -> None:
    city = _pack(tmp_path / "city", f"""
manifest: {{name: city, version: "1", layer: city}}
instances:
  - {{id: split_admission_city, template: split_admission, params: {params}}}
""")
    with pytest.raises(RuleError) as err:
        load_rulebase([NATIONAL_PACK, city])
    text = str(err.value)
    assert message in text and "split_admission_city" in text and str(city / "pack.yaml") in text


def test_instances_file_is_named_when_its_parameter_is_out_of_bounds(tmp_path: Path) -> None:
    pack = _pack(tmp_path / "p", 'manifest: {name: p, version: "1", layer: province}\n')
    (pack / "instances-x.yaml").write_text(
        "- {id: los, template: abnormal_los, params: {max_los_days: -3}}\n", encoding="utf-8")
    with pytest.raises(RuleError, match=r"instances-x\.yaml：规则实例 los 的参数 max_los_days 取值 -3 小于下限"):
        load_rulebase([pack])


def test_every_shipped_instance_and_default_is_within_bounds() -> None:
    from medaudit.rules.loader import param_problem

    rb = load_rulebase()
    for inst in rb.instances.values():
        specs = {p.name: p for p in rb.templates[inst.template].params}
        assert all(param_problem(specs[k], v) == "" for k, v in inst.params.items()), inst.id
    assert param_problem(rb.templates["split_admission"].params[0], 91) != ""


def test_template_missing_an_output_column_is_refused_at_load_naming_it(tmp_path: Path) -> None:
    import shutil

    from medaudit.rules.loader import TEMPLATE_DIR, load_templates

    d = tmp_path / "templates"
    d.mkdir()
    for ext in ("yaml", "sql"):
        shutil.copy(TEMPLATE_DIR / f"drug_gender.{ext}", d / f"drug_gender.{ext}")
    sql = (d / "drug_gender.sql").read_text(encoding="utf-8")
    (d / "drug_gender.sql").write_text(sql.replace("'kb_drug:' || d.code_prefix AS kb_ref,", ""), encoding="utf-8")
    with pytest.raises(RuleError, match=r"drug_gender 的SQL（drug_gender\.sql）缺少输出列 / SQL misses columns: \['kb_ref'\]"):
        load_templates(d)
    (d / "drug_gender.sql").write_text(sql.replace("d.restriction_text,", ""), encoding="utf-8")
    with pytest.raises(RuleError, match=r"\['restriction_text'\]"):
        load_templates(d)
    # a UNION is read from its first branch; a bad default is refused too
    (d / "drug_gender.sql").write_text(sql, encoding="utf-8")
    meta = (d / "drug_gender.yaml").read_text(encoding="utf-8")
    assert "params:" not in meta
    (d / "drug_gender.yaml").write_text(
        meta + "params:\n  - {name: n, type: int, default: 9, zh: 测试, min: 1, max: 5}\n", encoding="utf-8")
    with pytest.raises(RuleError, match="参数 n 的默认值 9 大于上限 5"):
        load_templates(d)
