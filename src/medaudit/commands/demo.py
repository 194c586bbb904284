"""CLI: `medaudit demo` — generate a synthetic region, audit it, evaluate, and print where everything is."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from medaudit.cli import app
from medaudit.commands.common import console, print_table
from medaudit.outputs import Staging, atomic_output


@app.command("demo")
def demo_cmd(
    out: Path = typer.Option(Path("demo-output"), "--out", "-o", help="输出目录 / output folder"),
    patients: int = typer.Option(20000, "--patients", help="参保人数 / insured persons"),
    months: int = typer.Option(3, "--months", help="月数 / months"),
    seed: int = typer.Option(2025, "--seed", help="随机种子 / seed"),
    serve: bool = typer.Option(False, "--serve/--no-serve", help="完成后启动实时审核接口 / then serve the real-time API"),
    port: int = typer.Option(8000, "--port", help="接口端口 / API port"),
) -> None:
    """演示：生成合成统筹区、全量审核、评估 / demo: synthesise a region, audit it, evaluate."""
    with atomic_output(out, "demo") as stage:
        sample, key = _build(stage, patients, months, seed, port)
    console.print(f"  3101 示例请求 / sample request: {stage.final_path(sample)}")
    console.print("\n[bold]实时审核（事前提醒/事中审核）/ real-time audit:[/]")
    console.print(f"  curl -s -X POST http://127.0.0.1:{port}/api/3101 -H 'X-API-Key: {key}' "
                  f"-H 'Content-Type: application/json' --data-binary @{stage.final_path(sample)}")
    if serve:
        import uvicorn

        from medaudit.api.app import create_app

        console.print(f"[bold green]启动实时审核接口 / serving the API on http://127.0.0.1:{port} (Ctrl-C 结束)[/]")
        uvicorn.run(create_app(database_url=_state_url(out), history_url=_history_url(out)),
                    host="127.0.0.1", port=port, log_level="warning")


def _build(stage: Staging, patients: int, months: int, seed: int, port: int) -> tuple[Path, str]:
    """Every demo output, written into the staging folder; returns the sample request and its key."""
    from medaudit.commands.audit import summary_rows
    from medaudit.engine.batch import run_batch, write_findings
    from medaudit.evaluate import evaluate
    from medaudit.export import export_national
    from medaudit.ingest import ingest
    from medaudit.knowledge import default_knowledge
    from medaudit.report import write_excel
    from medaudit.rules import load_rulebase
    from medaudit.synth import SynthConfig, generate, write

    work, out = stage.path, stage.final
    region = work / "region"
    exports = work / "exports"
    canonical = work / "canonical"
    audit_out = work / "audit"
    console.rule("[bold]1/4 生成合成统筹区 / synthesising a region")
    kb = default_knowledge()
    for notice in getattr(kb, "notices", []):
        console.print(f"[yellow]{notice}[/]")
    result = generate(SynthConfig(patients=patients, months=months, seed=seed))
    write(result, region)
    export_national(result.tables, exports, encoding="gb18030")
    counts = result.summary()["counts"]
    console.print(f"参保人 {counts['patients']:,}，机构 {counts['institutions']:,}，就诊 {counts['encounters']:,}，"
                  f"费用明细 {counts['fee_lines']:,}；注入违规 {result.labels.num_rows:,} 条")
    console.print(f"国家平台中心表导出(GB18030 CSV，金额单位元) / national centre-table exports → {out / 'exports'}")

    console.rule("[bold]2/4 数据接入 / ingest the exports")
    report = ingest(exports, canonical)
    for name, rep in report.tables.items():
        console.print(f"  {name:13s} read {rep.read:,} = accepted {rep.accepted:,} + quarantined {rep.quarantined:,}")

    console.rule("[bold]3/4 全量事后审核 / batch audit (DuckDB)")
    rulebase = load_rulebase()
    audited = run_batch(str(canonical), kb, rulebase, temp_dir=str(stage.scratch))
    write_findings(audited.findings, audit_out)
    names = dict(zip(result.tables["institutions"].column("fixmedins_code").to_pylist(),
                     result.tables["institutions"].column("fixmedins_name").to_pylist(), strict=True))
    write_excel(audited.findings, audit_out / "report.xlsx", names)
    print_table("审核结果汇总（按规则）/ findings by rule",
                ["规则编码", "规则名称", "结果类型", "疑点数", "涉及就诊", "违规金额(元)"], summary_rows(audited.findings))
    rate = audited.lines / audited.seconds if audited.seconds else 0
    console.print(f"审核 {audited.lines:,} 行明细，用时 {audited.seconds:.2f} 秒（{rate:,.0f} 行/秒），"
                  f"疑点 {audited.findings.num_rows:,} 条")
    from medaudit.commands.drg import print_dataset_mix

    print_dataset_mix(canonical)  # 住院病例 DRG 病组构成 / group mix of the region's stays
    from medaudit.commands.detect import print_top
    from medaudit.fraud.output import write_clues
    from medaudit.fraud.runner import run_detect

    detected = run_detect(str(canonical), kb, findings=audited.findings, temp_dir=str(stage.scratch))
    write_clues(detected.clues, audit_out / "clues")
    console.print(f"反欺诈模型线索 {detected.clues.num_rows:,} 条（{out / 'audit' / 'clues' / 'clues.parquet'}），各模型排名第一：")
    print_top(detected.clues, per_model=1)

    console.rule("[bold]4/4 与注入标注一致性核对 / consistency check against the labels")
    scores = evaluate(audited.findings, result.labels)
    print_table("一致性核对（规则与独立口径）/ consistency check of the rules against an independent statement",
                ["违规类型", "标注数", "疑点数", "一致率(查准)", "一致率(查全)", "金额一致率",
                 "阈值处近似/误报", "刚超阈值", "同就诊多类"],
                [[s.violation_type, s.labels, s.findings, f"{s.precision:.3f}", f"{s.recall:.3f}",
                  f"{s.amount_recovered:.3f}", f"{s.near_misses}/{s.near_miss_fp}",
                  f"{s.boundary_recall:.3f} ({s.boundary_labels})", f"{s.co_recall:.3f} ({s.co_labels})"]
                 for s in scores])
    console.print("注：标注由生成器的核对程序（synth/checker.py，对规则口径的另一份独立表述，已与全部适用的金标准用例"
                  "逐例核对）给出，含阈值处不应报的近似样本与同一就诊多类违规。上表是规则SQL与该独立表述的一致性核对，"
                  "不是真实数据上的准确率；规则本身由金标准用例与变异测试检验（medaudit rules test --mutate）。"
                  "/ A consistency check of the rule SQL against an independent statement of the spec (the generator's "
                  "checker, itself checked against the golden cases), near-misses and co-occurrences included; "
                  "not accuracy on real claims.")
    console.print("\n[bold green]完成 / done.[/] 输出 / outputs:")
    console.print(f"  合成数据 / region:         {out / 'region'}/  (labels.parquet = 注入违规标注)")
    console.print(f"  中心表导出 / exports:      {out / 'exports'}/  → 接入结果 / ingested: {out / 'canonical'}/")
    console.print(f"  疑点 / findings:           {out / 'audit' / 'findings.parquet'}  "
                  f"(按统筹区/月分区: {out / 'audit' / 'findings'}/)")
    console.print(f"  Excel 报告 / report:       {out / 'audit' / 'report.xlsx'}")
    console.print(f"  线索 / clues:              {out / 'audit' / 'clues' / 'clues.parquet'}")
    stage.counts.update({**counts, "labels": result.labels.num_rows, "findings": audited.findings.num_rows})
    stage.versions.update({**dict(kb.versions), **{f"rules:{k}": v for k, v in rulebase.versions.items()}})
    return _realtime_sample(work, result, port)


def _state_url(out: Path) -> str:
    return f"sqlite:///{(out / 'state.db').resolve()}"


def _history_url(out: Path) -> str:
    return f"sqlite:///{(out / 'history.db').resolve()}"


def _realtime_sample(out: Path, result: Any, port: int) -> tuple[Path, str]:
    """A 3101 request (national envelope) built from a synthetic encounter with an intercepting
    violation, and an API key for its institution, so the first curl shows a real answer."""
    import json

    from medaudit.api.dto import request_for
    from medaudit.store.state import StateStore

    labels = {r["violation_type"]: r["mdtrt_id"] for r in result.labels.to_pylist() if r["kind"] == "violation"}
    mdtrt_id = next((labels[t] for t in ("drug_gender", "drug_age", "drug_level", "item_gender") if t in labels),
                    result.tables["encounters"].column("mdtrt_id")[0].as_py())
    data = request_for(result.tables, mdtrt_id, trig_scen="2")
    institution = data["patient_dtos"][0]["fsi_encounter_dtos"][-1]["medins_id"]
    path = out / "sample-3101.json"
    envelope = {"infno": "3101", "msgid": f"DEMO{mdtrt_id}", "infver": "V1.0", "fixmedins_code": institution,
                "input": {"data": data}}
    path.write_text(json.dumps(envelope, ensure_ascii=False, indent=2), encoding="utf-8")
    store = StateStore(_state_url(out))
    key = store.create_key(institution, "demo")
    store.engine.dispose()  # close the database before its folder is renamed into place
    return path, key
