"""The 3101/3102/3103 API end to end (in-process ASGI), on the real SQLite engine and real stores."""

from __future__ import annotations

import copy
import json
import logging
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from medaudit.api.engine import RealtimeEngine
from medaudit.errors import RuleError
from medaudit.rules.loader import RuleBase, load_templates
from medaudit.rules.model import Instance
from medaudit.store import StateStore

from .conftest import INSTITUTION, OTHER_INSTITUTION, SmallKB, request_body

Client = tuple[TestClient, dict[str, str]]


def _enc(body: dict[str, Any], i: int = 0) -> dict[str, Any]:
    enc: dict[str, Any] = body["patient_dtos"][0]["fsi_encounter_dtos"][i]
    return enc


def _results(resp: Any) -> list[dict[str, Any]]:
    data = resp.json()
    out = data["output"] if "infcode" in data else data
    results: list[dict[str, Any]] = out["result"]
    return results


# -- the answer ----------------------------------------------------------------------------------
def test_3101_finds_gender_violation_and_intercepts(client: Client) -> None:
    c, key = client
    resp = c.post("/api/3101", json=request_body(), headers=key)
    assert resp.status_code == 200, resp.text
    out = resp.json()
    assert out["intercept"] is True
    assert out["task_id"] == "T0001"
    [r] = [x for x in out["result"] if x["rule_id"] == "drug_gender"]
    assert r["rule_name"] == "药品限性别"
    assert r["patn_id"] == "44010619800501123X" and r["mdtrt_id"] == "MD001"
    assert r["vola_amt"] == 37.5 and r["vola_amt_stas"] == "1"
    assert r["sev_deg"] == "1" and r["result_type"] == "明确" and r["intercept_flag"] == "1"
    assert "黄体酮注射液" in r["vola_cont"] and "37.50元" in r["vola_cont"]
    assert r["vola_evid"].endswith("（依据：kb_drug:XG03DAH051B0）")
    assert r["task_id"] == "T0001" and len(r["jr_id"]) <= 50 and r["jr_id"].startswith(f"{INSTITUTION}-")
    assert r["other_medins_flag"] == "0"
    assert r["judge_result_detail_dtos"] == [{"jrd_id": f"{r['jr_id']}-1", "patn_id": "44010619800501123X",
                                              "mdtrt_id": "MD001", "rx_id": "RX1", "vola_item_type": "1",
                                              "vola_amt": 37.5}]
    assert "parse;dur=" in resp.headers["server-timing"]


def test_envelope_in_envelope_out(client: Client) -> None:
    c, key = client
    env = {"infno": "3101", "msgid": "M1", "infver": "V1.0", "input": {"data": request_body()}}
    resp = c.post("/api/3101", json=env, headers=key)
    assert resp.status_code == 200
    data = resp.json()
    assert data["infcode"] == 0 and data["err_msg"] == ""
    assert data["output"]["intercept"] is True
    assert {r["rule_id"] for r in data["output"]["result"]} >= {"drug_gender"}


def test_envelope_errors_keep_envelope_shape(client: Client) -> None:
    c, key = client
    env = {"infno": "3101", "input": {"data": {"patient_dtos": "张三"}}}
    resp = c.post("/api/3101", json=env, headers=key)
    assert resp.status_code == 400
    data = resp.json()
    assert data["infcode"] == -1 and data["output"] is None
    assert "data.patient_dtos" in data["err_msg"] and "must be a list" in data["err_msg"]
    resp = c.post("/api/3101", json={"infno": "3102", "input": {"data": request_body()}}, headers=key)
    assert resp.status_code == 400 and "does not match 3101" in resp.json()["err_msg"]


def test_clean_prescription_has_no_results(client: Client) -> None:
    c, key = client
    body = request_body()
    _enc(body)["fsi_order_dtos"] = [_enc(body)["fsi_order_dtos"][1]]
    resp = c.post("/api/3101", json=body, headers=key)
    assert resp.status_code == 200
    assert resp.json()["result"] == [] and resp.json()["intercept"] is False


def test_unknown_code_is_a_not_in_catalogue_finding(client: Client) -> None:
    c, key = client
    body = request_body()
    _enc(body)["fsi_order_dtos"].append({"rx_id": "RX9", "hilist_code": "XZ99ZZZ999Z0010101234", "hilist_name": "未知药",
                                         "chrg_type": "09", "cnt": 1, "pric": 5, "sumamt": 5, "curr_drord_flag": "1"})
    resp = c.post("/api/3101", json=body, headers=key)
    assert resp.status_code == 200
    hits = [r for r in resp.json()["result"] if r["rule_id"] == "not_in_catalogue"]
    assert [d["rx_id"] for r in hits for d in r["judge_result_detail_dtos"]] == ["RX9"]


