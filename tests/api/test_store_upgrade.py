"""Databases written by earlier releases keep working: legacy history rows are adopted, old key tables
gain the role column (every existing key an HIS key)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from sqlalchemy import create_engine, text

from medaudit.store import HistoryStore, StateStore
from medaudit.store.history import LEGACY_TABLE

from .conftest import INSTITUTION


def test_legacy_history_rows_are_adopted_under_their_institution(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'history.db'}"
    payload = json.dumps({"encounters": [{"mdtrt_id": "OLD1", "psn_no": "P1"}]})
    with create_engine(url).begin() as con:
        con.execute(text(f"CREATE TABLE {LEGACY_TABLE} (mdtrt_id VARCHAR(50) PRIMARY KEY, psn_no VARCHAR(50) NOT NULL, "
                         "fixmedins_code VARCHAR(50) NOT NULL, adm_time DATETIME NOT NULL, payload TEXT NOT NULL, "
                         "stored_at DATETIME NOT NULL)"))
        con.execute(text(f"INSERT INTO {LEGACY_TABLE} VALUES ('OLD1', 'P1', :inst, '2025-01-02 09:00:00.000000', "
                         ":payload, '2025-01-05 00:00:00.000000')"), {"inst": INSTITUTION, "payload": payload})
    store = HistoryStore(url)
    assert store.count(INSTITUTION) == 1
    [row] = store.read("P1", dt.datetime(2025, 1, 1))
    assert (row.fixmedins_code, row.mdtrt_id) == (INSTITUTION, "OLD1")
    HistoryStore(url)  # adopting twice must not duplicate
    assert store.count() == 1


def test_old_key_table_gains_roles(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'state.db'}"
    with create_engine(url).begin() as con:
        con.execute(text("CREATE TABLE medaudit_api_keys (key_hash VARCHAR(64) PRIMARY KEY, key_prefix VARCHAR(12) "
                         "NOT NULL, institution VARCHAR(50) NOT NULL, label VARCHAR(200), active BOOLEAN NOT NULL, "
                         "created_at DATETIME NOT NULL)"))
    from medaudit.store.state import hash_key

    with create_engine(url).begin() as con:
        con.execute(text("INSERT INTO medaudit_api_keys VALUES (:h, 'mk_oldkey0', :inst, NULL, 1, "
                         "'2025-01-01 00:00:00.000000')"), {"h": hash_key("mk_oldkey0-secret"), "inst": INSTITUTION})
    state = StateStore(url)
    info = state.key_info("mk_oldkey0-secret")
    assert info is not None and info.role == "his" and info.institution == INSTITUTION and not info.is_admin
    assert [k["role"] for k in state.list_keys()] == ["his"]
