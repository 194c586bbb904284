"""3101/3102 requests shaped as real HIS integrations build them (issue 20), on the production rule and
knowledge packs: each must get exactly the findings its correctly shaped equivalent gets, a rule_ids
list naming no known rule must never switch the audit off, and national code values are read as the
platform defines them.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from medaudit.api.app import build_app
from medaudit.api.engine import RealtimeEngine
from medaudit.api.mapping import map_request
from medaudit.engine.runner import KnowledgeLike
from medaudit.knowledge import default_knowledge
from medaudit.rules import load_rulebase
from medaudit.rules.loader import RuleBase, load_templates
from medaudit.rules.model import Instance
from medaudit.settings import Settings, get_settings
from medaudit.store import HistoryStore, StateStore

INSTITUTION = "H45010001"
FIXTURE_NAMES = ("python-client-envelope.json", "java-client-empty-strings.json", "java-client-single-object.json",
                 "province-variant-encounterDtos.json")
#: what a correct audit of the fixtures' order finds on the national packs: the male patient's
#: 戊酸雌二醇片 (rx 10001, 1.63 元) and the blood count sent under the non-national code "004" (rx 10002)
EXPECTED = [
    ("drug_gender", "药品限性别", 1.63, "1", (("10001", "1", 1.63),)),
    ("not_in_catalogue", "目录外项目", 20.0, "1", (("10002", "1", 20.0),)),
]
GUANGXI = {"*": {"0": "local", "1": "remote"},
           "45": {"2": "local", "3": "remote_in_province", "4": "remote_cross_province"}}

Client = tuple[TestClient, dict[str, str]]


def _fixture_dir() -> Path:
    folder = get_settings().reference_data.parent / "fixtures" / "real-clients"
    assert folder.is_dir(), f"shared fixtures missing: {folder}"
    return folder


def load_fixture(name: str, infno: str = "3101") -> dict[str, Any]:
    body: dict[str, Any] = json.loads((_fixture_dir() / name).read_text(encoding="utf-8"))
    body["infno"] = infno
    return body


def correctly_shaped(body: dict[str, Any]) -> dict[str, Any]:
    """The same order as a by-the-spec client sends it: bare ``data``, lists, numbers, no empty strings,
    a trigger scene and no rule_ids."""
    data = copy.deepcopy(body["input"]["data"])
    data.pop("rule_ids", None)
    data["syscode"] = "HIS01"
    data["trig_scen"] = data.get("trig_scen") or "2"
    for p in data["patient_dtos"]:
        encs = p.pop("encounterDtos", None) or p.pop("fsi_encounter_dtos")
        p["fsi_encounter_dtos"] = [encs] if isinstance(encs, dict) else encs
        p.pop("fsi_his_data_dto", None)
        for e in p["fsi_encounter_dtos"]:
            for k in [k for k, v in e.items() if v == ""]:
                del e[k]
            e.setdefault("fsi_operation_dtos", [])
            for o in e["fsi_order_dtos"]:
                for k in [k for k, v in o.items() if v == ""]:
                    del o[k]
                for k in ("cnt", "pric", "sumamt", "hilist_pric", "ownpay_amt", "selfpay_amt"):
                    if k in o:
                        o[k] = float(o[k])
    return data


def output(resp: Any) -> dict[str, Any]:
    assert resp.status_code == 200, resp.text
    body = resp.json()
    out: dict[str, Any] = body["output"] if "infcode" in body else body
    return out


def findings(out: dict[str, Any]) -> list[tuple[Any, ...]]:
    return sorted((r["rule_id"], r["rule_name"], r["vola_amt"], r["intercept_flag"],
                   tuple(sorted((d["rx_id"], d["vola_item_type"], d["vola_amt"]) for d in r["judge_result_detail_dtos"])))
                  for r in out["result"])


def messages(out: dict[str, Any], path: str) -> list[str]:
    return [w["message"] for w in out["warnings"] if w["path"] == path]


@pytest.fixture(scope="module")
def knowledge() -> KnowledgeLike:
    kb: KnowledgeLike = default_knowledge()  # type: ignore[assignment]
    return kb


@pytest.fixture(scope="module")
def national(knowledge: KnowledgeLike) -> Iterator[RealtimeEngine]:
    """The production configuration: the national rule pack over the national knowledge pack."""
    eng = RealtimeEngine(load_rulebase(), knowledge, reject_unknown_rule_ids=False)
    yield eng
    eng.close()


def _client(engine: RealtimeEngine, tmp: Path) -> Client:
    state = StateStore(f"sqlite:///{tmp / 'state.db'}")
    history = HistoryStore(f"sqlite:///{tmp / 'history.db'}")
    c = TestClient(build_app(engine, state, history), raise_server_exceptions=False)
    return c, {"X-API-Key": state.create_key(INSTITUTION)}


@pytest.fixture
def client(national: RealtimeEngine, tmp_path: Path) -> Client:
    return _client(national, tmp_path)


@pytest.fixture
def guangxi_codes(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The deployment's regional out_setl_flag dictionary, configured as an operator would (environment)."""
    monkeypatch.setenv("MEDAUDIT_OUT_SETL_FLAG_CODES", json.dumps(GUANGXI))
    get_settings.cache_clear()
    yield
    monkeypatch.delenv("MEDAUDIT_OUT_SETL_FLAG_CODES")
    get_settings.cache_clear()


