"""Fixtures every test package may use: a real PostgreSQL (tests/pg.py), a store URL on each dialect, and
one SparkSession per test session (the JVM takes seconds to start; every Spark test shares it)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    from pyspark.sql import SparkSession

    from medaudit.engine.backends.spark import SESSION_CONF, require_java

    require_java()
    builder = (SparkSession.builder.master("local[2]").appName("medaudit-tests")
               .config("spark.sql.shuffle.partitions", "4")
               .config("spark.default.parallelism", "2")
               .config("spark.ui.enabled", "false")
               .config("spark.ui.showConsoleProgress", "false")
               .config("spark.driver.memory", "1g")
               .config("spark.sql.adaptive.enabled", "true"))
    for key, value in SESSION_CONF.items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()
