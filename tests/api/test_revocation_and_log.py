"""Key revocation across workers, and the structured JSON-lines request log."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from medaudit.api import requestlog
from medaudit.api.app import build_app
from medaudit.api.engine import RealtimeEngine
from medaudit.errors import MedauditError
from medaudit.store import HistoryStore, StateStore

from .conftest import INSTITUTION, request_body

Make = Callable[..., tuple[TestClient, StateStore]]


def _workers(engine: RealtimeEngine, tmp_path: Path, url: str, cache: float) -> list[TestClient]:
    """Two 'workers': separate apps with their own StateStore (own key cache) on one database."""
    history = f"sqlite:///{tmp_path / 'history.db'}"
    return [TestClient(build_app(engine, StateStore(url, key_cache_seconds=cache), HistoryStore(history)),
                       raise_server_exceptions=False) for _ in range(2)]


@pytest.mark.parametrize("store", ["sqlite", "postgresql"])
def test_revocation_holds_on_the_next_request_in_every_worker(store: str, engine: RealtimeEngine, tmp_path: Path,
                                                              request: pytest.FixtureRequest) -> None:
    url = request.getfixturevalue("pg_url") if store == "postgresql" else f"sqlite:///{tmp_path / 'state.db'}"
    operator = StateStore(url)  # what `medaudit keys revoke` opens
    assert operator.dialect == store
    key = {"X-API-Key": operator.create_key(INSTITUTION)}
    workers = _workers(engine, tmp_path, url, cache=0.0)
    assert [w.get("/api/stats/feedback", headers=key).status_code for w in workers] == [200, 200]
    assert operator.revoke_key(key["X-API-Key"][:10]) == 1
    assert [w.get("/api/stats/feedback", headers=key).status_code for w in workers] == [401, 401]


def test_a_key_cache_is_bounded_by_its_documented_seconds(engine: RealtimeEngine, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'state.db'}"
    operator = StateStore(url)
    key = {"X-API-Key": operator.create_key(INSTITUTION)}
    workers = _workers(engine, tmp_path, url, cache=0.3)
    assert [w.get("/api/stats/feedback", headers=key).status_code for w in workers] == [200, 200]
    operator.revoke_key(key["X-API-Key"][:10])
    time.sleep(0.35)
    assert [w.get("/api/stats/feedback", headers=key).status_code for w in workers] == [401, 401]
    with pytest.raises(MedauditError, match="key cache seconds"):
        StateStore(url, key_cache_seconds=30)


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []
        self.setFormatter(requestlog._JsonLines())

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


def test_request_log_is_json_lines_without_identities(make_client: Make) -> None:
    c, state = make_client()
    key = {"X-API-Key": state.create_key(INSTITUTION)}
    handler = _Lines()
    log = logging.getLogger(requestlog.LOGGER)
    log.addHandler(handler)
    old = log.level
    log.setLevel(logging.INFO)
    try:
        body = request_body()
        body["patient_dtos"][0]["certno"] = "440106198005011234"
        ok = c.post("/api/3101", json=body, headers={**key, "X-Request-ID": "his-req-42"})
        c.post("/api/3101", json={"patient_dtos": "张三丰"}, headers=key)
        c.get("/api/44010619800501123X", headers=key)  # an identity number in the path
        c.get("/healthz")
    finally:
        log.removeHandler(handler)
        log.setLevel(old)
    entries = [json.loads(line) for line in handler.lines]
    assert [e["status"] for e in entries] == [200, 400, 404, 200]
    first = entries[0]
    assert ok.headers["x-request-id"] == "his-req-42" == first["request_id"]
    assert first["institution"] == INSTITUTION and first["endpoint"] == "/api/3101" and first["method"] == "POST"
    assert first["rules"] >= 1 and first["results"] >= 1 and first["latency_ms"] > 0
    assert first["time"].endswith("+00:00")
    assert entries[2]["endpoint"] == "(unmatched)" and entries[3]["institution"] is None
    assert len({e["request_id"] for e in entries}) == 4
    text = "\n".join(handler.lines)
    for secret in ("44010619800501123X", "张三丰", "440106198005011234", "MD001"):
        assert secret not in text


def test_request_log_has_its_own_file_and_level(make_client: Make, tmp_path: Path) -> None:
    c, state = make_client()
    key = {"X-API-Key": state.create_key(INSTITUTION)}
    path = tmp_path / "requests.jsonl"
    log = logging.getLogger(requestlog.LOGGER)
    try:
        requestlog.configure(path, "INFO")
        c.get("/healthz")
        c.get("/api/stats/feedback", headers=key)
        requestlog.configure(path, "WARNING")  # quieter: ordinary requests are not written
        c.get("/healthz")
        lines = path.read_text(encoding="utf-8").splitlines()
        assert [json.loads(x)["endpoint"] for x in lines] == ["/healthz", "/api/stats/feedback"]
        assert log.propagate is False
    finally:
        for h in list(log.handlers):
            log.removeHandler(h)
            h.close()
        log.propagate = True
        log.setLevel(logging.NOTSET)
