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
    from medaudit.knowledge import default_knowledge, load_layers

    return load_layers(paths) if paths else default_knowledge()


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
