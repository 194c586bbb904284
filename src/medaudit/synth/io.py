"""Writing a generated region as Parquet, CSV or Excel (labels always as Parquet)."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from medaudit.errors import InputError

#: canonical tables as parquet / csv / xlsx, or the region as a bureau holds it: the five national
#: centre tables (GB18030 CSV) with master data in the canonical layout ("national") or as the
#: platform exports it ("platform": no type / level / role columns, empty 医院等级 for pharmacies,
#: the platform's header names; see medaudit.export.PLATFORM_MASTER)
FORMATS = ("parquet", "csv", "xlsx", "national", "platform")
XLSX_MAX_ROWS = 1_048_575


def write_tables(tables: dict[str, pa.Table], labels: pa.Table, out: Path, fmt: str) -> list[Path]:
    if fmt not in FORMATS:
        raise InputError(f"不支持的格式 / unsupported format: {fmt} ({'/'.join(FORMATS)})")
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    if fmt in ("national", "platform"):
        from medaudit.export import export_national

        written += export_national(tables, out, master="platform" if fmt == "platform" else "canonical")
        tables = {}
    for name, table in tables.items():
        path = out / f"{name}.{fmt}"
        if fmt == "parquet":
            pq.write_table(table, path, compression="zstd")
        elif fmt == "csv":
            pacsv.write_csv(table, path)
        else:
            _write_xlsx(table, path)
        written.append(path)
    path = out / "labels.parquet"
    pq.write_table(labels, path, compression="zstd")
    written.append(path)
    return written


def _write_xlsx(table: pa.Table, path: Path) -> None:
    import xlsxwriter

    if table.num_rows > XLSX_MAX_ROWS:
        raise InputError(f"Excel 最多 {XLSX_MAX_ROWS} 行 / too many rows for xlsx: {path.name} has {table.num_rows}")
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_numbers": False})
    ws = wb.add_worksheet(path.stem)
    ws.write_row(0, 0, table.column_names)
    cols = []
    for col, field in zip(table.columns, table.schema, strict=True):
        if pa.types.is_timestamp(field.type) or pa.types.is_date(field.type):
            cols.append([None if v is None else v.isoformat(sep=" ") if hasattr(v, "hour") else v.isoformat()
                         for v in col.to_pylist()])
        else:
            cols.append(col.to_pylist())
    for r in range(table.num_rows):
        for c, values in enumerate(cols):
            v = values[r]
            if v is not None:
                ws.write(r + 1, c, v)
    wb.close()
