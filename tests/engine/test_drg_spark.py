"""The DRG grouping of canonical tables read through Spark equals the one through DuckDB."""

from __future__ import annotations

from typing import Any

from medaudit.drg.canonical import group_backend
from medaudit.drg.service import default_grouper
from medaudit.engine.backends import get_backend
from medaudit.engine.runner import load_claims
from tests.drg.canonical_fixture import EXPECTED, tables


def test_spark_groups_like_duckdb(spark: Any) -> None:
    grouper = default_grouper()
    out = {}
    for engine, opts in (("duckdb", {}), ("spark", {"spark": spark})):
        backend = get_backend(engine, **opts)
        try:
            load_claims(backend, tables())
            out[engine] = group_backend(backend, grouper)
        finally:
            backend.close()
    assert out["spark"].to_pylist() == out["duckdb"].to_pylist()
    assert {r["mdtrt_id"]: (r["drg"], r["status"]) for r in out["spark"].to_pylist()} == EXPECTED