def test_lenient_variations_are_accepted_with_warnings(client: Client) -> None:
    c, key = client
    body = request_body(trig_scen="", rule_ids=["drug_gender"])
    del body["syscode"]
    p = body["patient_dtos"][0]
    p["gend"] = "9"
    p["fsi_encounter_dtos"] = p["fsi_encounter_dtos"][0]  # single object instead of a list
    p["fsi_encounter_dtos"]["adm_date"] = "2025-03-01"  # date without time
    p["fsi_encounter_dtos"]["medfee_sumamt"] = "-"
    orders = p["fsi_encounter_dtos"]["fsi_order_dtos"]
    orders[0]["sumamt"] = ""  # unknown amount: computed from cnt × pric
    orders[0]["cnt"] = "3.0"
    resp = c.post("/api/3101", json=body, headers=key)
    assert resp.status_code == 200, resp.text
    out = resp.json()
    paths = {w["path"] for w in out["warnings"]}
    assert "data.patient_dtos[0].fsi_encounter_dtos" in paths  # single object
    assert "data.trig_scen" in paths and "data.syscode" in paths
    assert "data.patient_dtos[0].fsi_encounter_dtos[0].fsi_order_dtos[0].sumamt" in paths
    assert out["rules_run"] == 1
    assert out["result"] == []  # gend 9 (未说明): the gender rule must not fire


def test_rule_ids_without_trig_scen_runs_those_rules(client: Client) -> None:
    c, key = client
    body = request_body(rule_ids=["drug_gender"])
    del body["trig_scen"]
    out = c.post("/api/3101", json=body, headers=key).json()
    assert out["rules_run"] == 1
    assert [r["rule_id"] for r in out["result"]] == ["drug_gender"]


def test_trig_scen_selects_stage_and_scene(engine: RealtimeEngine) -> None:
    pre_outpatient = engine.select("事前", {"门急诊", "购药"}, None).templates
    in_inpatient = engine.select("事中", {"住院"}, None).templates
    assert "drug_gender" in pre_outpatient and "split_admission" not in pre_outpatient  # 事中/事后 only
    assert "split_admission" in in_inpatient and "concurrent_stay" in in_inpatient
    assert "duplicate_charge" in pre_outpatient


def test_money_is_exact(client: Client) -> None:
    c, key = client
    body = request_body()
    o = _enc(body)["fsi_order_dtos"][0]
    o.update(cnt="0.333", pric="0.07", sumamt="0.02")
    [r] = [x for x in c.post("/api/3101", json=body, headers=key).json()["result"] if x["rule_id"] == "drug_gender"]
    assert r["vola_amt"] == 0.02


# -- security ------------------------------------------------------------------------------------
def test_missing_or_wrong_key_is_401(client: Client) -> None:
    c, _ = client
    for headers in ({}, {"X-API-Key": "mk_not-a-key"}):
        resp = c.post("/api/3101", json=request_body(), headers=headers)
        assert resp.status_code == 401
        assert "API" in resp.json()["err_msg"]
    assert c.get("/api/stats/feedback").status_code == 401


def test_other_institution_is_403_with_precise_message(make_client: Callable[..., tuple[TestClient, StateStore]]) -> None:
    c, state = make_client()
    other = state.create_key(OTHER_INSTITUTION)
    resp = c.post("/api/3101", json=request_body(), headers={"X-API-Key": other})
    assert resp.status_code == 403
    msg = resp.json()["err_msg"]
    assert f"就诊MD001的定点医疗机构{INSTITUTION}与API密钥绑定的机构{OTHER_INSTITUTION}不一致" in msg
    assert f"bound to {OTHER_INSTITUTION}" in msg


def test_keys_are_stored_hashed(make_client: Callable[..., tuple[TestClient, StateStore]]) -> None:
    _, state = make_client()
    key = state.create_key(INSTITUTION, "test")
    with state.engine.connect() as con:
        stored = [tuple(r) for r in con.exec_driver_sql("SELECT key_hash, key_prefix FROM medaudit_api_keys")]
    assert all(key not in row for row in stored)
    assert state.institution_for(key) == INSTITUTION
    assert state.revoke_key(key[:10]) == 1 and state.institution_for(key) is None


