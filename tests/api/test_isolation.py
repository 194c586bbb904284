"""Two institutions' keys against one history store: isolation, redaction, result ids, probing limits,
and the bureau admin's look-up trail — on SQLite and on a real PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from medaudit.api.config import ApiSettings
from medaudit.store import HistoryStore, StateStore

from .conftest import INSTITUTION, OTHER_INSTITUTION, request_body

Make = Callable[..., tuple[TestClient, StateStore]]
A, B = INSTITUTION, OTHER_INSTITUTION


def _stay(mdtrt_id: str, medins_id: str, adm: str, dscg: str, rx: str = "RXS1", trace: str | None = None,
          psn: str = "P700") -> dict[str, Any]:
    order = {"rx_id": rx, "hilist_code": "XN02BEA015A0010101234", "hilist_name": "对乙酰氨基酚片", "chrg_type": "09",
             "cnt": 1, "pric": 15, "sumamt": 15, "drord_begn_date": adm, "curr_drord_flag": "1"}
    if trace:
        order["drug_trac_codg"] = trace
    enc = {"mdtrt_id": mdtrt_id, "medins_id": medins_id, "medins_name": "示例医院", "medins_admdvs": "440106",
           "medins_lv": "05", "med_type": "21", "insutype": "310", "adm_date": adm, "dscg_date": dscg,
           "medfee_sumamt": "5000.00", "hifp_payamt": "4000.00", "fsi_order_dtos": [order]}
    return {"syscode": "HIS", "trig_scen": "8", "patient_dtos": [{
        "patn_id": psn, "patn_name": "王五", "gend": "2", "brdy": "1970-01-01", "poolarea": "440106",
        "curr_mdtrt_id": mdtrt_id, "fsi_encounter_dtos": [enc]}]}


def _stores(store: str, request: pytest.FixtureRequest, tmp_path: Any) -> tuple[str, str]:
    if store == "postgresql":
        url = request.getfixturevalue("pg_url")
        return url, url
    return f"sqlite:///{tmp_path / 'state.db'}", f"sqlite:///{tmp_path / 'history.db'}"


def _clear(history: HistoryStore, state: StateStore) -> None:
    """The PostgreSQL database is shared by the session: start each test from empty tables."""
    from medaudit.store.history import history as history_table
    from medaudit.store.state import audit_results, feedback
    from medaudit.store.trail import lookups

    with history.engine.begin() as con:
        con.execute(history_table.delete())
    with state.engine.begin() as con:
        for t in (lookups, feedback, audit_results):
            con.execute(t.delete())


@pytest.fixture(params=["sqlite", "postgresql"])
def two(request: pytest.FixtureRequest, make_client: Make, tmp_path: Any) -> dict[str, Any]:
    state_url, history_url = _stores(request.param, request, tmp_path)
    c, state = make_client(history_url=history_url, state_url=state_url,
                           settings=ApiSettings(lookup_limit_per_minute=6, lookup_limit_burst=3))
    history: HistoryStore = c.app.state.services.history  # type: ignore[attr-defined]
    _clear(history, state)
    assert history.dialect == request.param and state.dialect == request.param
    return {"c": c, "state": state, "history": history, "dialect": request.param,
            "a": {"X-API-Key": state.create_key(A)}, "b": {"X-API-Key": state.create_key(B)}}


def test_same_local_id_never_overwrites_another_institution(two: dict[str, Any]) -> None:
    c, history = two["c"], two["history"]
    assert c.post("/api/3102", json=_stay("MD9", A, "2025-05-01 09:00:00", "2025-05-09 10:00:00", psn="PA"),
                  headers=two["a"]).status_code == 200
    # B's HIS happens to use the same local encounter id for another patient, then re-settles it
    for _ in range(2):
        assert c.post("/api/3102", json=_stay("MD9", B, "2025-06-01 09:00:00", "2025-06-03 10:00:00", psn="PB"),
                      headers=two["b"]).status_code == 200
    assert history.count(A) == 1 and history.count(B) == 1
    [a_row] = history.read("PA", dt.datetime(2025, 1, 1))
    assert a_row.fixmedins_code == A and a_row.payload["encounters"][0]["adm_time"] == "2025-05-01 09:00:00"
    # only the owner can delete its row
    assert history.delete(B, "MD9") == 1
    assert history.count(A) == 1 and history.read("PA", dt.datetime(2025, 1, 1))
    assert history.delete(B, "MD9") == 0


def test_cross_institution_history_is_used_but_never_shown(two: dict[str, Any]) -> None:
    c = two["c"]
    assert c.post("/api/3102", json=_stay("SECRET-ENC", A, "2025-03-01 09:00:00", "2025-03-10 10:00:00",
                                          rx="SECRET-RX", trace="TR0001"), headers=two["a"]).status_code == 200
    # B audits an overlapping stay whose drug carries the same trace code
    body = _stay("B-ENC", B, "2025-03-07 09:00:00", "2025-03-15 10:00:00", rx="B-RX", trace="TR0001")
    body["trig_scen"] = "9"
    resp = c.post("/api/3102", json=body, headers=two["b"])
    assert resp.status_code == 200, resp.text
    out = resp.json()
    by_rule = {r["rule_id"]: r for r in out["result"]}
    assert {"concurrent_stay", "duplicate_trace_code"} <= set(by_rule)
    assert "该参保人同期在其他定点医疗机构住院" in by_rule["concurrent_stay"]["vola_cont"]
    assert "已在其他定点医药机构结算" in by_rule["duplicate_trace_code"]["vola_cont"]
    for r in by_rule.values():
        if r["rule_id"] in ("concurrent_stay", "duplicate_trace_code"):
            assert r["other_medins_flag"] == "1"
            assert [d["vola_item_type"] for d in r["judge_result_detail_dtos"]] == ["1"]
    for secret in (A, "SECRET-ENC", "SECRET-RX", "2025-03-01", "2025-03-10", "~"):
        assert secret not in resp.text, secret
    assert out["history_encounters"] == 0


def test_result_ids_are_per_institution_and_feedback_works_for_both(two: dict[str, Any]) -> None:
    c = two["c"]
    body_a = request_body()
    body_b = request_body()
    body_b["patient_dtos"][0]["fsi_encounter_dtos"][0]["medins_id"] = B
    ra = [r for r in c.post("/api/3101", json=body_a, headers=two["a"]).json()["result"] if r["rule_id"] == "drug_gender"]
    rb = [r for r in c.post("/api/3101", json=body_b, headers=two["b"]).json()["result"] if r["rule_id"] == "drug_gender"]
    assert ra[0]["jr_id"] == f"{A}-{ra[0]['jr_id'].split('-', 1)[1]}"
    assert rb[0]["jr_id"].startswith(f"{B}-") and ra[0]["jr_id"] != rb[0]["jr_id"]
    for key, jr in ((two["a"], ra[0]["jr_id"]), (two["b"], rb[0]["jr_id"])):
        resp = c.post("/api/3103", json={"warn_type": "1", "warns": [{"warn_rslt_id": jr, "dspo_way": "2"}]}, headers=key)
        assert resp.status_code == 200 and resp.json()["accepted"] == 1
    foreign = c.post("/api/3103", json={"warn_type": "1", "warns": [{"warn_rslt_id": ra[0]["jr_id"], "dspo_way": "2"}]},
                     headers=two["b"])
    assert foreign.status_code == 403


def test_probing_is_rate_limited_and_left_in_the_trail(two: dict[str, Any]) -> None:
    c, state = two["c"], two["state"]
    assert c.post("/api/3102", json=_stay("A1", A, "2025-03-01 09:00:00", "2025-03-10 10:00:00"),
                  headers=two["a"]).status_code == 200
    statuses = []
    for day in range(1, 8):  # B probes day by day with 门诊预结算 (nothing is stored)
        probe = _stay(f"PROBE{day}", B, f"2025-03-{day:02d} 09:00:00", f"2025-03-{day:02d} 10:00:00")
        probe["trig_scen"] = "7"
        probe["patient_dtos"][0]["fsi_encounter_dtos"][0]["med_type"] = "11"
        resp = c.post("/api/3102", json=probe, headers=two["b"])
        statuses.append(resp.status_code)
        if resp.status_code == 429:
            assert int(resp.headers["retry-after"]) >= 1
            assert "过于频繁" in resp.json()["err_msg"] and "retry in" in resp.json()["err_msg"]
    assert statuses[:2] == [200, 200] and 429 in statuses  # burst 3, the settlement of A spent none of B's
    admin = {"X-API-Key": state.create_key(None, "稽核科", admin=True)}
    b_prefix = two["b"]["X-API-Key"][:10]
    trail = c.get("/api/admin/lookups", params={"key_prefix": b_prefix}, headers=admin)
    assert trail.status_code == 200, trail.text
    rows = trail.json()["lookups"]
    assert len(rows) == statuses.count(200)
    assert {r["psn_no"] for r in rows} == {"P700"} and {r["institution"] for r in rows} == {B}
    assert all(r["other_found"] == 1 and r["own_found"] == 0 for r in rows)
    # the trail is the bureau's: an HIS key may not read it, an admin key may not audit
    assert c.get("/api/admin/lookups", headers=two["b"]).status_code == 403
    assert c.post("/api/3101", json=request_body(), headers=admin).status_code == 403
    assert c.get("/api/admin/lookups", params={"since": "yesterday"}, headers=admin).status_code == 400
    # and the CLI shows the same rows to an operator
    import medaudit.commands  # noqa: F401  (registers the commands)
    from medaudit.cli import app
    from medaudit.settings import get_settings

    get_settings.cache_clear()
    env = {"MEDAUDIT_DATABASE_URL": str(state.engine.url.render_as_string(hide_password=False))}
    res = CliRunner().invoke(app, ["keys", "lookups", "--key", b_prefix, "--json"], env=env)
    get_settings.cache_clear()
    assert res.exit_code == 0, res.output
    assert [json.loads(line)["request_id"] for line in res.output.splitlines()] == [r["request_id"] for r in rows]


def test_general_rate_limit_answers_429_with_retry_after(make_client: Make) -> None:
    c, state = make_client(settings=ApiSettings(rate_limit_per_minute=60, rate_limit_burst=2))
    key = {"X-API-Key": state.create_key(A)}
    codes = [c.get("/api/stats/feedback", headers=key).status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    resp = c.get("/api/stats/feedback", headers=key)
    assert resp.status_code == 429 and resp.headers["retry-after"] == "1"
    other = {"X-API-Key": state.create_key(B)}  # per key: another key is unaffected
    assert c.get("/api/stats/feedback", headers=other).status_code == 200
