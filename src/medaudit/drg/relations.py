"""The grouper's output as relations the rule SQL reads: ``drg_groups`` and ``drg_cc``.

``drg_groups``: one row per inpatient stay (group, status, reason, weight and payment);
``drg_cc``: one row per secondary diagnosis that put a stay in its MCC/CC-split DRG. Both are flat
(no list columns) so the same rule SQL runs on DuckDB, SQLite and Spark. They are derived in Python
before the prepared SQL relations (like ``trace_boxes``) and only when a rule reads them.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

import pyarrow as pa

from medaudit.drg.payment import payment_fen, weights

if TYPE_CHECKING:
    from medaudit.engine.backends.base import Backend

DRG_GROUPS_SCHEMA = pa.schema([
    pa.field("mdtrt_id", pa.string()), pa.field("psn_no", pa.string()), pa.field("fixmedins_code", pa.string()),
    pa.field("adm_dn", pa.int64()), pa.field("dscg_dn", pa.int64()), pa.field("main_dx", pa.string()),
    pa.field("main_proc", pa.string()), pa.field("mdc", pa.string()), pa.field("adrg", pa.string()),
    pa.field("drg", pa.string()), pa.field("drg_name", pa.string()), pa.field("status", pa.string()),
    pa.field("reason_code", pa.string()), pa.field("reason", pa.string()),
    pa.field("weight_milli", pa.int64()), pa.field("payment_fen", pa.int64()),
    pa.field("medfee_sumamt_fen", pa.int64()), pa.field("fund_pay_fen", pa.int64()),
])

#: the stay's group columns are repeated so that a rule reads one relation (no join to get them)
DRG_CC_SCHEMA = pa.schema([
    pa.field("mdtrt_id", pa.string()), pa.field("diag_code", pa.string()), pa.field("cc_level", pa.string()),
    pa.field("drg", pa.string()), pa.field("drg_name", pa.string()), pa.field("main_dx", pa.string()),
    pa.field("payment_fen", pa.int64()),
])

RELATIONS = {"drg_groups": DRG_GROUPS_SCHEMA, "drg_cc": DRG_CC_SCHEMA}


class DrgUnavailableWarning(UserWarning):
    """The grouper tables are not configured: DRG rules see no groups."""


def relations_from_groups(groups: pa.Table, grouper: object) -> dict[str, pa.Table]:
    from medaudit.drg.grouper import Grouper

    assert isinstance(grouper, Grouper)
    drgs = groups.column("drg").to_pylist()
    w, rate, _ = weights(sorted(set(grouper.tables.drg_names) | {d for d in drgs if d}))
    ok = groups.column("status").to_pylist()
    wm = [w.get(d) if s == "分组成功" else None for d, s in zip(drgs, ok, strict=True)]
    flat = {f.name: groups.column(f.name) for f in DRG_GROUPS_SCHEMA if f.name in groups.column_names}
    flat["weight_milli"] = pa.array(wm, pa.int64())
    flat["payment_fen"] = pa.array([payment_fen(x, rate) for x in wm], pa.int64())
    out = pa.table({f.name: flat[f.name] for f in DRG_GROUPS_SCHEMA}, schema=DRG_GROUPS_SCHEMA)
    rows: dict[str, list[object]] = {f.name: [] for f in DRG_CC_SCHEMA}
    pay = out.column("payment_fen").to_pylist()
    for i, (mid, adrg, drg, main, sec) in enumerate(zip(
            groups.column("mdtrt_id").to_pylist(), groups.column("adrg").to_pylist(), drgs,
            groups.column("main_dx").to_pylist(), groups.column("sec_dx").to_pylist(), strict=True)):
        if not sec or not adrg:
            continue
        for code, level in grouper.drivers(adrg, drg, [main, *sec]):
            for k, v in (("mdtrt_id", mid), ("diag_code", code), ("cc_level", level), ("drg", drg),
                         ("drg_name", grouper.drg_name(drg)), ("main_dx", main), ("payment_fen", pay[i])):
                rows[k].append(v)
    return {"drg_groups": out, "drg_cc": pa.table(rows, schema=DRG_CC_SCHEMA)}


def empty_relations() -> dict[str, pa.Table]:
    return {name: schema.empty_table() for name, schema in RELATIONS.items()}


def derive_relations(backend: Backend) -> dict[str, pa.Table]:
    """Groups the stays of the canonical tables registered on ``backend``."""
    from medaudit.drg.canonical import group_backend
    from medaudit.drg.service import default_grouper
    from medaudit.errors import InputError

    try:
        grouper = default_grouper()
    except InputError as exc:
        warnings.warn(f"DRG 分组表不可用，DRG 规则无分组可用 / no DRG groups: {exc}", DrgUnavailableWarning,
                      stacklevel=2)
        return empty_relations()
    return relations_from_groups(group_backend(backend, grouper), grouper)