# -- bad input -----------------------------------------------------------------------------------
@pytest.mark.parametrize(("content", "expect_zh", "expect_en"), [
    (b'{"patient_dtos": [', "JSON格式错误", "malformed JSON"),
    (b"", "请求体为空", "empty request body"),
    (b"\xff\xfe\x00junk", "UTF-8", "not UTF-8"),
    (b"[1, 2]", "应为JSON对象", "must be a JSON object"),
    (b'{"syscode": "X"}', "必填字段缺失", "at least one patient"),
    (b'{"patient_dtos": [{"patn_id": "P1", "fsi_encounter_dtos": [{"mdtrt_id": "E1"}]}]}', "必填字段缺失",
     "required field"),
    (b'{"patient_dtos": [{"patn_id": {"a": 1}, "fsi_encounter_dtos": []}]}', "应为字符串", "must be a string"),
    (b"[" * 100000 + b"]" * 100000, "嵌套", "nested too deeply"),
])
def test_bad_input_is_a_precise_4xx(client: Client, content: bytes, expect_zh: str, expect_en: str) -> None:
    c, key = client
    resp = c.post("/api/3101", content=content, headers={**key, "Content-Type": "application/json"})
    assert 400 <= resp.status_code < 500, resp.text
    msg = resp.json()["err_msg"]
    assert expect_zh in msg and expect_en in msg


def test_mistyped_field_names_its_path(client: Client) -> None:
    c, key = client
    body = request_body()
    _enc(body)["fsi_order_dtos"][1]["cnt"] = [1, 2]
    resp = c.post("/api/3101", json=body, headers=key)
    assert resp.status_code == 400
    assert resp.json()["path"] == "data.patient_dtos[0].fsi_encounter_dtos[0].fsi_order_dtos[1].cnt"


def test_duplicate_rx_id_is_rejected(client: Client) -> None:
    c, key = client
    body = request_body()
    _enc(body)["fsi_order_dtos"][1]["rx_id"] = "RX1"
    resp = c.post("/api/3101", json=body, headers=key)
    assert resp.status_code == 400 and "duplicate rx_id RX1" in resp.json()["err_msg"]


def test_ten_megabyte_body_is_413(client: Client) -> None:
    c, key = client
    big = json.dumps({"patient_dtos": [], "pad": "x" * (10 * 1024 * 1024)}).encode()
    resp = c.post("/api/3101", content=big, headers={**key, "Content-Type": "application/json"})
    assert resp.status_code == 413
    assert "请求体过大" in resp.json()["err_msg"] and "too large" in resp.json()["err_msg"]


def test_unknown_route_and_method_are_4xx(client: Client) -> None:
    c, key = client
    assert c.get("/api/3101", headers=key).status_code == 405
    assert c.post("/api/9999", headers=key).status_code == 404


# -- history -------------------------------------------------------------------------------------
def _inpatient(mdtrt_id: str, adm: str, dscg: str | None, orders: list[dict[str, Any]] | None = None,
               medins_id: str = INSTITUTION) -> dict[str, Any]:
    return {"mdtrt_id": mdtrt_id, "medins_id": medins_id, "medins_name": "示例医院", "medins_admdvs": "440106",
            "medins_lv": "05", "med_type": "21", "insutype": "310", "adm_date": adm, "dscg_date": dscg,
            "medfee_sumamt": "5000.00", "hifp_payamt": "4000.00", "fsi_order_dtos": orders or []}


def _patient(encs: list[dict[str, Any]], current: str) -> dict[str, Any]:
    return {"patn_id": "P100", "patn_name": "李四", "gend": "2", "brdy": "1970-01-01", "poolarea": "440106",
            "curr_mdtrt_id": current, "fsi_encounter_dtos": encs}


def test_history_sent_in_request_drives_split_admission(client: Client) -> None:
    c, key = client
    encs = [_inpatient("IP1", "2025-03-01 09:00:00", "2025-03-08 10:00:00"),
            _inpatient("IP2", "2025-03-18 09:00:00", "2025-03-25 10:00:00")]
    body = {"syscode": "HIS", "trig_scen": "9", "patient_dtos": [_patient(encs, "IP2")]}
    out = c.post("/api/3102", json=body, headers=key).json()
    [r] = [x for x in out["result"] if x["rule_id"] == "split_admission"]
    assert r["mdtrt_id"] == "IP2" and r["vola_amt"] == 4000.0 and r["intercept_flag"] == "0"
    # the same two stays with the earlier one current: nothing is reported on a history encounter
    body["patient_dtos"][0]["curr_mdtrt_id"] = "IP1"
    out = c.post("/api/3102", json=body, headers=key).json()
    assert [x for x in out["result"] if x["rule_id"] == "split_admission"] == []


