"""The DuckDB backend honours its memory limit and spills to a temporary directory."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from medaudit.engine.backends.duckdb import DuckDBBackend


def test_memory_limit_and_threads_are_applied() -> None:
    b = DuckDBBackend(memory_limit="300MB", threads=1)
    try:
        limit = b.query("SELECT current_setting('memory_limit') AS m").column("m")[0].as_py()
        threads = b.query("SELECT current_setting('threads') AS t").column("t")[0].as_py()
    finally:
        b.close()
    assert limit.replace(" ", "").upper() in ("286.1MIB", "300.0MB", "300MB", "286MIB")
    assert int(threads) == 1


def test_parquet_is_read_in_place(tmp_path: Path) -> None:
    pq.write_table(pa.table({"a": [1, 2, 3]}), tmp_path / "x.parquet")
    b = DuckDBBackend()
    try:
        b.register_parquet("x", [tmp_path / "x.parquet"])
        b.materialize("y", "SELECT SUM(a) AS s FROM x")
        assert b.query("SELECT s FROM y").column("s")[0].as_py() == 6
    finally:
        b.close()
