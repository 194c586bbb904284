"""Every store (history, keys, results and feedback, look-up trail) on SQLite and on PostgreSQL.

Each test takes ``store_url`` (tests/conftest.py: once per dialect, a fresh database each time) and
first asserts the dialect it runs on, so a PostgreSQL run that silently fell back to SQLite fails.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import text

from medaudit.errors import MedauditError
from medaudit.store.history import HistoryStore
from medaudit.store.state import ADMIN_INSTITUTION, StateStore
from tests.conftest import StoreTarget

T0 = dt.datetime(2025, 3, 1, 9, 0)


def _rows(mid: str, amount: int) -> dict[str, list[dict[str, object]]]:
    return {"encounters": [{"mdtrt_id": mid, "medfee_sumamt_fen": amount, "dept_name": "心内科"}],
            "fee_lines": [{"line_id": f"{mid}-1", "amt_fen": amount}]}


def _state(store_url: StoreTarget) -> StateStore:
    state = StateStore(store_url.url)
    assert state.dialect == store_url.dialect
    with state.engine.connect() as con:  # the server itself, not only the URL's scheme
        version = con.execute(text("SELECT sqlite_version()" if store_url.dialect == "sqlite"
                                   else "SHOW server_version")).scalar_one()
    assert version
    return state


def test_history_write_read_replace_delete(store_url: StoreTarget) -> None:
    store = HistoryStore(store_url.url)
    assert store.dialect == store_url.dialect
    store.write("H1", "E1", "P1", T0, _rows("E1", 100))
    store.write("H2", "E1", "P1", T0 + dt.timedelta(days=2), _rows("E1", 200))  # same id, other hospital
    store.write("H1", "E2", "P1", T0 + dt.timedelta(days=40), _rows("E2", 300))
    store.write("H1", "E3", "P2", T0, _rows("E3", 400))
    got = store.read("P1", T0, T0 + dt.timedelta(days=30))
    assert [(e.fixmedins_code, e.mdtrt_id) for e in got] == [("H1", "E1"), ("H2", "E1")]
    assert got[1].payload["encounters"][0] == {"mdtrt_id": "E1", "medfee_sumamt_fen": 200, "dept_name": "心内科"}
    assert got[0].payload["diagnoses"] == []
    store.write("H1", "E1", "P1", T0, _rows("E1", 150))  # a re-settlement replaces the hospital's own row
    assert store.count() == 4 and store.count("H1") == 3
    assert store.read("P1", T0, T0)[0].payload["fee_lines"][0]["amt_fen"] == 150
    assert store.delete("H2", "E2") == 0
    assert store.delete("H2", "E1") == 1
    assert [(e.fixmedins_code, e.mdtrt_id) for e in store.read("P1", T0)] == [("H1", "E1"), ("H1", "E2")]


def test_keys_create_check_revoke(store_url: StoreTarget) -> None:
    state = _state(store_url)
    key = state.create_key("H1", label="收费系统")
    admin = state.create_key(None, admin=True)
    assert state.institution_for(key) == "H1"
    assert state.institution_for(admin) is None
    info = state.key_info(admin)
    assert info is not None and info.is_admin and info.institution == ADMIN_INSTITUTION
    assert state.key_info("mk_unknown") is None
    listed = {k["key_prefix"]: k for k in state.list_keys()}
    assert listed[key[:10]]["label"] == "收费系统" and listed[key[:10]]["active"] is True
    assert state.revoke_key(key[:10]) == 1
    assert state.institution_for(key) is None
    assert state.revoke_key("mk_nothing") == 0
    with pytest.raises(MedauditError, match="机构编码"):
        state.create_key("H" * 30)


def test_results_and_feedback_stats(store_url: StoreTarget) -> None:
    state = _state(store_url)
    row = {"jr_id": "H1-0001", "rule_id": "drug_gender", "rule_name": "药品限性别", "institution": "H1",
           "mdtrt_id": "E1", "sev_deg": "1", "intercept": True}
    state.record_results([row, {**row, "jr_id": "H1-0002", "mdtrt_id": "E2", "intercept": False},
                          {**row, "jr_id": "H2-0001", "institution": "H2"}])
    state.record_results([row])  # handed out again
    got = state.results(["H1-0001", "H1-0002", "H9-0000"])
    assert sorted(got) == ["H1-0001", "H1-0002"]
    assert got["H1-0001"]["times"] == 2 and got["H1-0002"]["times"] == 1
    assert got["H1-0001"]["intercept"] is True and got["H1-0002"]["intercept"] is False
    fb = {"rule_id": "drug_gender", "institution": "H1", "warn_type": "1", "dspo_way_rea": None}
    assert state.add_feedback([{**fb, "jr_id": "H1-0001", "dspo_way": "1", "dspo_way_rea": "临床需要"},
                               {**fb, "jr_id": "H1-0002", "dspo_way": "2"},
                               {**fb, "jr_id": "H1-0002", "dspo_way": "1"}]) == 3
    assert state.feedback_stats("H1") == [{"rule_id": "drug_gender", "rule_name": "药品限性别", "results": 2,
                                           "feedbacks": 3, "continued": 2, "modified": 1,
                                           "continue_rate": 0.6667}]
    assert state.feedback_stats("H2")[0]["feedbacks"] == 0 and state.feedback_stats("H2")[0]["results"] == 1
    assert state.feedback_stats("H3") == []


def test_lookup_trail_filters_and_order(store_url: StoreTarget) -> None:
    state = _state(store_url)
    base = {"request_id": "r", "endpoint": "3101", "since": T0 - dt.timedelta(days=30), "visit_time": T0,
            "own_found": 1, "other_found": 0, "results_other": 0}
    state.trail.record([{**base, "at": T0 + dt.timedelta(minutes=i), "key_prefix": f"mk_k{i % 2}",
                         "institution": f"H{i % 2}", "psn_no": f"P{i % 3}", "request_id": f"r{i}"}
                        for i in range(6)])
    assert [r["request_id"] for r in state.trail.query()] == ["r5", "r4", "r3", "r2", "r1", "r0"]
    assert [r["request_id"] for r in state.trail.query(key_prefix="mk_k1")] == ["r5", "r3", "r1"]
    assert [r["request_id"] for r in state.trail.query(institution="H0", psn_no="P0")] == ["r0"]
    assert [r["request_id"] for r in state.trail.query(since=T0 + dt.timedelta(minutes=2),
                                                       before=T0 + dt.timedelta(minutes=4))] == ["r3", "r2"]
    assert len(state.trail.query(limit=2)) == 2
    assert state.trail.query(psn_no="P9") == []
