"""Grouping the inpatient stays of canonical tables registered on an engine backend.

The engine supplies three plain relations (stays, their diagnoses, their procedures, in SQL that
runs on every engine); ordering and list building happen in Arrow, grouping in
:mod:`medaudit.drg.batch`. The canonical tables carry no birth weight, so a newborn stay (≤28 days)
from them is 无法入组 with the reason 新生儿须有出生体重, as the reference grouper does.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.compute as pc

from medaudit.drg.batch import RESULT_SCHEMA, group_table, sex_code
from medaudit.drg.grouper import FAIL, R_MISSING, UNGROUPED, Grouper
from medaudit.engine.prepare import _age, _dn, _ymd

if TYPE_CHECKING:
    from medaudit.engine.backends.base import Backend

VERSION = "CHS-DRG 1.1"

STAYS = f"""
SELECT e.mdtrt_id, e.psn_no, e.fixmedins_code, e.dscg_maindiag_code,
       {_dn('e.adm_time')} AS adm_dn, {_dn('COALESCE(e.dscg_time, e.adm_time)')} AS dscg_dn,
       e.medfee_sumamt_fen, e.fund_pay_fen, p.gend,
       CASE WHEN p.brdy IS NULL THEN NULL ELSE {_age(_ymd('p.brdy'), 'e.adm_time')} END AS age,
       CASE WHEN p.brdy IS NULL THEN NULL ELSE {_dn('e.adm_time')} - {_dn('p.brdy')} END AS age_days
FROM encounters e
LEFT JOIN patients p ON p.psn_no = e.psn_no
WHERE e.visit_type = 'inpatient'
"""

#: discharge diagnoses when the stay has any (diag_type 2), else all; one row per code
DIAGNOSES = """
SELECT mdtrt_id, diag_code, MAX(is_main) AS is_main
FROM (
  SELECT d.mdtrt_id, d.diag_code, d.diag_type,
         CASE WHEN d.maindiag_flag THEN 1 ELSE 0 END AS is_main,
         MAX(CASE WHEN d.diag_type = '2' THEN 1 ELSE 0 END) OVER (PARTITION BY d.mdtrt_id) AS has_dscg
  FROM diagnoses d
  JOIN encounters e ON e.mdtrt_id = d.mdtrt_id
  WHERE e.visit_type = 'inpatient' AND d.diag_code IS NOT NULL
) x
WHERE has_dscg = 0 OR diag_type = '2'
GROUP BY mdtrt_id, diag_code
"""

#: one row per code; the main procedure first, then by time
OPERATIONS = f"""
SELECT o.mdtrt_id, o.oprn_code,
       MAX(CASE WHEN o.main_oprn_flag THEN 1 ELSE 0 END) AS is_main,
       MIN(CASE WHEN o.oprn_time IS NULL THEN NULL ELSE {_dn('o.oprn_time')} END) AS first_dn