def test_history_lines_are_only_related_items(client: Client) -> None:
    c, key = client
    body = request_body()
    _enc(body)["fsi_order_dtos"] = [
        {"rx_id": "H1", "hilist_code": "001103000010000", "hilist_name": "急诊监护费", "chrg_type": "05", "cnt": 1,
         "pric": 30, "sumamt": 30, "drord_begn_date": "2025-03-01 08:00:00", "curr_drord_flag": "0"},
        {"rx_id": "C1", "hilist_code": "001102000010000", "hilist_name": "急诊诊查费", "chrg_type": "02", "cnt": 1,
         "pric": 15, "sumamt": 15, "drord_begn_date": "2025-03-01 09:30:00", "curr_drord_flag": "1"},
    ]
    out = c.post("/api/3101", json=body, headers=key).json()
    [r] = [x for x in out["result"] if x["rule_id"] == "duplicate_charge"]
    assert [(d["rx_id"], d["vola_item_type"]) for d in r["judge_result_detail_dtos"]] == [("C1", "1"), ("H1", "2")]
    # swap roles: the offending line is now a history line, so there is nothing to report
    orders = _enc(body)["fsi_order_dtos"]
    orders[0]["curr_drord_flag"], orders[1]["curr_drord_flag"] = "1", "0"
    out = c.post("/api/3101", json=body, headers=key).json()
    assert [x for x in out["result"] if x["rule_id"] == "duplicate_charge"] == []


@pytest.mark.parametrize("store", ["sqlite", "postgresql"])
def test_history_store_settlement_then_concurrent_stay(
        store: str, make_client: Callable[..., tuple[TestClient, StateStore]], request: pytest.FixtureRequest) -> None:
    url = request.getfixturevalue("pg_url") if store == "postgresql" else None
    c, state = make_client(history_url=url)
    other = {"X-API-Key": state.create_key(OTHER_INSTITUTION)}
    mine = {"X-API-Key": state.create_key(INSTITUTION)}
    settled = {"syscode": "HIS", "trig_scen": "8", "patient_dtos": [_patient(
        [_inpatient("OTH1", "2025-03-01 09:00:00", "2025-03-10 10:00:00", medins_id=OTHER_INSTITUTION)], "OTH1")]}
    assert c.post("/api/3102", json=settled, headers=other).status_code == 200
    history = c.app.state.services.history  # type: ignore[attr-defined]
    assert history.dialect == store
    assert history.count() == 1
    stored = json.dumps([s.payload for s in history.read("P100", __import__("datetime").datetime(2025, 1, 1))],
                        ensure_ascii=False)
    assert "李四" not in stored  # names are never stored
    # a pre-settlement (scene 9) at my hospital overlapping the stay at the other one
    now = {"syscode": "HIS", "trig_scen": "9", "patient_dtos": [_patient(
        [_inpatient("MINE1", "2025-03-07 09:00:00", "2025-03-15 10:00:00")], "MINE1")]}
    resp = c.post("/api/3102", json=now, headers=mine)
    out = resp.json()
    [r] = [x for x in out["result"] if x["rule_id"] == "concurrent_stay"]
    assert r["mdtrt_id"] == "MINE1" and r["other_medins_flag"] == "1"
    assert "该参保人同期在其他定点医疗机构住院" in r["vola_cont"]
    # used for the audit, never shown (docs/api.md): no other institution's code, id or dates
    for secret in ("OTH1", OTHER_INSTITUTION, "2025-03-01", "2025-03-10", "03-10"):
        assert secret not in resp.text
    assert out["history_encounters"] == 0  # only the caller's own stored encounters are counted
    assert history.count() == 1  # scene 9 (预结算) does not write


