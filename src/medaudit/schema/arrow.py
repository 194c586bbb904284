"""Arrow schemas derived from the column specs."""

from __future__ import annotations

import pyarrow as pa

from .columns import Column, Kind, Table
from .tables import TABLES

ARROW_TYPES: dict[Kind, pa.DataType] = {
    "str": pa.string(),
    "int": pa.int32(),
    "bool": pa.bool_(),
    "date": pa.date32(),
    "timestamp": pa.timestamp("s"),
    "fen": pa.int64(),
    "milli": pa.int64(),
}


def arrow_field(col: Column) -> pa.Field:
    return pa.field(col.name, ARROW_TYPES[col.kind], nullable=not col.required)


def arrow_schema(table: Table | str) -> pa.Schema:
    t = TABLES[table] if isinstance(table, str) else table
    return pa.schema([arrow_field(c) for c in t.columns])


SCHEMAS: dict[str, pa.Schema] = {name: arrow_schema(t) for name, t in TABLES.items()}


def conform(table: pa.Table, name: str) -> pa.Table:
    """Reorder/cast an Arrow table to the canonical schema, adding absent optional columns as nulls."""
    schema = SCHEMAS[name]
    cols = []
    for f in schema:
        if f.name in table.column_names:
            cols.append(table.column(f.name).cast(f.type))
        else:
            cols.append(pa.nulls(table.num_rows, f.type))
    return pa.Table.from_arrays(cols, schema=schema)