# -- the four client shapes, on 3101 and 3102 ------------------------------------------------------
@pytest.mark.parametrize("infno", ["3101", "3102"])
@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_client_shape_gets_the_findings_of_the_correct_request(client: Client, knowledge: KnowledgeLike,
                                                               name: str, infno: str) -> None:
    c, key = client
    body = load_fixture(name, infno)
    shaped = output(c.post(f"/api/{infno}", json=body, headers=key))
    correct = output(c.post(f"/api/{infno}", json=correctly_shaped(body), headers=key))
    assert findings(correct) == EXPECTED
    assert findings(shaped) == findings(correct)
    assert [r["jr_id"] for r in shaped["result"]] == [r["jr_id"] for r in correct["result"]]
    assert {r["mdtrt_id"] for r in shaped["result"]} == {body["input"]["data"]["patient_dtos"][0]["curr_mdtrt_id"]}
    assert shaped["intercept"] is True
    assert shaped["rules_run"] > 0
    assert shaped["packs"] == {"knowledge": dict(knowledge.versions), "rules": dict(load_rulebase().versions)}
    assert correct["packs"] == shaped["packs"]


def test_interface_number_in_rule_ids_audits_with_the_scene_rules(client: Client, national: RealtimeEngine) -> None:
    """The dangerous answer of issue 20: rule_ids ["3101"] ran 0 rules and said intercept false."""
    c, key = client
    body = load_fixture("java-client-single-object.json")
    assert body["input"]["data"]["rule_ids"] == ["3101"]
    out = output(c.post("/api/3101", json=body, headers=key))
    without = copy.deepcopy(body)
    del without["input"]["data"]["rule_ids"]
    scene = output(c.post("/api/3101", json=without, headers=key))
    assert out["rules_run"] == scene["rules_run"] == len(national.select("事前", {"住院"}, None).templates)
    assert out["intercept"] is True and findings(out) == EXPECTED
    [msg] = messages(out, "data.rule_ids")
    assert "3101" in msg and "按触发场景选择的规则审核" in msg and "audited with the rules trig_scen selects" in msg


@pytest.mark.parametrize("infno", ["3101", "3102"])
def test_only_unknown_rule_ids_without_scene_audit_all_applicable_rules(client: Client, national: RealtimeEngine,
                                                                        infno: str) -> None:
    c, key = client
    body = load_fixture("java-client-empty-strings.json", infno)
    body["input"]["data"]["rule_ids"] = ["3101", "R01", "", "3101"]
    out = output(c.post(f"/api/{infno}", json=body, headers=key))
    realtime = [t for t in national.compiled.active if {"事前", "事中"} & set(national.templates[t].stages)]
    assert len(realtime) < len(national.compiled.active)  # the 事后-only templates (数据质量类 …) stay out
    assert out["rules_run"] == len(realtime)
    assert findings(out) == EXPECTED
    [msg] = messages(out, "data.rule_ids")
    assert "（3101、R01）" in msg and "全部适用规则" in msg


def test_known_rule_ids_run_and_unknown_ones_are_listed(client: Client) -> None:
    c, key = client
    body = load_fixture("python-client-envelope.json")
    body["input"]["data"]["rule_ids"] = ["drug_gender", "3101"]
    out = output(c.post("/api/3101", json=body, headers=key))
    assert out["rules_run"] == 1
    assert findings(out) == EXPECTED[:1]
    [msg] = messages(out, "data.rule_ids")
    assert "3101" in msg and "未运行" in msg and "drug_gender" not in msg