def _outpatient(mdtrt_id: str, day: str, orders: list[dict[str, Any]], medins_id: str = INSTITUTION,
                admdvs: str = "440106", setl: str = "10:00:00") -> dict[str, Any]:
    return {"mdtrt_id": mdtrt_id, "medins_id": medins_id, "medins_name": "示例医院", "medins_admdvs": admdvs,
            "medins_lv": "05", "med_type": "11", "insutype": "310", "adm_date": f"{day} 09:00:00",
            "setl_date": f"{day} {setl}", "dscg_main_dise_codg": "J06.900", "medfee_sumamt": "15.00",
            "hifp_payamt": "9.00", "fsi_order_dtos": orders}


def _paracetamol(rx_id: str, day: str, prd_days: int) -> dict[str, Any]:
    return {"rx_id": rx_id, "hilist_code": "XN02BEA015A0010101234", "hilist_name": "对乙酰氨基酚片", "chrg_type": "09",
            "cnt": 1, "pric": 15, "sumamt": 15, "drord_begn_date": f"{day} 09:30:00", "curr_drord_flag": "1",
            "prd_days": prd_days}


def test_history_store_settlement_then_repeat_prescription(
        make_client: Callable[..., tuple[TestClient, StateStore]]) -> None:
    """重复开药 in real time: the days left come from another institution's settled dispensing in the
    history store; the answer says so without naming it."""
    c, state = make_client()
    other = {"X-API-Key": state.create_key(OTHER_INSTITUTION)}
    mine = {"X-API-Key": state.create_key(INSTITUTION)}
    settled = {"syscode": "HIS", "trig_scen": "6", "patient_dtos": [_patient(
        [_outpatient("OTH1", "2025-03-01", [_paracetamol("ORX1", "2025-03-01", 30)], OTHER_INSTITUTION)], "OTH1")]}
    assert c.post("/api/3102", json=settled, headers=other).status_code == 200
    # ten days later my hospital prescribes the same ingredient for 7 days: 20 days are left (> 7)
    body = {"syscode": "HIS", "trig_scen": "2", "patient_dtos": [_patient(
        [_outpatient("MINE1", "2025-03-11", [_paracetamol("RX1", "2025-03-11", 7)])], "MINE1")]}
    resp = c.post("/api/3101", json=body, headers=mine)
    [r] = [x for x in resp.json()["result"] if x["rule_id"] == "repeat_prescription"]
    assert r["mdtrt_id"] == "MINE1" and r["other_medins_flag"] == "1" and r["result_type"] == "可疑"
    assert r["vola_amt"] == 15.0  # excess min(7, 20 − 7) = 7 of 7 days: the whole line
    assert [d["rx_id"] for d in r["judge_result_detail_dtos"]] == ["RX1"]  # the other line is not shown
    assert "尚余20天用量" in r["vola_cont"] and "其他定点医药机构" in r["vola_cont"]
    for secret in ("OTH1", "ORX1", OTHER_INSTITUTION, "2025-03-01"):
        assert secret not in resp.text
    # without the stored dispensing (another patient) nothing fires
    body["patient_dtos"][0]["patn_id"] = "P200"
    resp = c.post("/api/3101", json=body, headers=mine)
    assert [x for x in resp.json()["result"] if x["rule_id"] == "repeat_prescription"] == []


def test_history_store_settlement_then_card_two_places(
        make_client: Callable[..., tuple[TestClient, StateStore]]) -> None:
    """冒名就医 in real time: the same card settled in another region 30 minutes earlier (history store)."""
    c, state = make_client()
    other = {"X-API-Key": state.create_key(OTHER_INSTITUTION)}
    mine = {"X-API-Key": state.create_key(INSTITUTION)}
    settled = {"syscode": "HIS", "trig_scen": "6", "patient_dtos": [_patient(
        [_outpatient("OTH1", "2025-03-01", [], OTHER_INSTITUTION, admdvs="440300", setl="10:00:00")], "OTH1")]}
    assert c.post("/api/3102", json=settled, headers=other).status_code == 200
    body = {"syscode": "HIS", "trig_scen": "6", "patient_dtos": [_patient(
        [_outpatient("MINE1", "2025-03-01", [], setl="10:30:00")], "MINE1")]}
    resp = c.post("/api/3102", json=body, headers=mine)
    [r] = [x for x in resp.json()["result"] if x["rule_id"] == "card_two_places"]
    assert r["mdtrt_id"] == "MINE1" and r["other_medins_flag"] == "1" and r["vola_amt"] == 9.0
    assert "其他统筹区" in r["vola_cont"] and "冒名就医" in r["vola_cont"]
    for secret in ("OTH1", OTHER_INSTITUTION, "440300"):
        assert secret not in resp.text
    # an hour and more later is possible: nothing fires
    body["patient_dtos"][0]["fsi_encounter_dtos"][0].update(mdtrt_id="MINE2", setl_date="2025-03-01 11:00:00")
    body["patient_dtos"][0]["curr_mdtrt_id"] = "MINE2"
    resp = c.post("/api/3102", json=body, headers=mine)
    assert [x for x in resp.json()["result"] if x["rule_id"] == "card_two_places"] == []


