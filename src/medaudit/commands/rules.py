"""CLI: `medaudit rules list | show | test | docs` (规则库)."""

from __future__ import annotations

from typing import Any

import typer

from medaudit.cli import app
from medaudit.commands.common import console, print_json, print_table
from medaudit.errors import RuleError

rules_app = typer.Typer(help="规则库：查看、测试规则 / rule base: list, show, test", no_args_is_help=True)
app.add_typer(rules_app, name="rules")


def _templates():  # type: ignore[no-untyped-def]
    from medaudit.rules.loader import load_templates

    return load_templates()


@rules_app.command("list")
def list_cmd(as_json: bool = typer.Option(False, "--json", help="输出 JSON")) -> None:
    """列出全部规则模板 / list rule templates."""
    from medaudit.rules.loader import load_rulebase

    rb = load_rulebase()
    rows: list[dict[str, Any]] = []
    for t in _templates().values():
        n = sum(1 for i in rb.instances.values() if i.template == t.id and i.enabled)
        rows.append({"id": t.id, "name": t.name, "category": t.category, "result_type": t.result_type,
                     "stages": t.stages, "version": t.version, "instances": n})
    if as_json:
        print_json(rows)
        return
    print_table("规则模板 / rule templates", ["模板", "名称", "分类", "结果类型", "环节", "版本", "实例数"],
                [[r["id"], r["name"], r["category"], r["result_type"], "、".join(r["stages"]), r["version"],
                  r["instances"]] for r in rows])


@rules_app.command("show")
def show_cmd(template_id: str, as_json: bool = typer.Option(False, "--json", help="输出 JSON")) -> None:
    """显示规则模板的元数据与 SQL / show a template."""
    tpls = _templates()
    if template_id not in tpls:
        raise RuleError(f"未知规则模板 / unknown template: {template_id}")
    t = tpls[template_id]
    if as_json:
        print_json(t.model_dump())
        return
    console.print(f"[bold]{t.id}[/] {t.name} v{t.version}  {t.category} / {t.tag} / {t.result_type}")
    console.print(f"审核逻辑：{t.logic}\n金额口径：{t.amount}\n违规内容模板：{t.reason}")
    for p in t.params:
        console.print(f"  参数 {p.name} ({p.type}) 默认 {p.default}：{p.zh}")
    console.print(t.sql)


@rules_app.command("test")
def test_cmd(
    template_id: str = typer.Argument(None, help="模板 id；省略则测试全部 / omit for all"),
    engine: str = typer.Option("duckdb", "--engine", help="duckdb | sqlite | spark"),
    as_json: bool = typer.Option(False, "--json", help="输出 JSON"),
) -> None:
    """运行规则的金标准用例 / run golden cases."""
    from medaudit.rules.golden import compare, load_cases, run_case

    ids = [template_id] if template_id else list(_templates())
    results: list[dict[str, Any]] = []
    for tid in ids:
        if tid not in _templates():
            raise RuleError(f"未知规则模板 / unknown template: {tid}")
        for case in load_cases(tid):
            problems = compare(case, run_case(case, engine))
            results.append({"template": tid, "case": case.name, "passed": not problems, "problems": problems})
    if as_json:
        print_json(results)
    else:
        print_table("金标准用例 / golden cases", ["模板", "用例", "结果", "问题"],
                    [[r["template"], r["case"], "通过" if r["passed"] else "失败", "; ".join(r["problems"])]
                     for r in results])
    if not all(r["passed"] for r in results) or not results:
        raise typer.Exit(1)


@rules_app.command("docs")
def docs_cmd() -> None:
    """输出规则文档 (docs/rules.md) / print the generated rule documentation."""
    from medaudit.rules.doc import render

    print(render(), end="")