def test_known_rules_outside_the_scene_never_empty_the_audit(client: Client, national: RealtimeEngine) -> None:
    """split_admission is 事中/事后 住院 only: naming it alone in an outpatient 3101 must not run nothing."""
    c, key = client
    body = load_fixture("python-client-envelope.json")
    body["input"]["data"]["rule_ids"] = ["split_admission"]
    out = output(c.post("/api/3101", json=body, headers=key))
    assert out["rules_run"] == len(national.select("事前", {"门急诊", "购药"}, None).templates)
    assert findings(out) == EXPECTED
    assert any("split_admission" in m and "均不适用" in m for m in messages(out, "data.rule_ids"))
    body["input"]["data"]["rule_ids"] = ["split_admission", "3101"]
    out = output(c.post("/api/3101", json=body, headers=key))
    assert findings(out) == EXPECTED
    [msg] = messages(out, "data.rule_ids")
    assert "split_admission" in msg and "未知规则标识：3101" in msg and "已运行所给的已知规则" not in msg
    body["input"]["data"]["rule_ids"] = ["split_admission", "drug_gender"]
    out = output(c.post("/api/3101", json=body, headers=key))
    assert out["rules_run"] == 1 and findings(out) == EXPECTED[:1]
    [msg] = messages(out, "data.rule_ids")
    assert "split_admission" in msg and "不适用于本次触发场景" in msg


def test_reject_setting_refuses_unknown_rule_ids_with_400(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                          knowledge: KnowledgeLike) -> None:
    monkeypatch.setenv("MEDAUDIT_REJECT_UNKNOWN_RULE_IDS", "true")
    get_settings.cache_clear()
    try:
        strict = RealtimeEngine(load_rulebase(), knowledge)  # the policy comes from the settings
    finally:
        monkeypatch.delenv("MEDAUDIT_REJECT_UNKNOWN_RULE_IDS")
        get_settings.cache_clear()
    try:
        c, key = _client(strict, tmp_path)
        for infno in ("3101", "3102"):
            resp = c.post(f"/api/{infno}", json=load_fixture("java-client-single-object.json", infno), headers=key)
            assert resp.status_code == 400
            body = resp.json()
            assert body["infcode"] == -1 and body["output"] is None
            assert "未知的规则标识：3101" in body["err_msg"] and "(at data.rule_ids)" in body["err_msg"]
        known = load_fixture("python-client-envelope.json")
        known["input"]["data"]["rule_ids"] = ["drug_gender"]
        assert findings(output(c.post("/api/3101", json=known, headers=key))) == EXPECTED[:1]
    finally:
        strict.close()


def test_zero_rules_on_orders_carries_a_top_level_warning(tmp_path: Path, knowledge: KnowledgeLike) -> None:
    """A rule base with nothing for 事前 门诊 (only split_admission): the empty answer must say so."""
    tpls = load_templates()
    only = RealtimeEngine(RuleBase({"split_admission": tpls["split_admission"]},
                                   {"split_admission": Instance(id="split_admission", template="split_admission")},
                                   {"only-split": "1"}), knowledge, reject_unknown_rule_ids=False)
    try:
        c, key = _client(only, tmp_path)
        out = output(c.post("/api/3101", json=load_fixture("python-client-envelope.json"), headers=key))
        assert out["rules_run"] == 0 and out["result"] == [] and out["intercept"] is False
        assert out["warnings"][0]["path"] == "rules_run"
        assert "未运行规则" in out["warnings"][0]["message"] and "0 rules ran" in out["warnings"][0]["message"]
        assert out["packs"]["rules"] == {"only-split": "1"}
        no_orders = load_fixture("python-client-envelope.json")
        no_orders["input"]["data"]["patient_dtos"][0]["fsi_encounter_dtos"][0]["fsi_order_dtos"] = []
        out = output(c.post("/api/3101", json=no_orders, headers=key))
        assert out["rules_run"] == 0 and "rules_run" not in {w["path"] for w in out["warnings"]}
    finally:
        only.close()


# -- national code values ------------------------------------------------------------------------
GANCICLOVIR = {"rx_id": "20001", "hilist_code": "XJ05ABG183B0010101234", "hilist_name": "注射用更昔洛韦",
               "chrg_type": "09", "cnt": "1", "pric": "35.00", "sumamt": "35.00", "curr_drord_flag": "1",
               "drord_begn_date": "2026-11-20 09:45:00", "drord_dr_codg": "D450100012345"}