# -- 3103 feedback -------------------------------------------------------------------------------
def test_feedback_is_linked_and_counted(make_client: Callable[..., tuple[TestClient, StateStore]]) -> None:
    c, state = make_client()
    key = {"X-API-Key": state.create_key(INSTITUTION)}
    other = {"X-API-Key": state.create_key(OTHER_INSTITUTION)}
    [r] = [x for x in c.post("/api/3101", json=request_body(), headers=key).json()["result"]
           if x["rule_id"] == "drug_gender"]
    jr = r["jr_id"]
    bad = c.post("/api/3103", json={"warn_type": "1", "warns": [{"warn_rslt_id": jr, "dspo_way": "1"}]}, headers=key)
    assert bad.status_code == 400 and "dspo_way_rea" in bad.json()["err_msg"]
    assert bad.json()["path"] == "data.warns[0].dspo_way_rea"
    ok = c.post("/api/3103", json={"infno": "3103", "input": {"data": {"warn_type": "1", "warns": [
        {"warn_rslt_id": jr, "dspo_way": "1", "dspo_way_rea": "患者为变性手术后女性，临床确需"},
        {"warn_rslt_id": jr, "dspo_way": "2"}]}}}, headers=key)
    assert ok.status_code == 200 and ok.json()["infcode"] == 0 and ok.json()["output"]["accepted"] == 2
    single = c.post("/api/3103", json={"warn_type": 2, "warns": {"warn_rslt_id": jr, "dspo_way": 2}}, headers=key)
    assert single.status_code == 200
    assert c.post("/api/3103", json={"warn_type": "1", "warns": [{"warn_rslt_id": "nope", "dspo_way": "2"}]},
                  headers=key).status_code == 404
    forbidden = c.post("/api/3103", json={"warn_type": "1", "warns": [{"warn_rslt_id": jr, "dspo_way": "2"}]},
                       headers=other)
    assert forbidden.status_code == 403
    stats = c.get("/api/stats/feedback", headers=key).json()
    [row] = [x for x in stats["rules"] if x["rule_id"] == "drug_gender"]
    assert row == {"rule_id": "drug_gender", "rule_name": "药品限性别", "results": 1, "feedbacks": 3,
                   "continued": 1, "modified": 2, "continue_rate": round(1 / 3, 4)}
    assert c.get("/api/stats/feedback", headers=other).json()["rules"] == []


# -- privacy -------------------------------------------------------------------------------------
def test_names_and_identity_numbers_never_logged(client: Client, caplog: pytest.LogCaptureFixture) -> None:
    c, key = client
    caplog.set_level(logging.DEBUG)
    body = request_body()
    body["patient_dtos"][0]["certno"] = "440106198005011234"
    c.post("/api/3101", json=body, headers=key)
    c.post("/api/3101", json={"patient_dtos": [{"patn_id": "P1", "patn_name": "张三丰" * 300,
                                                "fsi_encounter_dtos": []}]}, headers=key)
    broken = copy.deepcopy(body)
    _enc(broken)["fsi_order_dtos"][0]["cnt"] = {"x": "张三丰"}
    c.post("/api/3101", json=broken, headers=key)
    assert any(r.name == "medaudit.api" for r in caplog.records)
    assert "张三丰" not in caplog.text and "440106198005011234" not in caplog.text


# -- start-up ------------------------------------------------------------------------------------
def test_untranspilable_rule_fails_at_start() -> None:
    tpls = dict(load_templates())
    bad = tpls["drug_gender"].model_copy(update={
        "sql": tpls["drug_gender"].sql.replace("d.generic_name,", "ARRAY_AGG(d.generic_name) OVER () AS agg, d.generic_name,")})
    tpls["drug_gender"] = bad
    rb = RuleBase(tpls, {"drug_gender": Instance(id="drug_gender", template="drug_gender")}, {"t": "1"})
    with pytest.raises(RuleError, match="ArrayAgg"):
        RealtimeEngine(rb, SmallKB())
