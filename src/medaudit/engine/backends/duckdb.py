"""DuckDB: the embedded batch engine (out of core, honours a memory limit)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import ClassVar

import duckdb
import pyarrow as pa

from .base import Backend


class DuckDBBackend(Backend):
    dialect: ClassVar[str] = "duckdb"

    def __init__(self, memory_limit: str | None = None, threads: int = 0, temp_dir: str | None = None,
                 database: str | None = None) -> None:
        self._tmp = tempfile.TemporaryDirectory(prefix="medaudit-duckdb-") if temp_dir is None else None
        spill = temp_dir or (self._tmp.name if self._tmp else None)
        if database is None:
            # With a memory limit, the prepared relations live in a scratch database file so the
            # buffer manager can evict them; an in-memory database keeps them resident past the limit.
            database = f"{spill}/audit.duckdb" if memory_limit and spill else ":memory:"
        self.con = duckdb.connect(database)
        if memory_limit:
            self.con.execute(f"SET memory_limit = '{memory_limit}'")
        if threads:
            self.con.execute(f"SET threads = {int(threads)}")
        if spill:
            self.con.execute(f"SET temp_directory = '{spill}'")
        self.con.execute("SET preserve_insertion_order = false")

    def register(self, name: str, data: pa.Table) -> None:
        self.con.register(f"__arrow_{name}", data)
        self.con.execute(f'CREATE OR REPLACE TABLE "{name}" AS SELECT * FROM "__arrow_{name}"')
        self.con.unregister(f"__arrow_{name}")

    def register_parquet(self, name: str, paths: list[Path]) -> None:
        files = ", ".join(f"'{p.as_posix()}'" for p in paths)
        self.con.execute(f'CREATE OR REPLACE VIEW "{name}" AS SELECT * FROM read_parquet([{files}])')

    def materialize(self, name: str, sql: str) -> None:
        self.con.execute(f'CREATE OR REPLACE TABLE "{name}" AS {sql}')

    def query(self, sql: str) -> pa.Table:
        return self.con.sql(sql).to_arrow_table()

    def close(self) -> None:
        self.con.close()
        if self._tmp is not None:
            self._tmp.cleanup()