def _with_level(medins_lv: Any, medins_type: Any = "A1") -> dict[str, Any]:
    body = load_fixture("python-client-envelope.json")
    enc = body["input"]["data"]["patient_dtos"][0]["fsi_encounter_dtos"][0]
    enc["medins_lv"] = medins_lv
    enc["medins_type"] = medins_type
    enc["fsi_order_dtos"].append(dict(GANCICLOVIR))  # 更昔洛韦注射剂: 限二级及以上医疗机构
    return body


LV_PATH = "data.patient_dtos[0].fsi_encounter_dtos[0].medins_lv"


@pytest.mark.parametrize(("medins_lv", "fires", "level_zh", "warned"), [
    ("05", False, None, False),      # 二级甲等: the level rules see 二级
    ("5", False, None, True),        # the same code without its leading zero (read as 05, said so)
    ("13", False, None, False),      # 二级无等
    ("08", True, "一级医疗机构", False),  # 一级甲等
    ("1", False, None, True),        # national 01 三级特等, as ingest reads it — not 一级
    ("99", True, "无等级医疗机构", True),  # not a national code: a warning, then 无等级
    ("", True, "无等级医疗机构", True),    # missing: a warning, then 无等级
])
def test_medins_lv_is_the_national_hospital_grade(client: Client, medins_lv: str, fires: bool,
                                                  level_zh: str | None, warned: bool) -> None:
    c, key = client
    out = output(c.post("/api/3101", json=_with_level(medins_lv), headers=key))
    hits = [r for r in out["result"] if r["rule_id"] == "drug_level"]
    assert [d["rx_id"] for r in hits for d in r["judge_result_detail_dtos"]] == (["20001"] if fires else [])
    if level_zh is not None:
        assert level_zh in hits[0]["vola_cont"]
    assert bool(messages(out, LV_PATH)) is warned


def test_medins_type_codes(client: Client) -> None:
    c, key = client
    pharmacy = output(c.post("/api/3101", json=_with_level("05", "2"), headers=key))
    [hit] = [r for r in pharmacy["result"] if r["rule_id"] == "drug_level"]
    assert "定点零售药店" in hit["vola_cont"]
    unknown = output(c.post("/api/3101", json=_with_level("05", "Q9"), headers=key))
    assert not [r for r in unknown["result"] if r["rule_id"] == "drug_level"]  # a hospital, 二级
    [msg] = messages(unknown, "data.patient_dtos[0].fsi_encounter_dtos[0].medins_type")
    assert "'Q9'" in msg and "按医疗机构处理" in msg
    known = output(c.post("/api/3101", json=_with_level("05", "A1"), headers=key))
    assert not messages(known, "data.patient_dtos[0].fsi_encounter_dtos[0].medins_type")


def _data(name: str = "python-client-envelope.json") -> dict[str, Any]:
    data: dict[str, Any] = load_fixture(name)["input"]["data"]
    return data


def _enc(data: dict[str, Any]) -> dict[str, Any]:
    enc: dict[str, Any] = data["patient_dtos"][0]["fsi_encounter_dtos"][0]
    return enc


@pytest.mark.parametrize(("medins_type", "kind"), [("A1", "hospital"), ("A52", "hospital"), ("B1", "hospital"),
                                                   ("D2", "clinic"), ("1", "hospital"), ("2", "pharmacy"),
                                                   ("a1", "hospital")])
def test_medins_type_dictionary(medins_type: str, kind: str) -> None:
    data = _data()
    _enc(data)["medins_type"] = medins_type
    mapped = map_request(data, out_setl_codes=GUANGXI)
    assert [i["fixmedins_type"] for i in mapped.rows["institutions"]] == [kind]
    assert not [w for w in mapped.warnings if w.path.endswith("medins_type")]


@pytest.mark.parametrize(("profttl", "title", "warned"), [("2", "232", False), ("233", "233", False),
                                                          ("1", "231", False), ("9", None, False),
                                                          ("7", None, True), ("主任", None, True)])
def test_drord_dr_profttl_title_codes(profttl: str, title: str | None, warned: bool) -> None:
    data = _data()
    for o in _enc(data)["fsi_order_dtos"]:
        o["drord_dr_profttl"] = profttl
    mapped = map_request(data, out_setl_codes=GUANGXI)
    assert mapped.rows["staff"] == [{"staff_code": "D450100012345", "staff_name": None, "role": "医师",
                                     "fixmedins_code": INSTITUTION, "dept_code": "A03", "dept_name": "内科",
                                     "profttl": title}]
    paths = [w.path for w in mapped.warnings if w.path.endswith("drord_dr_profttl")]
    assert paths == ([f"data.patient_dtos[0].fsi_encounter_dtos[0].fsi_order_dtos[{i}].drord_dr_profttl"
                      for i in (0, 1)] if warned else [])


