"""A maximal request does not hold the event loop, and an audit that overruns its budget is cut off."""

from __future__ import annotations

import copy
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi.testclient import TestClient

from medaudit.api.app import build_app
from medaudit.api.config import ApiSettings
from medaudit.api.engine import RealtimeEngine
from medaudit.api.mapping import MAX_ORDERS
from medaudit.store import HistoryStore, StateStore

from .conftest import BASE_REQUEST, INSTITUTION

Make = Callable[..., tuple[TestClient, StateStore]]
CODES = ("XG03DAH051B0010101234", "XN02BEA015A0010101234", "001102000010000", "001103000010000",
         "002103000010000", "XZ99ZZZ999Z0010101234")


def maximal_body(pathological: bool = False) -> bytes:
    """As many orders as one request may carry, just under the default 2 MiB body limit: each with its
    own code (5,000 目录外 findings), or — pathological — six codes repeated, so that rules pairing
    lines (重复收费 …) produce hundreds of thousands of raw rows."""
    body = copy.deepcopy(BASE_REQUEST)
    enc = body["patient_dtos"][0]["fsi_encounter_dtos"][0]

    def code(i: int) -> str:
        return CODES[i % len(CODES)] if pathological or i < 6 else f"XZ99ZZZ{i:05d}0010101234"

    enc["fsi_order_dtos"] = [
        {"rx_id": f"RX{i:05d}", "hilist_code": code(i), "hilist_name": f"项目{i}", "chrg_type": "09",
         "cnt": "2", "pric": "12.50", "sumamt": "25.00", "drord_begn_date": f"2025-03-01 {9 + i % 12:02d}:30:00",
         "curr_drord_flag": "1", "drord_dr_codg": "D440106000001", "drug_trac_codg": f"TR{i % 700:06d}"}
        for i in range(MAX_ORDERS)]
    raw = json.dumps(body, ensure_ascii=False).encode("utf-8")
    assert 1024 * 1024 < len(raw) < 2 * 1024 * 1024
    return raw


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server(engine: RealtimeEngine, tmp_path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    """A real uvicorn server (its own event loop thread) on loopback."""
    state = StateStore(f"sqlite:///{tmp_path / 'state.db'}")
    key = {"X-API-Key": state.create_key(INSTITUTION)}
    app = build_app(engine, state, HistoryStore(f"sqlite:///{tmp_path / 'history.db'}"),
                    settings=ApiSettings(rate_limit_per_minute=0))
    port = _free_port()
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off",
                                        http="medaudit.api.protocol:NoDelayH11Protocol"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    for _ in range(200):
        if srv.started:
            break
        time.sleep(0.02)
    assert srv.started
    try:
        yield f"http://127.0.0.1:{port}", key
    finally:
        srv.should_exit = True
        thread.join(10)


def test_healthz_answers_within_50ms_while_a_maximal_request_is_in_flight(server: tuple[str, dict[str, str]]) -> None:
    base, key = server
    body = maximal_body()
    outcome: dict[str, Any] = {}

    def big() -> None:
        with httpx.Client(timeout=60) as c:
            t0 = time.perf_counter()
            r = c.post(f"{base}/api/3101", content=body, headers={**key, "Content-Type": "application/json"})
            outcome.update(status=r.status_code, results=len(r.json()["result"]), secs=time.perf_counter() - t0,
                           done=time.perf_counter())

    with httpx.Client(timeout=5) as health:
        assert health.get(f"{base}/healthz").status_code == 200  # connection open, code paths warm
        worker = threading.Thread(target=big)
        worker.start()
        time.sleep(0.1)  # the body is on its way / being audited
        latencies: list[float] = []
        while worker.is_alive():
            t0 = time.perf_counter()
            r = health.get(f"{base}/healthz")
            t1 = time.perf_counter()
            assert r.status_code == 200
            if worker.is_alive():  # count only polls answered while the big request was still open
                latencies.append(t1 - t0)
            time.sleep(0.02)
        worker.join()
    assert outcome["status"] == 200 and outcome["results"] > 0
    assert len(latencies) >= 5, f"the maximal request took only {outcome['secs']:.2f} s"
    ms = sorted(round(x * 1000, 1) for x in latencies)
    # 50 ms is the bound; the build machine is shared (load above 4 per core), and a process that is not
    # scheduled cannot answer, so a rare poll (≤ 5 %) may exceed it — never by the whole audit's length
    # (on the loop, the audit held /healthz for over a second)
    assert ms[int(len(ms) * 0.95) - 1] < 50, ms
    assert ms[-1] < 1000, ms


def test_an_audit_over_its_time_budget_is_a_422_and_the_engine_recovers(make_client: Make) -> None:
    c, state = make_client(settings=ApiSettings(time_budget_seconds=0.5))
    key = {"X-API-Key": state.create_key(INSTITUTION), "Content-Type": "application/json"}
    t0 = time.perf_counter()
    resp = c.post("/api/3101", content=maximal_body(pathological=True), headers=key)
    assert time.perf_counter() - t0 < 5  # unbounded, this audit runs for minutes
    assert resp.status_code == 422, resp.text[:300]
    assert "时间预算" in resp.json()["err_msg"] and "time budget" in resp.json()["err_msg"]
    ok = c.post("/api/3101", json=BASE_REQUEST, headers=key)
    assert ok.status_code == 200 and any(r["rule_id"] == "drug_gender" for r in ok.json()["result"])
