"""Fuzz the OpenAPI contract in process: whatever a client sends, the answer is never a 5xx."""

from __future__ import annotations

import tempfile
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, settings

from medaudit.api.app import build_app
from medaudit.api.engine import RealtimeEngine
from medaudit.store import HistoryStore, StateStore

from .conftest import INSTITUTION, SmallKB, full_rulebase

_DIR = Path(tempfile.mkdtemp(prefix="medaudit-fuzz-"))
_STATE = StateStore(f"sqlite:///{_DIR / 'state.db'}")
_KEY = {"X-API-Key": _STATE.create_key(INSTITUTION)}
_APP = build_app(RealtimeEngine(full_rulebase(), SmallKB()), _STATE, HistoryStore(f"sqlite:///{_DIR / 'history.db'}"))

schema = schemathesis.openapi.from_asgi("/openapi.json", _APP)


@schema.parametrize()
@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_errors(case: schemathesis.Case) -> None:
    for headers in (_KEY, {}):
        response = case.call(headers=headers)
        assert response.status_code < 500, f"{case.method} {case.path}: {response.status_code} {response.text[:300]}"
        if response.status_code >= 400:
            assert "err_msg" in response.json()
