"""`medaudit keys …`: HIS and admin keys, and a revocation through the CLI that a running app obeys."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

import medaudit.commands  # noqa: F401  (registers the commands)
from medaudit.api.app import build_app
from medaudit.api.engine import RealtimeEngine
from medaudit.cli import app
from medaudit.settings import get_settings
from medaudit.store import HistoryStore, StateStore

from .conftest import INSTITUTION


@pytest.fixture
def state_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'state.db'}"
    monkeypatch.setenv("MEDAUDIT_DATABASE_URL", url)
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


def _cli(*args: str) -> tuple[int, str]:
    res = CliRunner().invoke(app, list(args))
    # a MedauditError reaches medaudit.cli.main (the one-line printer) as the exception
    return res.exit_code, res.output + ("" if res.exception is None else str(res.exception))


def test_admin_and_his_keys_from_the_cli(state_url: str, engine: RealtimeEngine, tmp_path: Path) -> None:
    code, out = _cli("keys", "create", "--admin", "--label", "稽核科", "--json")
    assert code == 0, out
    admin = json.loads(out)
    assert admin["role"] == "admin" and admin["institution"] is None
    code, out = _cli("keys", "create", "--institution", INSTITUTION, "--json")
    his = json.loads(out)
    assert code == 0 and his["role"] == "his" and his["institution"] == INSTITUTION
    code, out = _cli("keys", "create", "--admin", "--institution", INSTITUTION)
    assert code != 0 and "admin key has no institution" in out
    code, out = _cli("keys", "create")
    assert code != 0 and "--institution" in out
    code, out = _cli("keys", "create", "--institution", "H" * 30)
    assert code != 0 and "1…29" in out
    code, out = _cli("keys", "list")
    assert f"{admin['prefix']}…  管理员/admin" in out and f"{his['prefix']}…  {INSTITUTION}" in out
    c = TestClient(build_app(engine, StateStore(state_url), HistoryStore(f"sqlite:///{tmp_path / 'h.db'}")),
                   raise_server_exceptions=False)
    assert c.get("/api/admin/lookups", headers={"X-API-Key": admin["key"]}).json() == {"lookups": []}
    assert c.get("/api/stats/feedback", headers={"X-API-Key": his["key"]}).status_code == 200
    code, out = _cli("keys", "revoke", his["prefix"])
    assert code == 0, out
    assert c.get("/api/stats/feedback", headers={"X-API-Key": his["key"]}).status_code == 401
    code, out = _cli("keys", "lookups", "--since", "not-a-date")
    assert code != 0 and "--since" in out