SETL_PATH = "data.patient_dtos[0].fsi_encounter_dtos[0].out_setl_flag"


@pytest.mark.parametrize(("flag", "poolarea", "remote", "warned"), [
    ("2", "450100", False, False),   # 本地 in the Guangxi dictionary
    ("3", "450200", True, False),    # 省内异地, pooling regions agree
    ("4", "110100", True, False),    # 跨省异地
    ("4", "450100", True, True),     # 跨省异地 but the same pooling region: remote, with a warning
    ("2", "450200", True, True),     # 本地 but the regions differ: remote, with a warning
    ("1", "450100", False, True),    # not in the Guangxi code set: a warning, judged from the regions
    ("", "450100", False, False),    # absent: judged from the regions
])
def test_out_setl_flag_uses_the_regional_dictionary(flag: str, poolarea: str, remote: bool, warned: bool) -> None:
    data = _data()
    data["patient_dtos"][0]["poolarea"] = poolarea
    _enc(data)["out_setl_flag"] = flag
    mapped = map_request(data, out_setl_codes=GUANGXI)
    assert mapped.remote is remote
    assert bool([w for w in mapped.warnings if w.path == SETL_PATH]) is warned


def test_out_setl_flag_region_prefix_and_default() -> None:
    data = _data()
    _enc(data)["out_setl_flag"] = "2"
    [w] = [w for w in map_request(data, out_setl_codes={"*": {"0": "local", "1": "remote"}}).warnings
           if w.path == SETL_PATH]
    assert "'2'" in w.zh and "（*）" in w.zh and "['0', '1']" in w.zh
    _enc(data)["out_setl_flag"] = "1"
    assert map_request(data, out_setl_codes={"*": {"0": "local", "1": "remote"}}).remote is True
    # a pooling-region entry wins over its province's
    narrow = {**GUANGXI, "450100": {"0": "local", "1": "remote"}}
    assert map_request(data, out_setl_codes=narrow).remote is True
    assert map_request(data, out_setl_codes=GUANGXI).remote is False  # "1" is not a Guangxi code


def test_remote_flag_without_poolarea_is_not_the_institutions_region() -> None:
    data = _data()
    data["patient_dtos"][0]["poolarea"] = ""
    _enc(data)["out_setl_flag"] = "4"
    mapped = map_request(data, out_setl_codes=GUANGXI)
    assert mapped.remote is True
    assert [e["psn_admdvs"] for e in mapped.rows["encounters"]] == [""]
    _enc(data)["out_setl_flag"] = "2"  # 本地: the patient's region is the institution's
    assert [e["psn_admdvs"] for e in map_request(data, out_setl_codes=GUANGXI).rows["encounters"]] == ["450100"]


def test_out_setl_flag_fills_the_canonical_remote_flag_the_batch_rules_read() -> None:
    """The API and ingest hand the 异地 rules the same column: the region's flag where it is understood."""
    data = _data()
    _enc(data).pop("out_setl_flag", None)
    assert [e.get("remote_flag") for e in map_request(data, out_setl_codes=GUANGXI).rows["encounters"]] == [None]
    _enc(data)["out_setl_flag"] = "3"
    assert [e["remote_flag"] for e in map_request(data, out_setl_codes=GUANGXI).rows["encounters"]] == [True]
    _enc(data)["out_setl_flag"] = "2"
    assert [e["remote_flag"] for e in map_request(data, out_setl_codes=GUANGXI).rows["encounters"]] == [False]
    _enc(data)["out_setl_flag"] = "7"  # outside the code set: no flag, the rule compares the regions
    assert [e["remote_flag"] for e in map_request(data, out_setl_codes=GUANGXI).rows["encounters"]] == [None]


