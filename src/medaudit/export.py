"""Canonical tables → the national centre-table exports a bureau holds (MDTRT_D, SETL_D, FEE_LIST_D,
SETL_LIST_DIAG_D, SETL_LIST_OPRN_D), CSV in GBK/GB18030 with national field names and money in yuan.

Field names come from the one national mapping (medaudit.schema.national: the column specs'
``national`` names and the centre-table layout), values through schema.money / schema.values, so what
is written here is exactly what ingest and api.mapping read back. This is the shape `medaudit ingest`
is built for; exporting synthetic regions in it lets the demo and
the tests exercise the path a real user takes first. Institution and staff master data are written
in the documented canonical CSV layout (docs/ingest.md).
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa

from medaudit.schema import TABLES
from medaudit.schema.codes import HOSP_LV_LEVEL
from medaudit.schema.columns import Column
from medaudit.schema.money import units_text, yuan_text
from medaudit.schema.national import CENTRE_TABLES, CONSTANT_FIELDS, centre_layout
from medaudit.schema.values import format_date, format_flag

Getter = Callable[[dict[str, Any]], Any]

_LEVEL_HOSP_LV = {3: "12", 2: "13", 1: "14", 0: "11"}
assert all(HOSP_LV_LEVEL[v] == k for k, v in _LEVEL_HOSP_LV.items())


def national_text(col: Column, value: Any) -> str:
    """A canonical value as the national files and the 3101 DTOs write it (yuan, natural units,
    1/0 flags, ISO dates): the one inverse of what ingest and api.mapping read."""
    if value is None:
        return ""
    if col.kind == "fen":
        return yuan_text(int(value))
    if col.kind == "milli":
        return units_text(int(value))
    if col.kind == "bool":
        return format_flag(bool(value)) or ""
    if col.kind in ("date", "timestamp"):
        return format_date(value) or ""
    return str(value)


def canonical_text(col: Column, value: Any) -> str:
    """A value under its canonical header: money stays integer fen, quantities thousandths."""
    if value is not None and col.kind in ("fen", "milli"):
        return str(int(value))
    return national_text(col, value)


def _getter(source: str, table: str, col: Column | None, header: str, platform: bool) -> Getter:
    if col is None:
        return lambda r: CONSTANT_FIELDS[header]
    key = col.name if table == source else f"{table}.{col.name}"
    if (table, col.name) == ("institutions", "hosp_lv") and not platform:
        # medaudit's own institutions always have a level; the grade code is derived from it
        return lambda r: _LEVEL_HOSP_LV.get(r["institutions.medins_lv"] or 0)
    if (table, col.name) == ("encounters", "setl_id"):
        return lambda r: r["setl_id"] or f"S{r['mdtrt_id']}"
    # a canonical header carries canonical units, as ingest reads it (ingest.mapping.Target.scaled)
    text = canonical_text if header == col.name else national_text
    return lambda r: text(col, r[key])


def layout(name: str, platform: bool = False) -> tuple[str, list[tuple[str, Getter]]]:
    """(source table, [(national field, getter)]) of a centre table; names from schema.national.
    ``platform``: MDTRT_D carries the institution's own, possibly empty, hosp_lv."""
    source, fields = centre_layout(name)
    return source, [(header, _getter(source, table, col, header, platform)) for header, table, col in fields]


def _field(table: str, header: str, column: str) -> tuple[str, Getter]:
    return header, _getter(table, table, TABLES[table].column(column), header, True)