FROM operations o
JOIN encounters e ON e.mdtrt_id = o.mdtrt_id
WHERE e.visit_type = 'inpatient' AND o.oprn_code IS NOT NULL
GROUP BY o.mdtrt_id, o.oprn_code
"""

GROUPS_SCHEMA = pa.schema([
    pa.field("mdtrt_id", pa.string()), pa.field("psn_no", pa.string()), pa.field("fixmedins_code", pa.string()),
    pa.field("adm_dn", pa.int64()), pa.field("dscg_dn", pa.int64()), pa.field("main_dx", pa.string()),
    pa.field("main_proc", pa.string()), pa.field("sec_dx", pa.list_(pa.string())),
    pa.field("medfee_sumamt_fen", pa.int64()), pa.field("fund_pay_fen", pa.int64()),
    *RESULT_SCHEMA, pa.field("grouper_version", pa.string()),
])


@lru_cache(maxsize=8)
def _sql(dialect: str) -> tuple[str, str, str]:
    from medaudit.engine.compile import compile_sql

    return tuple(compile_sql(q, dialect, what=f"DRG {w}")  # type: ignore[return-value]
                 for q, w in ((STAYS, "stays"), (DIAGNOSES, "diagnoses"), (OPERATIONS, "operations")))


def _lists(rows: pa.Table, code: str, keys: list[tuple[str, str]]) -> pa.Table:
    """mdtrt_id → list of codes in the given order (Arrow keeps input order with one thread)."""
    if rows.num_rows:
        rows = rows.take(pc.sort_indices(rows, sort_keys=[("mdtrt_id", "ascending"), *keys]))
    agg = rows.group_by("mdtrt_id", use_threads=False).aggregate([(code, "list"), ("is_main", "list")])
    return agg.rename_columns(["mdtrt_id", "codes", "mains"])


def group_backend(backend: Backend, grouper: Grouper, workers: int | None = None) -> pa.Table:
    """Groups every inpatient encounter of the canonical tables registered on ``backend``."""
    q_stays, q_dx, q_ops = _sql(backend.dialect)
    stays = backend.query(q_stays)
    dx = _lists(backend.query(q_dx), "diag_code", [("is_main", "descending"), ("diag_code", "ascending")])
    ops = _lists(backend.query(q_ops), "oprn_code",
                 [("is_main", "descending"), ("first_dn", "ascending"), ("oprn_code", "ascending")])
    stays = stays.take(pc.sort_indices(stays, sort_keys=[("mdtrt_id", "ascending")]))
    ids = stays.column("mdtrt_id")
    dx_codes = pc.take(dx.column("codes"), pc.index_in(ids, dx.column("mdtrt_id")))
    dx_mains = pc.take(dx.column("mains"), pc.index_in(ids, dx.column("mdtrt_id")))
    op_codes = pc.take(ops.column("codes"), pc.index_in(ids, ops.column("mdtrt_id")))
    # the main diagnosis: the row flagged main, else the encounter's dscg_maindiag_code
    first_main = pc.equal(pc.list_element(pc.fill_null(dx_mains, pa.scalar([0], pa.list_(pa.int64()))), 0), 1)
    fallback = stays.column("dscg_maindiag_code")
    dx_py = dx_codes.to_pylist()
    main_ok = first_main.to_pylist()
    fb = fallback.to_pylist()
    dx_lists: list[list[str]] = []
    for codes, ok, f in zip(dx_py, main_ok, fb, strict=True):
        codes = codes or []
        if ok:
            dx_lists.append(codes)
        elif f:
            dx_lists.append([f, *(c for c in codes if c != f)])
        else:
            dx_lists.append([])  # no main diagnosis: 诊断信息为空
    age = stays.column("age")
    age_days = pc.if_else(pc.equal(age, 0), stays.column("age_days"), pa.scalar(None, pa.int64()))
    inputs = pa.table({
        "sex": sex_code(stays.column("gend")), "age": age.cast(pa.int64()), "age_days": age_days.cast(pa.int64()),
        "weight": pa.nulls(stays.num_rows, pa.int64()), "dx": pa.array(dx_lists, pa.list_(pa.string())),
        "procs": op_codes.cast(pa.list_(pa.string())),
    })
    res = group_table(grouper, inputs, workers)
    main_dx = pa.array([d[0] if d else None for d in dx_lists], pa.string())
    main_proc = pa.array([p[0] if p else None for p in op_codes.to_pylist()], pa.string())
    sec = pa.array([d[1:] for d in dx_lists], pa.list_(pa.string()))
    cols = [ids, stays.column("psn_no"), stays.column("fixmedins_code"), stays.column("adm_dn").cast(pa.int64()),
            stays.column("dscg_dn").cast(pa.int64()), main_dx, main_proc, sec,
            stays.column("medfee_sumamt_fen").cast(pa.int64()), stays.column("fund_pay_fen").cast(pa.int64()),
            *res.columns, pa.array([VERSION] * stays.num_rows, pa.string())]
    return pa.Table.from_arrays([c.cast(f.type) for c, f in zip(cols, GROUPS_SCHEMA, strict=True)],
                                schema=GROUPS_SCHEMA)


def empty_groups() -> pa.Table:
    return GROUPS_SCHEMA.empty_table()


__all__ = ["FAIL", "GROUPS_SCHEMA", "R_MISSING", "UNGROUPED", "VERSION", "empty_groups", "group_backend"]
