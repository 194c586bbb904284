"""Grouping many stays at once: Arrow in, Arrow out, over one or more processes.

The grouping itself is per-stay Python over precomputed set look-ups (:mod:`medaudit.drg.grouper`).
It is engine-independent by construction: the engines only supply the rows
(:mod:`medaudit.drg.canonical`), so DuckDB, SQLite and Spark give identical groups. A SQL form (a
join per ADRG term, first-match windows per MDC step) was not built; the Python form already meets
the throughput target, and first-match ordering over 376 ADRGs is awkward to keep exact in SQL.
"""

from __future__ import annotations

import gc
import multiprocessing as mp
import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from medaudit.drg.grouper import FAIL, R_MISSING, UNGROUPED, Grouper

#: input of :func:`group_table`: one row per stay, lists with the main code first
STAY_SCHEMA = pa.schema([
    pa.field("sex", pa.int64()), pa.field("age", pa.int64()), pa.field("age_days", pa.int64()),
    pa.field("weight", pa.int64()), pa.field("dx", pa.list_(pa.string())), pa.field("procs", pa.list_(pa.string())),
])

RESULT_SCHEMA = pa.schema([
    pa.field("mdc", pa.string()), pa.field("adrg", pa.string()), pa.field("drg", pa.string()),
    pa.field("drg_name", pa.string()), pa.field("status", pa.string()), pa.field("reason_code", pa.string()),
    pa.field("reason", pa.string()),
])

#: below this many stays one process is faster than starting workers
PARALLEL_MIN = 100_000

_WORK: tuple[Grouper, pa.Table] | None = None


def _group_slice(grouper: Grouper, stays: pa.Table) -> pa.Table:
    # millions of short-lived lists and no cycles: the cyclic GC would rescan them all, several times
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _group_rows(grouper, stays)
    finally:
        if enabled:
            gc.enable()


def _group_rows(grouper: Grouper, stays: pa.Table) -> pa.Table:
    cols = [stays.column(n).to_pylist() for n in ("sex", "age", "age_days", "weight", "dx", "procs")]
    g = grouper.group_fields
    res = [g(s, a, ad, w, dx or (), ps or ()) for s, a, ad, w, dx, ps in zip(*cols, strict=True)]
    names = grouper.tables.drg_names
    out = list(zip(*res, strict=True)) if res else [()] * 6
    mdc, adrg, drg, status, rcode, reason = (list(c) for c in out)
    return pa.table([pa.array(mdc, pa.string()), pa.array(adrg, pa.string()), pa.array(drg, pa.string()),
                     pa.array([names.get(d) for d in drg], pa.string()), pa.array(status, pa.string()),
                     pa.array(rcode, pa.string()), pa.array(reason, pa.string())], schema=RESULT_SCHEMA)


def _worker(bounds: tuple[int, int]) -> pa.Table:
    assert _WORK is not None
    grouper, stays = _WORK
    return _group_slice(grouper, stays.slice(bounds[0], bounds[1] - bounds[0]))


def default_workers() -> int:
    return max(1, min(len(os.sched_getaffinity(0)), 8))


def group_table(grouper: Grouper, stays: pa.Table, workers: int | None = None) -> pa.Table:
    """Groups every row of ``stays`` (:data:`STAY_SCHEMA` columns); rows keep their order."""
    global _WORK
    n = stays.num_rows
    workers = workers or default_workers()
    if workers <= 1 or n < PARALLEL_MIN or "fork" not in mp.get_all_start_methods():
        return _group_slice(grouper, stays)
    step = -(-n // (workers * 4))
    bounds = [(i, min(i + step, n)) for i in range(0, n, step)]
    _WORK = (grouper, stays)  # inherited by the forked workers, never pickled
    try:
        with ProcessPoolExecutor(workers, mp_context=mp.get_context("fork")) as pool:
            parts = list(pool.map(_worker, bounds))
    finally:
        _WORK = None
    return pa.concat_tables(parts)


def stays_from_lists(rows: Sequence[dict[str, Any]]) -> pa.Table:
    return pa.Table.from_pylist(list(rows), schema=STAY_SCHEMA)


def ungrouped(n: int, reason: str) -> pa.Table:
    """``n`` 无法入组 results with one reason (e.g. a stay without any diagnosis row)."""
    return pa.table([pa.nulls(n, pa.string()), pa.nulls(n, pa.string()), pa.array([UNGROUPED] * n, pa.string()),
                     pa.nulls(n, pa.string()), pa.array([FAIL] * n, pa.string()),
                     pa.array([R_MISSING] * n, pa.string()), pa.array([reason] * n, pa.string())],
                    schema=RESULT_SCHEMA)


def sex_code(values: pa.Array | pa.ChunkedArray) -> pa.ChunkedArray | pa.Array:
    """GB/T 2261.1 ``gend`` ('1', '2', '男', '女' ...) → 1 / 2 / null."""
    s = pc.utf8_trim_whitespace(values.cast(pa.string()))
    male = pc.is_in(s, pa.array(["1", "男", "M", "m"]))
    female = pc.is_in(s, pa.array(["2", "女", "F", "f"]))
    return pc.if_else(male, 1, pc.if_else(female, 2, pa.scalar(None, pa.int64())))
