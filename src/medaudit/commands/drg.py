"""CLI: `medaudit drg` — CHS-DRG 1.1 分组 / grouping of inpatient stays."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import typer

from medaudit.cli import app
from medaudit.commands.common import console, print_json, print_table
from medaudit.errors import InputError
from medaudit.outputs import atomic_output

drg_app = typer.Typer(help="DRG 分组 (CHS-DRG 1.1) / DRG grouping", no_args_is_help=True)
app.add_typer(drg_app, name="drg")

GROUPS_FILE = "drg_groups.parquet"


def print_mix(groups, top: int = 10) -> None:  # type: ignore[no-untyped-def]
    """Status counts and the most frequent DRGs of a groups table."""
    status = Counter(groups.column("status").to_pylist())
    print_table("分组结果 / status", ["状态 / status", "住院人次 / stays"], sorted(status.items()))
    drgs = Counter(d for d, s in zip(groups.column("drg").to_pylist(), groups.column("status").to_pylist(),
                                     strict=True) if s == "分组成功")
    names = dict(zip(groups.column("drg").to_pylist(), groups.column("drg_name").to_pylist(), strict=True))
    print_table(f"病组构成（前{top}） / group mix, {len(drgs)} distinct DRGs", ["DRG", "名称 / name", "人次 / stays"],
                [(d, names.get(d) or "", n) for d, n in drgs.most_common(top)])


@drg_app.command("group")
def group_cmd(
    src: str = typer.Argument(..., help="规范数据目录、国家接口导出，或 CSV(id,gender,age,age_days,weight,dx,proc) / input"),
    out: Path = typer.Option(..., "--out", "-o", help="输出目录(数据集) 或 CSV 文件 / output folder or CSV file"),
    engine: str = typer.Option("duckdb", "--engine", help="执行引擎 duckdb | sqlite | spark / engine"),
    reason: bool = typer.Option(False, "--reason", help="CSV 输出附加原因列 / add a reason column to CSV output"),
    as_json: bool = typer.Option(False, "--json", help="输出 JSON / machine-readable output"),
) -> None:
    """对住院病例分组(MDC/ADRG/DRG) / group inpatient stays into CHS-DRG 1.1 groups."""
    from medaudit.drg.service import default_grouper

    grouper = default_grouper()
    start = time.perf_counter()
    if src.lower().endswith(".csv"):
        from medaudit.drg.csvio import group_csv

        if not Path(src).is_file():
            raise InputError(f"输入不存在 / input not found: {src}")
        table = group_csv(grouper, Path(src), out, with_reason=reason)
        seconds = time.perf_counter() - start
        status = Counter(table.column("status").to_pylist())
        summary = {"out": str(out), "stays": table.num_rows, "status": dict(status), "seconds": round(seconds, 3)}
        if as_json:
            print_json(summary)
        else:
            console.print(f"分组 {table.num_rows:,} 条 / grouped → [bold]{out}[/]：{dict(status)}（{seconds:.2f} 秒）")
        return
    groups = _group_dataset(src, out, engine)
    seconds = time.perf_counter() - start
    status = Counter(groups.column("status").to_pylist())
    summary = {"out": str(out), "stays": groups.num_rows, "status": dict(status),
               "distinct_drgs": len({d for d, s in zip(groups.column("drg").to_pylist(),
                                                        groups.column("status").to_pylist(), strict=True)
                                     if s == "分组成功"}),
               "seconds": round(seconds, 3), "engine": engine}
    if as_json:
        print_json(summary)
        return
    print_mix(groups)
    console.print(f"输出 / written to [bold]{out / GROUPS_FILE}[/]（{groups.num_rows:,} 住院人次，{seconds:.2f} 秒，{engine}）")


def _group_dataset(src: str, out: Path, engine: str):  # type: ignore[no-untyped-def]
    import pyarrow.parquet as pq

    from medaudit.commands.audit import _canonical_input
    from medaudit.drg.canonical import group_backend
    from medaudit.drg.service import default_grouper
    from medaudit.engine.backends import get_backend
    from medaudit.engine.batch import canonical_inputs
    from medaudit.engine.runner import load_claims
    from medaudit.memory import parse_size
    from medaudit.settings import get_settings

    with atomic_output(out, "drg group") as stage:
        folder, failure = _canonical_input(src, stage, parse_size(get_settings().memory_limit))
        inputs = canonical_inputs(folder)
        if "encounters" not in inputs:
            raise InputError(f"输入目录缺少 encounters.parquet / missing canonical table encounters in {folder}")
        backend = get_backend(engine)
        try:
            load_claims(backend, inputs)
            groups = group_backend(backend, default_grouper())
        finally:
            backend.close()
        pq.write_table(groups, stage.path / GROUPS_FILE)
        stage.counts.update({"stays": groups.num_rows, "engine": engine})
        stage.versions["grouper"] = "CHS-DRG 1.1"
        stage.versions["reference_data"] = str(get_settings().reference_data)
    if failure:
        raise InputError(failure)
    return groups


def print_dataset_mix(folder: Path) -> None:
    """The group mix of a canonical folder's stays (for `medaudit demo`); a notice without the tables."""
    from medaudit.drg.canonical import group_backend
    from medaudit.drg.service import default_grouper
    from medaudit.engine.backends import get_backend
    from medaudit.engine.batch import canonical_inputs
    from medaudit.engine.runner import load_claims

    try:
        grouper = default_grouper()
    except InputError as exc:
        console.print(f"[yellow]未分组 / no DRG grouping: {exc}[/]")
        return
    backend = get_backend("duckdb")
    try:
        load_claims(backend, canonical_inputs(str(folder)))
        groups = group_backend(backend, grouper)
    finally:
        backend.close()
    print_mix(groups)
