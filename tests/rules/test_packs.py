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
