"""CLI: `medaudit audit` (全量事后审核) and `medaudit evaluate` (与合成标注对比评估)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, NamedTuple

import pyarrow.parquet as pq
import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from medaudit.cli import app
from medaudit.commands.common import console, print_json, print_table
from medaudit.errors import InputError
from medaudit.layers import load_knowledge_layers, load_rules
from medaudit.memory import MIB, duckdb_size, engine_share, parse_size
from medaudit.outputs import MARKER, Staging, atomic_output, check_input_outside
from medaudit.schema.money import yuan_text

ENGINE_HELP = "执行引擎 duckdb | spark / engine"




def _canonical_input(src: str, stage: Staging, limit: int) -> tuple[str, str | None]:
    """Canonical Parquet is audited as it is; anything else goes through ingest first.

    Returns the canonical folder and, when ingest quarantined more than the allowed share, the
    message the audit ends with (exit code 3 after the audit has run and published its outputs)."""
    from medaudit.engine.batch import is_canonical

    if "://" in src:
        return src, None
    path = Path(src)
    if not path.exists():
        raise InputError(f"输入不存在 / input not found: {src}")
    check_input_outside(path, stage.final)
    if is_canonical(path):
        return str(path), None
    from medaudit.ingest import ingest
    from medaudit.ingest.summary import reason_lines, share_failure

    # the ingest phase runs before the engine and alone: its DuckDB gets the same share of the limit
    os.environ.setdefault("MEDAUDIT_INGEST_MEMORY_LIMIT", duckdb_size(engine_share(limit)))
    canonical = stage.path / "canonical"
    console.print(f"[cyan]输入不是规范 Parquet，先执行数据接入 / ingesting {src} → {stage.final_path(canonical)}[/]")
    report = ingest(path, canonical, exclude=[stage.final])
    for name, rep in report.tables.items():
        console.print(f"  {name:13s} read {rep.read:,} = accepted {rep.accepted:,} + quarantined {rep.quarantined:,}")
    for notice in report.notices:
        console.print(f"  [yellow]{notice}[/]")
    for skipped in report.skipped:
        console.print(f"  [yellow]跳过 / skipped: {skipped}[/]")
    for line in reason_lines(report):
        console.print(f"  {line}", markup=False, highlight=False)
    for line in report.cascade_lines():
        console.print(f"  [yellow]连带影响 / cascade:[/] {line}", highlight=False)
    stage.counts["ingest"] = {name: {"read": r.read, "accepted": r.accepted, "quarantined": r.quarantined}
                              for name, r in report.tables.items()}
    stage.counts["skipped"] = list(report.skipped)
    return str(canonical), share_failure(report)


def summary_rows(findings):  # type: ignore[no-untyped-def]
    from medaudit.report import summarise

    return [[r["rule_id"], r["rule_name"], r["result_type"], r["finding_id_count"], r["mdtrt_id_count_distinct"],
             yuan_text(r["amount_fen_sum"] or 0, grouped=True)] for r in summarise(findings, ["rule_id", "rule_name", "result_type"])]


@app.command("audit")
def audit_cmd(
    src: str = typer.Argument(..., help="规范 Parquet 目录，或 CSV/Excel/国家平台中心表导出目录 / canonical Parquet or raw exports"),
    out: Path = typer.Option(Path("audit-output"), "--out", "-o", help="输出目录 / output folder"),
    engine: str = typer.Option("duckdb", "--engine", help=ENGINE_HELP),
    master: str = typer.Option("local[*]", "--master", help="Spark master (local[*] | spark://HOST:PORT | yarn)"),
    memory_limit: str | None = typer.Option(None, "--memory-limit", help="整个进程的内存上限(含 DuckDB), 如 4GB / memory bound of the whole process"),
    rules: list[str] | None = typer.Option(None, "--rule", help="只运行指定规则模板 / only these templates"),
    rule_pack: list[Path] | None = typer.Option(None, "--rule-pack", help="叠加的省/市规则包 / extra rule packs"),
    knowledge_pack: list[Path] | None = typer.Option(None, "--knowledge-pack", help="叠加的知识包 / extra knowledge packs"),
    excel: bool = typer.Option(True, "--excel/--no-excel", help="生成 Excel 报告 / write the Excel report"),
    as_json: bool = typer.Option(False, "--json", help="输出 JSON / machine-readable output"),
    force: bool = typer.Option(False, "--force", help="目录覆盖率不足时仍输出目录外/超标准收费疑点 / emit catalogue and price findings even when the pack does not fit"),
    coverage_min: float = typer.Option(0.90, "--coverage-min", envvar="MEDAUDIT_COVERAGE_MIN", min=0.0, max=1.0, help="药品或医疗服务项目金额覆盖率阈值 / minimum known share of drug or service amount"),
    detail_rows: int = typer.Option(10_000, "--detail-rows", envvar="MEDAUDIT_REPORT_DETAIL_ROWS", min=0, help="Excel 明细表行数上限 / detail rows in the Excel report"),
    write_csv: bool = typer.Option(False, "--csv", help="另输出完整明细 findings.csv / also write the full detail as CSV"),
    detect: bool = typer.Option(False, "--detect", help="同时运行反欺诈模型，输出 clues.parquet / also run the fraud models"),
) -> None:
    """全量事后审核 / full-volume batch audit: findings.parquet, Excel report, summary."""
    with atomic_output(out, "audit") as stage:
        info, findings = _audit(stage, src, engine, master, memory_limit, rules, rule_pack, knowledge_pack, excel,
                                as_json, AuditOutputs(force, coverage_min, detail_rows, write_csv, detect))
    info["outputs"] = {k: v and str(stage.final_path(v)) for k, v in info["outputs"].items()}
    if as_json:
        print_json({**info, "by_rule": [dict(zip(["rule_id", "rule_name", "result_type", "findings", "encounters",
                                                   "amount_yuan"], r, strict=True)) for r in summary_rows(findings)]})
        _fail_on_quarantine(info["quarantine_failure"])
        return
    print_table("审核结果汇总（按规则）/ findings by rule",
                ["规则编码", "规则名称", "结果类型", "疑点数", "涉及就诊", "违规金额(元)"], summary_rows(findings))
    console.print(f"费用明细 {info['fee_lines']:,} 行，就诊 {info['encounters']:,} 次；疑点 {info['findings']:,} 条，"
                  f"违规金额 {yuan_text(info['amount_fen'], grouped=True)} 元；耗时 {info['seconds']:.2f} 秒（{engine}）")
    console.print("输出 / outputs: " + "  ".join(v for v in info["outputs"].values() if v)
                  + f"  (完成标记 / marker: {out / MARKER})")
    _fail_on_quarantine(info["quarantine_failure"])


def _fail_on_quarantine(failure: str | None) -> None:
    """The audit ran on what was accepted and its outputs are published; a scheduled job must still not pass."""
    if failure:
        from medaudit.ingest.summary import EXIT_QUARANTINE

        typer.echo(failure, err=True)
        raise SystemExit(EXIT_QUARANTINE)


class AuditOutputs(NamedTuple):
    """What the coverage gate and the report writers were asked for on the command line."""

    force: bool
    coverage_min: float
    detail_rows: int
    write_csv: bool
    detect: bool = False


def _audit(stage: Staging, src: str, engine: str, master: str, memory_limit: str | None, rules: list[str] | None,
           rule_pack: list[Path] | None, knowledge_pack: list[Path] | None, excel: bool,
           as_json: bool, opts: AuditOutputs) -> tuple[dict[str, Any], Any]:
    """The audit itself, writing into the staging folder; returns the summary and the findings."""
    force, coverage_min, detail_rows, write_csv = opts.force, opts.coverage_min, opts.detail_rows, opts.write_csv
    from medaudit.engine.batch import run_batch, write_findings
    from medaudit.report import write_detail_csv, write_excel
    from medaudit.settings import get_settings

    limit = parse_size(memory_limit or get_settings().memory_limit)
    folder, failure = _canonical_input(src, stage, limit)
    kb = load_knowledge_layers(knowledge_pack)
    rulebase = load_rules(rule_pack)
    active = rulebase.active(rules or None)
    from medaudit.knowledge.coverage import catalogue_gate

    gate = catalogue_gate(folder, kb, list(active), pack=kb.version_label, min_share=coverage_min, force=force)
    if gate.message and not as_json:
        console.print(f"[yellow]{gate.message}[/]")
    options: dict[str, object] = {}
    if engine == "duckdb":
        s = get_settings()
        share = engine_share(limit)  # now that knowledge and rules are loaded
        options = {"memory_limit": duckdb_size(share), "threads": s.threads, "temp_dir": str(stage.scratch)}
        stage.counts["memory"] = {"limit_mib": limit // MIB, "engine_mib": share // MIB}
    elif engine == "spark":
        options = {"master": master}
    with Progress(TextColumn("[progress.description]{task.description}"), BarColumn(),
                  TextColumn("{task.completed}/{task.total}"), TimeElapsedColumn(),
                  console=console, disable=as_json or not console.is_terminal) as progress:
        task = progress.add_task("审核中 / auditing", total=len(gate.template_ids))

        def step(tid: str, n: int) -> None:
            progress.update(task, advance=1, description=f"{tid}: {n} 条疑点")

        result = run_batch(folder, kb, rulebase, engine=engine, template_ids=gate.template_ids,
                           progress=step, **options)
    out = stage.path
    write_findings(result.findings, out)
    if excel:
        names = _institution_names(folder)
        write_excel(result.findings, out / "report.xlsx", names, detail_rows=detail_rows)
    if write_csv:
        write_detail_csv(result.findings, out / "findings.csv")
    total = int(sum(result.findings.column("amount_fen").to_pylist())) if result.findings.num_rows else 0
    versions = {**dict(kb.versions), **{f"rules:{k}": v for k, v in rulebase.versions.items()}}
    info: dict[str, Any] = {
        "engine": engine, "fee_lines": result.lines, "encounters": result.encounters,
        "findings": result.findings.num_rows, "amount_fen": total, "seconds": round(result.seconds, 3),
        "lines_per_second": round(result.lines / result.seconds) if result.seconds and result.lines > 0 else None,
        "outputs": {"findings": out / "findings.parquet", "partitioned": out / "findings",
                    "excel": out / "report.xlsx" if excel else None,
                    "csv": out / "findings.csv" if write_csv else None},
        "versions": versions,
        "coverage": gate.as_dict(),
    }
    if opts.detect:  # the models read the same canonical folder and the rule findings (suspicion index)
        from medaudit.commands.detect import print_top, run_models
        from medaudit.fraud.output import write_clues

        _, det = run_models(folder, engine, None, None, as_json, result.findings,
                            **({"master": master} if engine == "spark" else {}))
        info["outputs"].update({f"clues_{k}": v for k, v in write_clues(det.clues, out / "clues", excel).items()})
        info["clues"] = det.clues.num_rows
        if not as_json:
            print_top(det.clues, per_model=1)
    stage.counts.update({k: info[k] for k in ("fee_lines", "encounters", "findings", "amount_fen")})
    stage.versions.update(versions)
    info["quarantine_failure"] = failure
    return info, result.findings


def _institution_names(folder: str) -> dict[str, str]:
    path = Path(folder) / "institutions.parquet"
    if "://" in folder or not path.exists():
        return {}
    t = pq.read_table(path, columns=["fixmedins_code", "fixmedins_name"])
    return dict(zip(t.column(0).to_pylist(), t.column(1).to_pylist(), strict=True))


@app.command("evaluate")
def evaluate_cmd(
    findings: Path = typer.Argument(..., help="findings.parquet"),
    labels: Path = typer.Argument(..., help="合成数据标注 labels.parquet"),
    as_json: bool = typer.Option(False, "--json", help="输出 JSON / machine-readable output"),
    clues: Path | None = typer.Option(None, "--clues", help="反欺诈线索 clues.parquet（按模型评估）/ also score fraud clues"),
) -> None:
    """按违规类型评估查准率、查全率、追回金额 / precision, recall, amount recovered per violation type."""
    from medaudit.evaluate import evaluate

    for p in (findings, labels):
        if not p.exists():
            raise InputError(f"文件不存在 / file not found: {p}")
    scores = evaluate(pq.read_table(findings), pq.read_table(labels))
    if clues is not None:
        from medaudit.fraud.evaluate import evaluate_folder, print_scores

        fraud = evaluate_folder(clues, labels)
        if as_json:
            print_json({"rules": [s.as_dict() for s in scores], "fraud": [s.as_dict() for s in fraud]})
            return
        print_scores(fraud)
    if as_json:
        print_json([s.as_dict() for s in scores])
        return
    print_table("一致性核对 / consistency check against the labels",
                ["违规类型", "标注数", "疑点数", "命中", "查准率", "查全率", "金额追回率",
                 "阈值近似/误报", "刚超阈值查全率", "同就诊多类查全率"],
                [[s.violation_type, s.labels, s.findings, s.matched, f"{s.precision:.4f}", f"{s.recall:.4f}",
                  f"{s.amount_recovered:.4f}", f"{s.near_misses}/{s.near_miss_fp}",
                  f"{s.boundary_recall:.4f} ({s.boundary_labels})", f"{s.co_recall:.4f} ({s.co_labels})"]
                 for s in scores])
    console.print("注：标注来自合成数据生成器的核对程序（已与金标准用例逐例核对），上表衡量规则与该独立口径的一致性，"
                  "不是真实数据上的准确率。/ A consistency check of the rules against an independent statement of "
                  "the spec, not accuracy.")