def test_out_setl_flag_feeds_the_remote_scene_end_to_end(client: Client, national: RealtimeEngine,
                                                         guangxi_codes: None) -> None:
    c, key = client
    local = output(c.post("/api/3101", json=load_fixture("python-client-envelope.json"), headers=key))
    assert not messages(local, SETL_PATH)  # "2" is a Guangxi code
    body = load_fixture("python-client-envelope.json")
    del body["input"]["data"]["patient_dtos"][0]["poolarea"]  # only the flag says 异地
    _enc(body["input"]["data"])["out_setl_flag"] = "3"
    remote = output(c.post("/api/3101", json=body, headers=key))
    [msg] = messages(remote, SETL_PATH)
    assert "省内异地就医" in msg and "poolarea）缺失" in msg
    outpatient = {"门急诊", "购药"}
    assert local["rules_run"] == len(national.select("事前", outpatient, None).templates)
    assert remote["rules_run"] == len(national.select("事前", outpatient | {"异地就医"}, None).templates)
    assert remote["rules_run"] == local["rules_run"] + 1  # guidance_remote joins
    assert findings(remote) == findings(local) == EXPECTED


def test_out_setl_flag_setting_refuses_an_unknown_class(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEDAUDIT_OUT_SETL_FLAG_CODES", json.dumps({"45": {"2": "local", "3": "remote_in"}}))
    with pytest.raises(ValidationError, match=r"out_setl_flag_codes\['45'\]\['3'\] = 'remote_in'"):
        Settings()


# -- bad values: warnings or a precise 4xx, never a 5xx ---------------------------------------------
@pytest.mark.parametrize(("field", "value"), [("medins_lv", ["05"]), ("medins_type", {"code": "A1"}),
                                             ("out_setl_flag", True)])
@pytest.mark.parametrize("infno", ["3101", "3102"])
def test_unusable_code_structure_is_a_400(client: Client, infno: str, field: str, value: Any) -> None:
    c, key = client
    body = load_fixture("python-client-envelope.json", infno)
    _enc(body["input"]["data"])[field] = value
    resp = c.post(f"/api/{infno}", json=body, headers=key)
    assert resp.status_code == 400
    msg = resp.json()["err_msg"]
    assert f"（data.patient_dtos[0].fsi_encounter_dtos[0].{field}）" in msg and "must be a string" in msg


@pytest.mark.parametrize("infno", ["3101", "3102"])
def test_unusable_rule_ids_and_titles(client: Client, infno: str) -> None:
    c, key = client
    body = load_fixture("python-client-envelope.json", infno)
    body["input"]["data"]["rule_ids"] = {"id": "drug_gender"}
    resp = c.post(f"/api/{infno}", json=body, headers=key)
    assert resp.status_code == 400 and "data.rule_ids[0]" in resp.json()["err_msg"]
    body["input"]["data"]["rule_ids"] = [None, "", " ", 3101]  # nothing usable → the scene's rules
    out = output(c.post(f"/api/{infno}", json=body, headers=key))
    assert findings(out) == EXPECTED and out["rules_run"] > 0
    body = load_fixture("python-client-envelope.json", infno)
    _enc(body["input"]["data"])["fsi_order_dtos"][0]["drord_dr_profttl"] = [2]
    resp = c.post(f"/api/{infno}", json=body, headers=key)
    assert resp.status_code == 400 and "fsi_order_dtos[0].drord_dr_profttl" in resp.json()["err_msg"]


def test_pharmacy_without_grade_is_not_a_gap() -> None:
    data = _data()
    _enc(data)["medins_type"] = "2"
    del _enc(data)["medins_lv"]
    mapped = map_request(data, out_setl_codes=GUANGXI)
    assert [(i["fixmedins_type"], i["medins_lv"]) for i in mapped.rows["institutions"]] == [("pharmacy", 0)]
    assert not [w for w in mapped.warnings if w.path.endswith("medins_lv")]
    _enc(data)["medins_type"] = "A1"
    assert [w.path for w in map_request(data, out_setl_codes=GUANGXI).warnings if w.path.endswith("medins_lv")] == [
        "data.patient_dtos[0].fsi_encounter_dtos[0].medins_lv"]


def test_numeric_codes_are_read_as_their_text() -> None:
    """JSON numbers where the dictionary has strings (a client sending medins_lv 5, out_setl_flag 4)."""
    data = _data()
    _enc(data)["medins_lv"] = 5
    _enc(data)["out_setl_flag"] = 4
    data["patient_dtos"][0]["poolarea"] = "110100"
    mapped = map_request(data, out_setl_codes=GUANGXI)
    assert [(i["medins_lv"], i["hosp_lv"]) for i in mapped.rows["institutions"]] == [(2, "05")]
    assert mapped.remote is True
