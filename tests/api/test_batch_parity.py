"""The real-time API and batch audit agree on the same encounters.

Synthetic encounters with injected single-encounter violations are sent to /api/3102 (settlement
scene, all of the encounter's lines current) as a HIS would; the 违规项 the API returns must be
every batch finding of the encounter's local types, row for row: amount, reason, evidence, severity,
action, lines (the expected set does not depend on which templates the API chose to run).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from fastapi.testclient import TestClient

from medaudit.api.app import BHVR_TYPE, build_app
from medaudit.api.dto import request_for
from medaudit.api.engine import RealtimeEngine
from medaudit.engine.backends.duckdb import DuckDBBackend
from medaudit.engine.runner import audit
from medaudit.knowledge import default_knowledge
from medaudit.rules import load_rulebase
from medaudit.rules.loader import load_templates
from medaudit.store.history import HistoryStore
from medaudit.store.state import StateStore
from medaudit.synth import SCHEMES, SynthConfig, generate

#: types decided by the encounter's own rows and knowledge (no history, no server-side master data
#: such as the guidance period, no daily dose, which 3101 orders do not carry)
LOCAL_TYPES = {"drug_gender", "item_gender", "drug_age", "drug_indication", "drug_level", "drug_visit_type",
               "drug_over_days", "drug_duplicate", "drug_contraindication", "item_over_freq", "over_price",
               "duplicate_charge", "decomposed_charge", "item_indication", "chronic_drug_scope", "not_in_catalogue"}


TEMPLATES = load_templates()


@pytest.fixture(scope="module")
def world() -> tuple[dict[str, pa.Table], pa.Table, pa.Table]:
    result = generate(SynthConfig(patients=600, months=2, seed=21, rates=dict.fromkeys(SCHEMES, 0.3)))
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
    batch_by_enc: dict[str, list[dict[str, Any]]] = {}
    for f in findings.to_pylist():
        batch_by_enc.setdefault(f["mdtrt_id"], []).append(f)
    compared = 0
    for mid in chosen:
        inst = encs[mid]["fixmedins_code"]
        if inst not in keys:
            keys[inst] = state.create_key(inst)
        trig = "9" if encs[mid]["visit_type"] == "inpatient" else "7"  # 预结算: 事中, nothing written to history
        res = client.post("/api/3102", json=request_for(tables, mid, trig_scen=trig), headers={"X-API-Key": keys[inst]})
        assert res.status_code == 200, res.text
        got = sorted((_comparable(r) for r in res.json()["result"] if r["rule_id"] in LOCAL_TYPES),
                     key=lambda r: r["jr_id"])
        # every batch finding of a local type on this encounter, whatever the API chose to run
        want = sorted((_expected(f, inst) for f in batch_by_enc.get(mid, []) if f["rule_id"] in LOCAL_TYPES),
                      key=lambda r: r["jr_id"])
        assert got == want, mid
        compared += len(want)
    assert compared >= 40, f"only {compared} findings compared"
    assert {r for f in findings.to_pylist() if f["mdtrt_id"] in chosen and (r := f["rule_id"]) in LOCAL_TYPES} \
        >= LOCAL_TYPES - {"decomposed_charge", "not_in_catalogue", "item_indication", "chronic_drug_scope"}


def _comparable(result: dict[str, Any]) -> dict[str, Any]:
    """An API result without the request-scoped task id (everything else must match the batch row)."""
    return {k: v for k, v in result.items() if k != "task_id"}


def _expected(f: dict[str, Any], institution: str) -> dict[str, Any]:
    """The 3101/3102 result a batch finding stands for, written from docs/api.md's field list."""
    jr_id = f"{institution}-{f['finding_id']}"
    details = [{"jrd_id": f"{jr_id}-1", "patn_id": f["psn_no"], "mdtrt_id": f["mdtrt_id"], "rx_id": f["line_id"],
                "vola_item_type": "1", "vola_amt": f["amount_fen"] / 100}]
    if f["related_line_id"] is not None:
        details.append({"jrd_id": f"{jr_id}-2", "patn_id": f["psn_no"], "mdtrt_id": f["mdtrt_id"],
                        "rx_id": f["related_line_id"], "vola_item_type": "2", "vola_amt": 0.0})
    logic = TEMPLATES[f["rule_id"]].logic
    return {"jr_id": jr_id, "rule_id": f["instance_id"], "rule_name": f["rule_name"], "vola_cont": f["reason"],
            "patn_id": f["psn_no"], "mdtrt_id": f["mdtrt_id"], "vola_amt": f["amount_fen"] / 100,
            "vola_amt_stas": "1", "sev_deg": {"明确违规": "1", "高度可疑": "2"}.get(f["severity"], "3"),
            "sev_deg_name": f["severity"],
            "vola_evid": (logic + (f"（依据：{f['kb_ref']}）" if f["kb_ref"] else ""))[:500],
            "vola_bhvr_type": BHVR_TYPE.get(f["category"], "9"), "vola_bhvr_type_name": f["category"],
            "result_type": f["result_type"], "dspo_act": f["action"],
            "intercept_flag": "1" if f["result_type"] == "明确" and f["action"] == "拦截" else "0",
            "other_medins_flag": "0", "judge_result_detail_dtos": details}
