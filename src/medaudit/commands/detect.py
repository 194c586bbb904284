"""CLI: `medaudit detect` (大数据反欺诈模型 → 线索) and `medaudit fraud list | show | docs`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from medaudit.cli import app
from medaudit.commands.common import console, print_json, print_table
from medaudit.errors import InputError, RuleError
from medaudit.outputs import MARKER, atomic_output, check_input_outside

fraud_app = typer.Typer(help="反欺诈模型：查看、文档 / fraud models: list, show, docs", no_args_is_help=True)
app.add_typer(fraud_app, name="fraud")


def run_models(folder: str, engine: str, models: list[str] | None, packs: list[Path] | None, quiet: bool,
               findings: pa.Table | None = None, **options: object) -> Any:
    """The models with a progress bar; shared by `detect` and `audit --detect`."""
    from medaudit.fraud.registry import load_fraud_pack
    from medaudit.fraud.runner import run_detect
    from medaudit.layers import load_knowledge_layers

    pack = load_fraud_pack(packs)
    active = pack.active(models or None)
    with Progress(TextColumn("[progress.description]{task.description}"), BarColumn(),
                  TextColumn("{task.completed}/{task.total}"), TimeElapsedColumn(),
                  console=console, disable=quiet or not console.is_terminal) as progress:
        task = progress.add_task("反欺诈模型 / models", total=len(active))

        def step(mid: str, n: int) -> None:
            progress.update(task, advance=1, description=f"{mid}: {n} 条线索")

        return pack, run_detect(folder, load_knowledge_layers(None), pack, engine=engine, model_ids=active,
                                findings=findings, progress=step, **options)


def clue_summary(clues: pa.Table) -> list[list[Any]]:
    from medaudit.fraud.registry import all_models

    rows = []
    mids = clues.column("model_id").to_pylist()
    amts = clues.column("amount_fen").to_pylist()
    for mid, cls in all_models().items():
        n = mids.count(mid)
        if n:
            amt = sum(a for m, a in zip(mids, amts, strict=True) if m == mid)
            rows.append([mid, cls.spec.name, n, f"{amt / 100:,.2f}"])
    return rows


def print_top(clues: pa.Table, per_model: int = 3) -> None:
    """The highest-ranked clues of each model, as a reviewer would read them."""
    for r in clues.filter(pc.less_equal(clues.column("rank"), per_model)).to_pylist():
        console.print(f"[bold]{r['model_name']}[/] #{r['rank']} 评分{r['score']:.2f}：{r['narrative']}",
                      highlight=False)


@app.command("detect")
def detect_cmd(
    src: Path = typer.Argument(..., help="规范 Parquet 目录 / canonical Parquet folder"),
    out: Path = typer.Option(Path("detect-output"), "--out", "-o", help="输出目录 / output folder"),
    models: list[str] | None = typer.Option(None, "--models", "--model", help="只运行指定模型 / only these models"),
    engine: str = typer.Option("duckdb", "--engine", help="执行引擎 duckdb | spark / engine"),
    master: str = typer.Option("local[*]", "--master", help="Spark master"),
    fraud_pack: list[Path] | None = typer.Option(None, "--fraud-pack", help="叠加的省/市模型包 / extra model packs"),
    findings: Path | None = typer.Option(None, "--findings", help="规则疑点 findings.parquet（供机构可疑指数使用）"),
    excel: bool = typer.Option(True, "--excel/--no-excel", help="生成 Excel / write clues.xlsx"),
    as_json: bool = typer.Option(False, "--json", help="输出 JSON / machine-readable output"),
) -> None:
    """运行反欺诈模型并输出线索 / run the fraud models and write clues (clues.parquet, clues.xlsx)."""
    import pyarrow.parquet as pq

    from medaudit.engine.batch import is_canonical
    from medaudit.fraud.output import write_clues

    if not is_canonical(src):
        raise InputError(f"输入不是规范 Parquet 目录（先运行 medaudit ingest）/ not a canonical folder: {src}")
    if models:
        models = [m for item in models for m in item.split(",") if m]
    f_table = pq.read_table(findings) if findings else None
    options: dict[str, object] = {"master": master} if engine == "spark" else {}
    with atomic_output(out, "detect") as stage:
        check_input_outside(src, stage.final)
        pack, result = run_models(str(src), engine, models, fraud_pack, as_json, f_table, **options)
        paths = write_clues(result.clues, stage.path, excel)
        stage.counts.update({"clues": result.clues.num_rows, "seconds": result.seconds})
        stage.versions.update({f"fraud:{k}": v for k, v in pack.versions.items()})
    info = {"clues": result.clues.num_rows, "seconds": result.seconds,
            "outputs": {k: str(stage.final_path(v)) for k, v in paths.items()},
            "by_model": [dict(zip(["model_id", "model_name", "clues", "amount_yuan"], r, strict=True))
                         for r in clue_summary(result.clues)]}
    if as_json:
        print_json(info)
        return
    print_table("线索汇总（按模型）/ clues by model", ["模型", "名称", "线索数", "涉及金额(元)"], clue_summary(result.clues))
    print_top(result.clues)
    console.print("输出 / outputs: " + "  ".join(info["outputs"].values()) + f"  (完成标记 / marker: {out / MARKER})")


@fraud_app.command("list")
def list_cmd(as_json: bool = typer.Option(False, "--json", help="输出 JSON")) -> None:
    """列出反欺诈模型 / list the fraud models."""
    from medaudit.fraud.registry import all_models, load_fraud_pack

    pack = load_fraud_pack()
    active = set(pack.active())
    rows = [{"id": m, "name": c.spec.name, "version": c.spec.version, "subject_type": c.spec.subject_type,
             "enabled": m in active, "params": len(c.spec.params)} for m, c in all_models().items()]
    if as_json:
        print_json(rows)
        return
    print_table("反欺诈模型 / fraud models", ["模型", "名称", "版本", "对象", "启用", "参数数"],
                [[r["id"], r["name"], r["version"], r["subject_type"], "是" if r["enabled"] else "否", r["params"]]
                 for r in rows])


@fraud_app.command("show")
def show_cmd(model_id: str, as_json: bool = typer.Option(False, "--json", help="输出 JSON")) -> None:
    """显示模型说明、参数与特征 SQL / show a model's card."""
    from medaudit.fraud.doc import model_card
    from medaudit.fraud.registry import all_models

    models = all_models()
    if model_id not in models:
        raise RuleError(f"未知反欺诈模型 / unknown fraud model: {model_id} (可用 / known: {sorted(models)})")
    if as_json:
        cls = models[model_id]
        print_json({**cls.spec.model_dump(), "feature_sql": dict(cls.features)})
        return
    print(model_card(model_id))


@fraud_app.command("docs")
def docs_cmd() -> None:
    """生成 docs/fraud.md / print the model documentation (Markdown)."""
    from medaudit.fraud.doc import render

    print(render())
