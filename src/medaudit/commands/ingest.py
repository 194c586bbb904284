"""CLI: ``medaudit ingest SRC --out DIR`` — load and validate claims data into canonical Parquet."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from medaudit.cli import app
from medaudit.outputs import atomic_output, check_input_outside, rebase
from medaudit.schema import TABLES


@app.command("ingest")
def ingest_cmd(
    src: Path = typer.Argument(..., help="输入文件或文件夹 / input file or folder"),
    out: Path = typer.Option(..., "--out", "-o", help="输出目录 / output folder"),
    as_json: bool = typer.Option(False, "--json", help="以JSON输出报告 / print the report as JSON"),
) -> None:
    """导入并校验数据(CSV/Excel/Parquet，国家中心表或标准表) / ingest and validate claims data."""
    from medaudit.ingest import ingest
    from medaudit.ingest.summary import EXIT_QUARANTINE, reason_lines, share_failure

    check_input_outside(src, out)
    with atomic_output(out, "ingest") as stage:
        report = ingest(src, stage.path, progress=None if not as_json else False, exclude=[stage.final])
        stage.counts.update({"tables": {n: {"read": r.read, "accepted": r.accepted, "quarantined": r.quarantined}
                                        for n, r in report.tables.items()}, "skipped": list(report.skipped)})
    data = rebase(report.to_dict(), stage.path, stage.final)
    failure = share_failure(report)
    if as_json:
        typer.echo(json.dumps(data, ensure_ascii=False, indent=2))
        if failure:
            typer.echo(failure, err=True)
            raise SystemExit(EXIT_QUARANTINE)
        return
    console = Console()
    for n in report.notices:
        console.print(f"[yellow]提示 / notice:[/] {n}")
    for s in report.skipped:
        console.print(f"[yellow]跳过 / skipped:[/] {s}")
    tbl = Table(title=f"导入结果 / ingest result → {out}")
    tbl.add_column("表 / table")
    tbl.add_column("读取 = 接受 + 隔离 / read = accepted + quarantined")
    tbl.add_column("说明 / notes")
    for name, r in report.tables.items():
        zh = TABLES[name].zh if name in TABLES else "结算(SETL_D)"
        tbl.add_row(f"{name} {zh}", f"read {r.read} = accepted {r.accepted} + quarantined {r.quarantined}",
                    "; ".join(r.messages))
    console.print(tbl)
    for line in reason_lines(report):
        console.print(line, markup=False, highlight=False)
    for line in report.cascade_lines():
        console.print(f"[yellow]连带影响 / cascade:[/] {line}", highlight=False)
    quarantined = sum(r.quarantined for r in report.tables.values())
    if quarantined:
        console.print(f"隔离记录见 / quarantined rows: {out / 'quarantine'}")
    if failure:
        typer.echo(failure, err=True)
        raise SystemExit(EXIT_QUARANTINE)
