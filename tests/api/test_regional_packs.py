"""`medaudit serve --rule-pack/--knowledge-pack`: the real-time API audits with the region's layers.

The workers uvicorn starts build the app from the environment (MEDAUDIT_RULE_PACKS /
MEDAUDIT_KNOWLEDGE_PACKS), so that is what these tests set; the CLI test checks serve hands its
options over and refuses a broken pack before listening.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from medaudit.api.app import create_app
from medaudit.store import StateStore
from tests.api.test_real_clients import correctly_shaped, findings, load_fixture, output

CITY = """manifest: {name: nanning, version: "2026.1", layer: city, region: "450100"}
instances:
  - {id: drug_gender, template: drug_gender, enabled: false}
"""


def _audit(tmp: Path) -> list[tuple[object, ...]]:
    url = f"sqlite:///{tmp / 'state.db'}"
    key = StateStore(url).create_key("H45010001")  # the fixture's institution
    app = create_app(database_url=url, history_url=f"sqlite:///{tmp / 'history.db'}")
    with TestClient(app, raise_server_exceptions=False) as c:
        body = correctly_shaped(load_fixture("java-client-empty-strings.json"))
        return findings(output(c.post("/api/3101", json=body, headers={"X-API-Key": key})))


def test_a_city_rule_pack_switches_a_national_rule_off(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "nat").mkdir()
    national = {f[0] for f in _audit(tmp_path / "nat")}
    assert {"drug_gender", "not_in_catalogue"} <= national  # the control: the national packs alone

    pack = tmp_path / "city-rules"
    pack.mkdir()
    (pack / "pack.yaml").write_text(CITY, encoding="utf-8")
    monkeypatch.setenv("MEDAUDIT_RULE_PACKS", str(pack))
    (tmp_path / "city").mkdir()
    city = {f[0] for f in _audit(tmp_path / "city")}
    assert city == national - {"drug_gender"}


def test_serve_refuses_a_broken_rule_pack_before_listening(tmp_path: Path) -> None:
    pack = tmp_path / "bad"
    pack.mkdir()
    (pack / "pack.yaml").write_text("manifest: {name: x, version: '1'}\ninstances:\n"
                                    "  - {id: a, template: no_such_template}\n", encoding="utf-8")
    env = {**os.environ, "MEDAUDIT_DATABASE_URL": f"sqlite:///{tmp_path / 's.db'}"}
    res = subprocess.run([sys.executable, "-m", "medaudit", "serve", "--port", "0", "--rule-pack", str(pack)],
                         capture_output=True, text=True, timeout=120, env=env)
    assert res.returncode != 0
    assert "no_such_template" in res.stderr and "Traceback" not in res.stderr