#: master data as a platform's own query exports it (docs/ingest.md, "platform master data"): no
#: canonical type / level / role columns, an empty 医院等级 for pharmacies, the designation date, the
#: staff title code and the platform's header names; ingest derives the rest
PLATFORM_MASTER: dict[str, tuple[str, list[tuple[str, Getter]]]] = {
    "定点医药机构信息": ("institutions", [_field("institutions", h, c) for h, c in (
        ("fixmedins_code", "fixmedins_code"), ("fixmedins_name", "fixmedins_name"),
        ("hosp_lv", "hosp_lv"), ("fix_blng_admdvs", "admdvs"), ("定点日期", "designation_date"),
        ("区域医疗中心", "regional_center_flag"), ("辅导期延长标志", "guidance_extended_flag"),
    )]),
    "医保医师信息": ("staff", [_field("staff", h, c) for h, c in (
        ("医保医师代码", "staff_code"), ("姓名", "staff_name"), ("定点医药机构编号", "fixmedins_code"),
        ("科室编码", "dept_code"), ("科室名称", "dept_name"), ("职称", "profttl"),
        ("医保支付资格状态", "pay_qual_stas"), ("资格状态开始日期", "pay_qual_begndate"),
        ("资格状态结束日期", "pay_qual_enddate"),
    )]),
}
MASTER_SHAPES = ("canonical", "platform")


def _encounter_rows(tables: dict[str, pa.Table]) -> Iterator[dict[str, Any]]:
    """Encounters joined with their patient and institution (MDTRT_D carries both, as
    ``patients.<column>`` / ``institutions.<column>``)."""
    patients = {r["psn_no"]: r for r in tables["patients"].to_pylist()}
    insts = {r["fixmedins_code"]: r for r in tables["institutions"].to_pylist()}
    none_p = dict.fromkeys(TABLES["patients"].names)
    none_i = dict.fromkeys(TABLES["institutions"].names)
    for batch in tables["encounters"].to_batches(50_000):
        for r in batch.to_pylist():
            p = patients.get(r["psn_no"], none_p)
            i = insts.get(r["fixmedins_code"], none_i)
            yield {**r, **{f"patients.{k}": v for k, v in p.items()},
                   **{f"institutions.{k}": v for k, v in i.items()}}


def _rows(tables: dict[str, pa.Table], source: str) -> Iterator[dict[str, Any]]:
    if source == "encounters":
        yield from _encounter_rows(tables)
        return
    for batch in tables[source].to_batches(50_000):
        yield from batch.to_pylist()


def _write_layout(tables: dict[str, pa.Table], path: Path, source: str, fields: list[tuple[str, Getter]],
                  encoding: str) -> None:
    with path.open("w", encoding=encoding, newline="") as fh:
        w = csv.writer(fh)
        w.writerow([f for f, _ in fields])
        for r in _rows(tables, source):
            w.writerow([g(r) for _, g in fields])


def export_national(tables: dict[str, pa.Table], out: Path, encoding: str = "gb18030",
                    master: str = "canonical") -> list[Path]:
    """Write the five centre tables plus the master data: patients.csv, and institutions and staff
    either in the canonical layout (``master="canonical"``) or as a platform exports them
    (``"platform"``: PLATFORM_MASTER, with MDTRT_D carrying the institution's own, possibly empty,
    hosp_lv)."""
    if master not in MASTER_SHAPES:
        raise ValueError(f"master shape must be one of {MASTER_SHAPES}: {master!r}")
    out.mkdir(parents=True, exist_ok=True)
    written = []
    platform = master == "platform"
    for name in CENTRE_TABLES:
        source, fields = layout(name, platform)
        path = out / f"{name}.csv"
        _write_layout(tables, path, source, fields, encoding)
        written.append(path)
    if platform:
        for name, (source, fields) in PLATFORM_MASTER.items():
            if source in tables:
                path = out / f"{name}.csv"
                _write_layout(tables, path, source, fields, encoding)
                written.append(path)
    for name in ("patients",) if platform else ("patients", "institutions", "staff"):
        if name in tables:
            path = out / f"{name}.csv"
            t = tables[name]
            cols = [TABLES[name].column(c) for c in t.column_names]
            with path.open("w", encoding=encoding, newline="") as fh:
                w = csv.writer(fh)
                w.writerow(t.column_names)
                for r in t.to_pylist():
                    w.writerow([canonical_text(c, v) for c, v in zip(cols, r.values(), strict=True)])
            written.append(path)
    return written
