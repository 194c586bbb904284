"""CLI: `medaudit synth` — 生成带标注违规的合成统筹区数据 / synthetic region with labelled violations."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import typer

from medaudit.cli import app
from medaudit.commands.common import console, print_json, print_table
from medaudit.errors import InputError
from medaudit.outputs import atomic_output
from medaudit.schema.money import yuan_text


def _parse_rates(items: list[str] | None) -> dict[str, float]:
    rates: dict[str, float] = {}
    for item in items or []:
        key, sep, val = item.partition("=")
        try:
            rate = float(val)
        except ValueError:
            rate = -1.0
        if not sep or not key or not 0 <= rate <= 1:
            raise InputError(f"--rate 应为 类型=比例(0–1) / expected TYPE=RATE in [0, 1]: {item!r}")
        rates[key.strip()] = rate
    return rates


@app.command("synth")
def synth_cmd(
    patients: int = typer.Option(2000, "--patients", help="参保人数 / number of insured persons"),
    months: int = typer.Option(3, "--months", help="月数 / months of activity"),
    seed: int = typer.Option(0, "--seed", help="随机种子(同种子结果相同) / random seed (deterministic)"),
    out: Path = typer.Option(Path("synth-output"), "--out", "-o", help="输出目录 / output folder"),
    fmt: str = typer.Option("parquet", "--format", help="parquet | csv | xlsx"),
    rate: list[str] | None = typer.Option(None, "--rate", help="违规类型比例, 如 drug_gender=0.01 / TYPE=RATE (repeatable)"),
    no_violations: bool = typer.Option(False, "--no-violations", help="不注入违规 / clean region only"),
    fraud: bool = typer.Option(False, "--fraud", help="同时注入反欺诈模型场景(倒卖、套现、挂床、团伙)及相似正常样本 / "
                               "also inject the fraud models' schemes and look-alikes"),
    as_json: bool = typer.Option(False, "--json", help="输出 JSON / machine-readable output"),
) -> None:
    """生成合成统筹区数据(含标注的注入违规) / generate a synthetic pooling region with labelled violations."""
    from medaudit.synth import SCHEMES, SynthConfig, generate, write
    from medaudit.synth.schemes import opt_in_rates

    rates = (opt_in_rates() if fraud else {}) | _parse_rates(rate)
    cfg = SynthConfig(patients=patients, months=months, seed=seed, rates=rates, violations=not no_violations)
    with atomic_output(out, "synth") as stage:
        result = generate(cfg)
        paths = write(result, stage.path, fmt)
        stage.counts.update({**result.summary()["counts"], "labels": result.labels.num_rows, "seed": seed,
                             "format": fmt})
    from medaudit.synth.schemes import boundary_schemes

    boundary = boundary_schemes()

    by_type: Counter[str] = Counter()
    near: Counter[str] = Counter()
    amounts: Counter[str] = Counter()
    for lab in result.labels.to_pylist():
        if lab["kind"] == "near_miss":  # at a threshold: must not fire, not a violation
            near[lab["violation_type"]] += 1
            continue
        by_type[lab["violation_type"]] += 1
        amounts[lab["violation_type"]] += lab["amount_fen"]
    summary = result.summary() | {"out": str(out), "files": [p.name for p in paths],
                                  "labels_by_type": dict(sorted(by_type.items())),
                                  "near_misses_by_type": dict(sorted(near.items()))}
    if as_json:
        print_json(summary)
        return
    print_table("合成数据 / generated tables", ["表 / table", "行数 / rows"],
                [(k, f"{v:,}") for k, v in summary["counts"].items()])
    rows = [(k, SCHEMES[k].zh, by_type.get(k, 0), near.get(k, 0), yuan_text(amounts.get(k, 0), grouped=True))
            for k in SCHEMES if k not in boundary]
    print_table("注入违规 / injected violations",
                ["类型 / type", "名称", "标注 / labels", "阈值处近似(不应报) / near-misses", "金额(元) / amount"], rows)
    console.print(f"输出 / written to [bold]{out}[/] ({fmt}); 标注 / labels: labels.parquet ({result.labels.num_rows})")
