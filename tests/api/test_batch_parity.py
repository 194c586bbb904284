"""The real-time API and batch audit agree on the same encounters.

Synthetic encounters with injected single-encounter violations are sent to /api/3102 (settlement
scene, all of the encounter's lines current) as a HIS would; the 违规项 the API returns must be
exactly the batch findings of the templates the scene ran, for that encounter.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from fastapi.testclient import TestClient

from medaudit.api.app import build_app
from medaudit.api.dto import request_for
from medaudit.api.engine import RealtimeEngine
from medaudit.api.mapping import scenes_for
from medaudit.engine.backends.duckdb import DuckDBBackend
from medaudit.engine.runner import audit
from medaudit.knowledge import default_knowledge
from medaudit.rules import load_rulebase
from medaudit.store.history import HistoryStore
from medaudit.store.state import StateStore
from medaudit.synth import SynthConfig, generate

#: types decided by the encounter's own rows and knowledge (no history, no server-side master data
#: such as the guidance period, no daily dose, which 3101 orders do not carry)
LOCAL_TYPES = {"drug_gender", "item_gender", "drug_age", "drug_indication", "drug_level", "drug_visit_type",
               "drug_over_days", "drug_duplicate", "drug_contraindication", "item_over_freq", "over_price",
               "duplicate_charge", "decomposed_charge", "item_indication", "chronic_drug_scope", "not_in_catalogue"}


@pytest.fixture(scope="module")
def world() -> tuple[dict[str, pa.Table], pa.Table, pa.Table]:
    result = generate(SynthConfig(patients=600, months=2, seed=21))
    backend = DuckDBBackend()
    try:
        findings = audit(backend, result.tables, default_knowledge(), load_rulebase())
    finally:
        backend.close()
    return result.tables, result.labels, findings


def test_api_matches_batch_on_labelled_encounters(world: tuple[dict[str, pa.Table], pa.Table, pa.Table],
                                                  tmp_path: Path) -> None:
    tables, labels, findings = world
    refunded = set(pc.unique(tables["fee_lines"].filter(pc.field("refund_flag")).column("mdtrt_id")).to_pylist())
    chosen = sorted({r["mdtrt_id"] for r in labels.to_pylist() if r["violation_type"] in LOCAL_TYPES} - refunded)
    assert len(chosen) >= 20
    engine = RealtimeEngine(load_rulebase(), default_knowledge())
    state = StateStore(f"sqlite:///{tmp_path / 'state.db'}")
    app = build_app(engine, state, HistoryStore(f"sqlite:///{tmp_path / 'history.db'}"))
    client = TestClient(app, raise_server_exceptions=False)
    encs = {e["mdtrt_id"]: e for e in tables["encounters"].to_pylist()}
    keys: dict[str, str] = {}
    batch_by_enc: dict[str, set[tuple[str, str | None]]] = {}
    for f in findings.to_pylist():
        batch_by_enc.setdefault(f["mdtrt_id"], set()).add((f["rule_id"], f["line_id"]))
    compared = 0
    for mid in chosen:
        inst = encs[mid]["fixmedins_code"]
        if inst not in keys:
            keys[inst] = state.create_key(inst)
        trig = "9" if encs[mid]["visit_type"] == "inpatient" else "7"  # 预结算: 事中, nothing written to history
        res = client.post("/api/3102", json=request_for(tables, mid, trig_scen=trig), headers={"X-API-Key": keys[inst]})
        assert res.status_code == 200, res.text
        body = res.json()
        remote = encs[mid]["psn_admdvs"] != encs[mid]["medins_admdvs"]
        ran = set(engine.select(*scenes_for(trig, remote, encs[mid]["visit_type"] == "chronic"), None).templates)
        got = {(r["rule_id"], next((d["rx_id"] for d in r["judge_result_detail_dtos"] if d["vola_item_type"] == "1"), None))
               for r in body["result"]}
        want = {(rule, line) for rule, line in batch_by_enc.get(mid, set())
                if rule in LOCAL_TYPES and rule in ran}
        assert {g for g in got if g[0] in LOCAL_TYPES} == want, mid
        compared += 1
    assert compared == len(chosen)
