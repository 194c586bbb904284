"""Canonical tables → CSV / Excel / Parquet (canonical and Chinese headers) → ingest → identical tables."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
import xlsxwriter

from medaudit.ingest import ingest
from medaudit.schema import SCHEMAS, TABLES

from .conftest import canonical_folder


def _canonical(tmp_path: Path, diag: str) -> Path:
    out = tmp_path / "first"
    ingest(canonical_folder(tmp_path / "src", diag), out, progress=False)
    return out


def _as_strings(tbl: pa.Table) -> dict[str, list[str]]:
    cols = {}
    for name in tbl.column_names:
        vals = tbl.column(name).to_pylist()
        cols[name] = ["" if v is None else ("1" if v is True else "0" if v is False else str(v)) for v in vals]
    return cols


def _load(out: Path) -> dict[str, pa.Table]:
    return {t: pq.read_table(out / f"{t}.parquet") for t in SCHEMAS}


@pytest.mark.parametrize("fmt", ["csv", "csv-zh", "xlsx", "parquet"])
def test_roundtrip(tmp_path: Path, fmt: str, diag_codes: list[str]) -> None:
    first = _load(_canonical(tmp_path, diag_codes[0]))
    src = tmp_path / "again"
    src.mkdir()
    for name, tbl in first.items():
        if tbl.num_rows == 0:
            continue
        if fmt == "parquet":
            pq.write_table(tbl, src / f"{name}.parquet")
            continue
        cols = _as_strings(tbl)
        headers = list(cols)
        if fmt == "csv-zh":  # the full Chinese names carry their units, e.g. 医疗费总额(分)
            headers = [TABLES[name].column(h).zh for h in headers]
        if fmt == "xlsx":
            wb = xlsxwriter.Workbook(str(src / f"{name}.xlsx"))
            ws = wb.add_worksheet(name)
            ws.write_row(0, 0, headers)
            for i in range(tbl.num_rows):
                ws.write_row(i + 1, 0, [cols[h][i] for h in cols])
            wb.close()
        else:
            pacsv.write_csv(pa.table({h: cols[c] for h, c in zip(headers, cols, strict=True)}), src / f"{name}.csv")
    rep = ingest(src, tmp_path / "out2", progress=False)
    assert all(t.quarantined == 0 for t in rep.tables.values()), rep.to_dict()
    second = _load(tmp_path / "out2")
    for name in SCHEMAS:
        assert second[name].to_pylist() == first[name].to_pylist(), name
    assert first["fee_lines"].num_rows == 3 and first["encounters"].num_rows == 2
