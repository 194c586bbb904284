"""Real time on the national knowledge-point layer: 阿帕他胺片 for a woman is refused, citing the point."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from medaudit.api.app import build_app
from medaudit.api.engine import RealtimeEngine
from medaudit.knowledge import national_knowledge
from medaudit.store import HistoryStore, StateStore

from .conftest import INSTITUTION, full_rulebase, request_body

APALUTAMIDE = "XL02BBA326A001010102180"


@pytest.fixture(scope="module")
def national_engine() -> Iterator[RealtimeEngine]:
    eng = RealtimeEngine(full_rulebase(), national_knowledge())
    yield eng
    eng.close()


def test_3101_refuses_apalutamide_for_a_woman_with_the_official_rule(national_engine: RealtimeEngine,
                                                                      tmp_path: Path) -> None:
    state = StateStore(f"sqlite:///{tmp_path / 'state.db'}")
    app = build_app(national_engine, state, HistoryStore(f"sqlite:///{tmp_path / 'history.db'}"), 2 * 1024 * 1024)
    c = TestClient(app, raise_server_exceptions=False)
    body = request_body()
    patient = body["patient_dtos"][0]
    patient["gend"] = "2"
    patient["fsi_encounter_dtos"][0]["fsi_order_dtos"] = [
        {"rx_id": "RX1", "hilist_code": APALUTAMIDE, "hilist_name": "阿帕他胺片", "chrg_type": "09", "cnt": "1",
         "pric": "20.00", "sumamt": "20.00", "drord_begn_date": "2025-03-01 09:30:00", "curr_drord_flag": "1"}]
    resp = c.post("/api/3101", json=body, headers={"X-API-Key": state.create_key(INSTITUTION)})
    assert resp.status_code == 200, resp.text
    out = resp.json()
    [r] = [x for x in out["result"] if x["rule_id"] == "drug_gender"]
    assert out["intercept"] is True and r["intercept_flag"] == "1" and r["vola_amt"] == 20.0
    assert "阿帕他胺片" in r["vola_cont"] and "限男性使用" in r["vola_cont"]
    assert (f"（依据：kb_drug:{APALUTAMIDE}｜GZ10000301004000 药品区分性别使用 知识点U2026-01-00001（2026-01-28发布）："
            "限转移性激素敏感性前列腺癌(mHSPC)患者。（检出逻辑：与限定性别不符）") in r["vola_evid"]
