"""Fixtures every test package may use: a real PostgreSQL (tests/pg.py) and a store URL on each dialect."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests import pg


@pytest.fixture(scope="session")
def pg_server() -> Iterator[tuple[str, int]]:
    with pg.server() as address:
        yield address


@pytest.fixture(scope="session")
def pg_url(pg_server: tuple[str, int]) -> Iterator[str]:
    """A fresh database on a real PostgreSQL server, shared by the session (dropped afterwards)."""
    with pg.fresh_database(pg_server) as url:
        yield url


@dataclass(frozen=True)
class StoreTarget:
    """Where a store test runs: its SQLAlchemy URL and the dialect it must have run on."""

    url: str
    dialect: str  # "sqlite" | "postgresql", as SQLAlchemy's ``engine.dialect.name``


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StoreTarget]:
    """Each store test runs on SQLite and on PostgreSQL, each on a fresh database; assert
    ``engine.dialect.name == store_url.dialect`` so a test cannot silently run on the wrong one."""
    if request.param == "sqlite":
        yield StoreTarget(f"sqlite:///{tmp_path / 'store.db'}", "sqlite")
        return
    with pg.fresh_database(request.getfixturevalue("pg_server"), "medaudit_store") as url:
        yield StoreTarget(url, "postgresql")
