"""CLI: ``medaudit knowledge search | show-pack | validate | import-codes``."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from medaudit.cli import app

knowledge_app = typer.Typer(
    name="knowledge",
    help="知识库：查询、校验知识包、导入代码表 / knowledge base: search, validate packs, import code tables.",
    no_args_is_help=True,
)
app.add_typer(knowledge_app, name="knowledge")
console = Console()


def _kb(paths: list[Path] | None):  # type: ignore[no-untyped-def]
    from medaudit.knowledge import load_layers, national_knowledge

    return load_layers(paths) if paths else national_knowledge()


@knowledge_app.command("search")
def search_cmd(
    text: str = typer.Argument(..., help="编码(前缀)或中文名称，如 阿莫西林、血常规、E11 / code prefix or name"),
    as_json: bool = typer.Option(False, "--json", help="输出 JSON / machine-readable JSON"),
    pack: list[Path] = typer.Option(None, "--pack", help="知识包目录，可重复（按国家→省→市顺序）/ pack folders in layer order"),
    limit: int = typer.Option(50, "--limit", help="每类最多条数 / max hits per kind"),
) -> None:
    """查询药品、诊疗项目、诊断、手术操作及其限定 / look up drugs, items, diagnoses and procedures."""
    from medaudit.knowledge.search import KIND_ZH, search

    kb = _kb(pack)
    hits = search(kb, text, limit=limit)
    if as_json:
        typer.echo(json.dumps([h.as_dict() for h in hits], ensure_ascii=False, indent=2, default=str))
        return
    for notice in kb.notices:
        console.print(f"[yellow]提示 / notice:[/] {notice}")
    if not hits:
        console.print(f"未找到与“{text}”匹配的条目 / no match")
        return
    table = Table(title=f"知识库查询：{text}（{len(hits)} 条）", show_lines=True)
    table.add_column("类型")
    table.add_column("编码", no_wrap=True)
    table.add_column("名称")
    table.add_column("限定 / restrictions")
    for h in hits:
        table.add_row(KIND_ZH[h.kind], h.code, h.name, "\n".join(h.restrictions))
    console.print(table)


@knowledge_app.command("show-pack")
def show_pack_cmd(
    path: list[Path] = typer.Argument(None, help="知识包目录（省略则为内置国家包）/ pack folders; default: shipped national pack"),
    as_json: bool = typer.Option(False, "--json", help="输出 JSON"),
) -> None:
    """显示知识包版本与各表行数 / summarise a pack: versions and row counts per table."""
    from medaudit.knowledge import KB_TABLES

    kb = _kb(path)
    counts = kb.counts()
    if as_json:
        typer.echo(json.dumps({"versions": kb.versions, "layers": [m.as_dict() for m in kb.layers],
                               "counts": counts, "notices": kb.notices,
                               "warnings": [str(w) for w in kb.warnings]}, ensure_ascii=False, indent=2))
        return
    for m in kb.layers:
        flag = "（示例性，非法定目录 / illustrative）" if m.illustrative else ""
        console.print(f"[bold]{m.name}[/] {m.version} · {m.layer} · 区划 {m.region} · "
                      f"{m.effective_from or '-'} ~ {m.effective_to or '-'} {flag}")
    table = Table(title="知识库表 / knowledge tables")
    table.add_column("表")
    table.add_column("说明")
    table.add_column("行数", justify="right")
    for name, t in KB_TABLES.items():
        table.add_row(name, t.zh, f"{counts[name]:,}")
    console.print(table)
    for notice in kb.notices:
        console.print(f"[yellow]提示 / notice:[/] {notice}")
    for w in kb.warnings:
        console.print(f"[yellow]警告 / warning:[/] {w}")


@knowledge_app.command("validate")
def validate_cmd(
    path: list[Path] = typer.Argument(..., help="知识包目录，可多个（按国家→省→市顺序）/ pack folders in layer order"),
) -> None:
    """校验知识包：格式、取值、主键、交叉引用、诊断编码 / validate packs and report every problem."""
    from medaudit.knowledge import KnowledgeError, load_layers
    from medaudit.knowledge.consistency import check_indications

    kb = load_layers(path)
    problems = list(kb.warnings)
    if not kb.notices:
        problems += check_indications(kb)
    if problems:
        raise KnowledgeError(problems)
    for notice in kb.notices:
        console.print(f"[yellow]提示 / notice:[/] {notice}（未核对适应症诊断编码 / ICD prefixes not checked）")
    console.print(f"[green]校验通过 / valid[/]: {kb.version_label}  "
                  + ", ".join(f"{k}={v}" for k, v in kb.counts().items() if not k.startswith("kb_diag")
                              and not k.startswith("kb_proc")))


@knowledge_app.command("import-codes")
def import_codes_cmd(
    file: Path = typer.Argument(..., help="官方代码表 (.csv/.xlsx/.dat) / official code table"),
    kind: str = typer.Option(..., "--kind", help="diagnosis（疾病诊断）或 procedure（手术操作）"),
    dest: Path = typer.Option(None, "--dest", help="目标目录（默认为参考数据目录）/ destination folder"),
) -> None:
    """导入医保局下载的疾病诊断/手术操作代码表 / import an official diagnosis or procedure code table."""
    from medaudit.knowledge.codes import KINDS, import_codes
    from medaudit.knowledge.errors import KnowledgeError, Problem

    if kind not in KINDS:
        raise KnowledgeError([Problem("--kind", None, None, "应为 diagnosis 或 procedure / must be diagnosis or procedure")])
    target, n = import_codes(file, kind, dest)  # type: ignore[arg-type]
    console.print(f"[green]已导入 / imported[/] {n:,} 条 → {target}")
    if dest is not None:
        console.print(f"使用时请设置 MEDAUDIT_REFERENCE_DATA={target.parent} / set MEDAUDIT_REFERENCE_DATA to use it")


@knowledge_app.command("import")
def import_cmd(
    files: list[Path] = typer.Argument(None, help="医保局下载的目录文件 (.xlsx/.csv，GBK 或 UTF-8)：药品、医疗服务项目、医用耗材；"
                                                  "或国家两库知识点目录（含 knowledge_points.tsv，省略则为参考数据中的 nhsa-liangku）"
                                                  "/ national catalogue downloads, or the NHSA knowledge-point folder"),
    out: Path = typer.Option(None, "--out", "-o", help="生成的知识包目录（目录导入必填）/ pack folder to write (catalogues)"),
    name: str = typer.Option(None, "--name", help="知识包名称，如 gz-catalogue / pack name (catalogues)"),
    region: str = typer.Option(None, "--region", help="医保区划代码，如 440100 / region code (catalogues)"),
    layer: str = typer.Option("city", "--layer", help="层级 national | province | city"),
    version: str | None = typer.Option(None, "--version", help="版本（默认当天日期）/ version (default: today)"),
    kind: str | None = typer.Option(None, "--kind", help="drug | item | consumable（默认按表头判定）/ default: from the header"),
    merge: bool = typer.Option(False, "--merge", help="与下层目录合并而非替换 / add to the lower layers' catalogue instead of replacing it"),
    as_of: str | None = typer.Option(None, "--as-of", help="两库知识点：按该日生效的知识点（YYYY-MM-DD）/ knowledge points in force that day"),
    as_json: bool = typer.Option(False, "--json", help="输出 JSON"),
) -> None:
    """导入国家版式的医保目录为知识包层，或读入国家两库知识点为国家层，列出每一条未能使用的行/知识点
    / import national-layout catalogues as a pack layer, or the NHSA knowledge points as the national layer."""
    from medaudit.knowledge.liangku import POINTS_FILE

    if not files or (len(files) == 1 and (files[0] / POINTS_FILE).is_file()):
        _import_liangku(files[0] if files else None, as_of, as_json)
        return
    missing = [opt for opt, v in (("--out", out), ("--name", name), ("--region", region)) if not v]
    if missing:
        from medaudit.errors import InputError

        raise InputError(f"导入目录文件需要 {' '.join(missing)} / importing catalogues needs {' '.join(missing)}")
    from medaudit.knowledge.catalogue import KIND_ZH, LAYOUTS, import_catalogues

    result = import_catalogues(files, out, name=name, region=region, layer=layer, version=version, kind=kind,
                               merge=merge)
    if as_json:
        typer.echo(json.dumps(result.as_dict(), ensure_ascii=False, indent=2))
        return
    zh = {lay.file: KIND_ZH[k] for k, lay in LAYOUTS.items()}
    table = Table(title=f"目录导入 / catalogue import → {result.out}")
    table.add_column("目录")
    table.add_column("导入行数", justify="right")
    for file, n in result.imported.items():
        table.add_row(f"{zh[file]} ({file})", f"{n:,}")
    console.print(table)
    replaced = result.manifest.get("replaces")
    if replaced:
        console.print(f"本层替换下层的 {', '.join(zh[f] for f in replaced)} 目录 / this layer replaces the lower layers' "
                      f"{', '.join(replaced)}（--merge 可改为合并）")
    for notice in result.notices:
        console.print(f"[yellow]提示 / notice:[/] {notice}")
    if result.rejected:
        bad = Table(title=f"未能使用的行 / rows not used: {len(result.rejected):,}")
        for h in ("文件", "行", "列", "原因"):
            bad.add_column(h)
        for p in result.rejected:
            bad.add_row(Path(p.file).name, str(p.line or ""), p.column or "", p.reason)
        console.print(bad)
    console.print(f"使用 / use: medaudit audit DATA --knowledge-pack {result.out}")


@knowledge_app.command("coverage")
def coverage_cmd(
    data: Path = typer.Argument(..., help="规范 Parquet 目录（或原始导出目录，先接入）/ canonical Parquet folder or raw exports"),
    pack: list[Path] = typer.Option(None, "--knowledge-pack", help="叠加在内置国家包之上的知识包 / packs over the shipped one"),
    top: int = typer.Option(10, "--top", help="列出金额最大的未知编码数 / unknown codes to list"),
    min_share: float = typer.Option(0.90, "--coverage-min", envvar="MEDAUDIT_COVERAGE_MIN", min=0.0, max=1.0,
                                    help="金额覆盖率阈值 / minimum known share of drug or service amount"),
    as_json: bool = typer.Option(False, "--json", help="输出 JSON"),
) -> None:
    """知识库对数据的编码覆盖率（按药品/医疗服务项目/医用耗材）/ how much of the data's codes the pack knows."""
    import tempfile

    from medaudit.engine.batch import is_canonical
    from medaudit.errors import InputError
    from medaudit.knowledge.coverage import CLASS_ZH, CLASSES, coverage_of_folder, pct, yuan_text
    from medaudit.layers import load_knowledge_layers

    if not data.exists():
        raise InputError(f"输入不存在 / input not found: {data}")
    kb = load_knowledge_layers(pack)
    with tempfile.TemporaryDirectory(prefix="medaudit-coverage-") as tmp:
        folder = data
        if not is_canonical(data):
            from medaudit.ingest import ingest

            folder = Path(tmp) / "canonical"
            if not as_json:
                console.print(f"[cyan]输入不是规范 Parquet，先执行数据接入 / ingesting {data}[/]")
            ingest(data, folder)
        cov = coverage_of_folder(folder, kb, pack=kb.version_label, min_share=min_share)
    if as_json:
        typer.echo(json.dumps(cov.as_dict(top), ensure_ascii=False, indent=2))
        return
    table = Table(title=f"目录覆盖率 / catalogue coverage · {cov.pack}")
    for h in ("类别", "明细行数", "已知行数", "行覆盖率", "金额(元)", "已知金额(元)", "金额覆盖率", "编码数", "已知编码数"):
        table.add_column(h, justify="left" if h == "类别" else "right")
    for c in (cov.classes[k] for k in CLASSES):
        table.add_row(CLASS_ZH[c.cls], f"{c.lines:,}", f"{c.known_lines:,}", pct(c.line_share), yuan_text(c.amount_fen),
                      yuan_text(c.known_amount_fen), pct(c.amount_share), f"{c.codes:,}", f"{c.known_codes:,}")
    console.print(table)
    unknown = Table(title=f"金额最大的未知编码 / top unknown codes (共 {len(cov.unknown):,} 个)")
    for h in ("编码", "名称", "类别", "明细行数", "金额(元)"):
        unknown.add_column(h, justify="right" if h in ("明细行数", "金额(元)") else "left")
    for u in cov.top_unknown(top):
        unknown.add_row(u.code, u.name or "", CLASS_ZH[u.cls], f"{u.lines:,}", yuan_text(u.amount_fen))
    console.print(unknown)
    if cov.fits:
        console.print(f"[green]知识库与数据匹配 / the pack fits the data[/]（阈值 {pct(cov.min_share)}）")
    else:
        console.print(f"[yellow]{cov.misfit_message(top)}[/]")


