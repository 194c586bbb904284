"""Building canonical Arrow tables from Python rows (fixtures, API requests, golden cases)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pyarrow as pa

from .arrow import arrow_schema
from .columns import Table
from .values import parse_date, parse_datetime, parse_flag


def _coerce(kind: str, value: Any) -> Any:
    if value is None or value == "":
        return None
    if kind == "date":
        return parse_date(value)
    if kind == "timestamp":
        return parse_datetime(value)
    if kind == "bool":
        return parse_flag(value) if isinstance(value, str) else bool(value)
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
