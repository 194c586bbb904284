"""Building canonical Arrow tables from Python rows (fixtures, API requests, golden cases)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

import pyarrow as pa

from .arrow import arrow_schema
from .columns import Table


def _coerce(kind: str, value: Any) -> Any:
    if value is None or value == "":
        return None
    if kind == "date":
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        return dt.date.fromisoformat(str(value)[:10])
    if kind == "timestamp":
        if isinstance(value, dt.datetime):
            return value
        if isinstance(value, dt.date):
            return dt.datetime(value.year, value.month, value.day)
        text = str(value).replace("T", " ")
        return dt.datetime.fromisoformat(text if len(text) > 10 else text + " 00:00:00")
    if kind == "bool":
        if isinstance(value, str):
            return value.strip().lower() in ("1", "true", "y", "yes", "是")
        return bool(value)
    if kind in ("int", "fen", "milli"):
        return int(value)
    return str(value)


def rows_to_table(table: Table, rows: Iterable[Mapping[str, Any]]) -> pa.Table:
    """Rows given as dicts (missing optional columns become NULL) → an Arrow table of ``table``'s schema."""
    schema = arrow_schema(table)
    data: dict[str, list[Any]] = {c.name: [] for c in table.columns}
    for row in rows:
        unknown = set(row) - set(data)
        if unknown:
            raise ValueError(f"{table.name}: unknown columns {sorted(unknown)}")
        for col in table.columns:
            data[col.name].append(_coerce(col.kind, row.get(col.name)))
    return pa.table(data, schema=schema)
