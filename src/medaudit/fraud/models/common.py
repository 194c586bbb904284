"""Small helpers the model modules share (evidence grouping, region period)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pyarrow as pa

#: the days the data covers (first to last fee day), used to judge quantities "per period"
PERIOD_SQL = """
SELECT MIN(fee_dn) AS first_dn, MAX(fee_dn) AS last_dn, MAX(fee_dn) - MIN(fee_dn) + 1 AS period_days
FROM line_ctx
"""


def period_days(table: pa.Table) -> int:
    rows = table.to_pylist()
    if not rows or rows[0]["period_days"] is None:
        return 1
    return max(1, int(rows[0]["period_days"]))


def group_ids(table: pa.Table, key: str, *cols: str) -> dict[Any, dict[str, list[Any]]]:
    """``key`` → {col: [values]} over a detail table (evidence ids per subject)."""
    out: dict[Any, dict[str, list[Any]]] = defaultdict(lambda: {c: [] for c in cols})
    data = {c: table.column(c).to_pylist() for c in (key, *cols)}
    for i, k in enumerate(data[key]):
        for c in cols:
            out[k][c].append(data[c][i])
    return out


def yuan(fen: int | float) -> str:
    return f"{fen / 100:,.2f}"
