"""The shared database fixtures run where they claim to: SQLite and a real PostgreSQL."""

from __future__ import annotations

import sqlalchemy as sa

from tests.conftest import StoreTarget


def test_store_url_runs_on_its_dialect(store_url: StoreTarget) -> None:
    engine = sa.create_engine(store_url.url)
    try:
        assert engine.dialect.name == store_url.dialect
        with engine.begin() as con:
            con.execute(sa.text("CREATE TABLE probe (id INTEGER PRIMARY KEY, name TEXT)"))
            con.execute(sa.text("INSERT INTO probe VALUES (1, '医保')"))
        with engine.connect() as con:
            assert con.execute(sa.text("SELECT name FROM probe")).scalar_one() == "医保"
            if store_url.dialect == "postgresql":
                assert "PostgreSQL" in con.execute(sa.text("SELECT version()")).scalar_one()
    finally:
        engine.dispose()


def test_pg_url_is_postgresql(pg_url: str) -> None:
    engine = sa.create_engine(pg_url)
    try:
        with engine.connect() as con:
            assert con.execute(sa.text("SELECT current_database()")).scalar_one() == pg_url.rsplit("/", 1)[1]
    finally:
        engine.dispose()
