"""CLI: `medaudit export` — canonical Parquet → national centre-table CSV exports."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import typer

from medaudit.cli import app
from medaudit.commands.common import console
from medaudit.errors import InputError
from medaudit.outputs import atomic_output, check_input_outside
from medaudit.schema import SCHEMAS


@app.command("export")
def export_cmd(
    src: Path = typer.Argument(..., help="规范 Parquet 目录 / canonical Parquet folder"),
    out: Path = typer.Option(..., "--out", "-o", help="输出目录 / output folder"),
    encoding: str = typer.Option("gbk", "--encoding", help="gbk | gb18030 | utf-8"),
) -> None:
    """导出为国家平台中心表(MDTRT_D/SETL_D/FEE_LIST_D…) / export as national centre tables (CSV)."""
    from medaudit.export import export_national

    tables = {n: pq.read_table(src / f"{n}.parquet") for n in SCHEMAS if (src / f"{n}.parquet").exists()}
    if "encounters" not in tables or "fee_lines" not in tables:
        raise InputError(f"{src} 不是规范 Parquet 目录 / not a canonical Parquet folder")
    check_input_outside(src, out)
    for n in ("patients", "institutions"):
        tables.setdefault(n, SCHEMAS[n].empty_table())
    with atomic_output(out, "export") as stage:
        try:
            files = export_national(tables, stage.path, encoding=encoding)
        except UnicodeEncodeError as exc:
            raise InputError(f"有字符无法用 {encoding} 编码，请改用 gb18030 / cannot encode in {encoding}: {exc}") from exc
        stage.counts.update({"files": [f.name for f in files], "encoding": encoding,
                             "rows": {n: t.num_rows for n, t in tables.items()}})
    for f in files:
        console.print(f"  {stage.final_path(f)}")
