"""How each engine runs the shared SQL: one module per engine (like sqlglot's one file per dialect)."""

from __future__ import annotations

from typing import Any

from .base import Backend


def get_backend(name: str, **options: Any) -> Backend:
    if name == "duckdb":
        from .duckdb import DuckDBBackend

        return DuckDBBackend(**options)
    if name == "sqlite":
        from .sqlite import SQLiteBackend  # type: ignore[import-not-found]

        return SQLiteBackend(**options)  # type: ignore[no-any-return]
    if name == "spark":
        from .spark import SparkBackend  # type: ignore[import-not-found]

        return SparkBackend(**options)  # type: ignore[no-any-return]
    from medaudit.errors import MedauditError

    raise MedauditError(f"未知引擎 / unknown engine: {name} (duckdb | sqlite | spark)")


__all__ = ["Backend", "get_backend"]