def _import_liangku(folder: Path | None, as_of: str | None, as_json: bool) -> None:
    import datetime as dt

    from medaudit.errors import InputError
    from medaudit.knowledge.liangku import build_layer, read_liangku

    try:
        day = dt.date.fromisoformat(as_of) if as_of else None
    except ValueError:
        raise InputError(f"--as-of 应为 YYYY-MM-DD / --as-of must be YYYY-MM-DD: {as_of!r}") from None
    lk = read_liangku(folder)
    _, national = build_layer(lk, day)
    report = national.report
    if as_json:
        typer.echo(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
        return
    table = Table(title=f"国家两库知识点 / NHSA knowledge points · {report.folder} · 截至 {day or '最新'}")
    for h in ("规则分类", "知识点", "已解析", "解析率", "当日生效"):
        table.add_column(h, justify="left" if h == "规则分类" else "right")
    for cls, st in sorted(report.per_class.items(), key=lambda kv: -kv[1]["points"]):
        table.add_row(cls, f"{st['points']:,}", f"{st['parsed']:,}", f"{st['parsed'] / st['points']:.0%}", f"{st['in_force']:,}")
    console.print(table)
    console.print(f"共 {report.total:,} 个知识点已读入，{report.in_force:,} 个当日生效，{len(report.superseded)} 个被修订替代；"
                  f"生成 " + "，".join(f"{k} {v:,} 行" for k, v in report.rows.items())
                  + f" / {report.total:,} points loaded, {report.in_force:,} in force")
    for p in report.problems:
        console.print(f"[yellow]问题 / problem:[/] {p}")
    if report.unused:
        bad = Table(title=f"未能使用的知识点 / points not used: {len(report.unused):,}")
        for h in ("知识点", "规则分类", "名称", "原因"):
            bad.add_column(h)
        for u in report.unused:
            bad.add_row(u.kp_id, u.rule_class, u.item_name, u.reason)
        console.print(bad)
    console.print("审核时国家层自动叠加这些知识点 / audits use them as the national layer (medaudit audit …)")
