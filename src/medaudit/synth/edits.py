"""Field edits applied to the finished tables: how the data-quality schemes corrupt a region.

A data-quality violation is a wrong or empty field of a written row (a diagnosis code not in the
code table, an empty 主诊医师, a settlement total that is not the sum of its lines), not a line the
claim should not have. The generator's state has no such fields (they are derived when the tables
are built), so a scheme records an :class:`Edit` and :func:`apply_edits` changes the rows of that
encounter once every table is built; an :class:`AddRow` appends a row (an extra procedure).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa


@dataclass(frozen=True)
class Edit:
    """Set ``column`` of the rows of ``table`` that belong to encounter ``enc`` (and, with ``where``,
    whose ``where[0]`` column holds ``where[1]``) to ``value``; with ``add``, add ``value`` to it."""

    table: str
    enc: int
    column: str
    value: Any = None
    where: tuple[str, Any] | None = None
    add: bool = False


@dataclass(frozen=True)
class AddRow:
    """Append ``row`` (canonical columns; ``mdtrt_id`` is filled in) to ``table`` for encounter ``enc``."""

    table: str
    enc: int
    row: dict[str, Any] = field(default_factory=dict)


def apply_edits(tables: dict[str, pa.Table], edits: list[Edit | AddRow], mdtrt: pa.Array) -> dict[str, pa.Table]:
    """The tables with every edit applied (in order); ``mdtrt`` gives the encounter id by index."""
    if not edits:
        return tables
    out = dict(tables)
    ids = {e.enc: mdtrt[e.enc].as_py() for e in edits}
    by_col: dict[tuple[str, str], list[Edit]] = defaultdict(list)
    for e in edits:
        if isinstance(e, Edit):
            by_col[(e.table, e.column)].append(e)
    for (name, column), es in by_col.items():
        t = out[name]
        keys = t.column("mdtrt_id").to_pylist()
        rows: dict[str, list[int]] = defaultdict(list)
        wanted = {ids[e.enc] for e in es}
        for i, k in enumerate(keys):
            if k in wanted:
                rows[k].append(i)
        vals = t.column(column).to_pylist()
        for e in es:
            where = None if e.where is None else t.column(e.where[0]).to_pylist()
            for i in rows[ids[e.enc]]:
                if where is not None and e.where is not None and where[i] != e.where[1]:
                    continue
                vals[i] = vals[i] + e.value if e.add else e.value
        idx = t.schema.get_field_index(column)
        out[name] = t.set_column(idx, t.schema.field(idx), pa.array(vals, t.schema.field(idx).type))
    extra: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for e in edits:
        if isinstance(e, AddRow):
            extra[e.table].append({**e.row, "mdtrt_id": ids[e.enc]})
    for name, rows_ in extra.items():
        t = out[name]
        add = pa.Table.from_pylist([{c: r.get(c) for c in t.schema.names} for r in rows_], schema=t.schema)
        out[name] = pa.concat_tables([t, add])
    return out
