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
                     "stages": t.stages, "version": t.version, "instances": n,
                     "nhsa": [c.model_dump() for c in t.nhsa], "nhsa_codes": t.nhsa_codes, "nhsa_note": t.nhsa_note,
                     "catalogue": t.catalogue})
    if as_json:
        print_json(rows)
        return
    print_table("规则模板 / rule templates", ["模板", "名称", "分类", "结果类型", "环节", "版本", "实例数", "国家规则分类"],
                [[r["id"], r["name"], r["category"], r["result_type"], "、".join(r["stages"]), r["version"],
                  r["instances"], "、".join(f"{c['seq']} {c['code'] or c['name']}" for c in r["nhsa"]) or "—"]
                 for r in rows])


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
    mutate: bool = typer.Option(False, "--mutate", help="变异测试：对规则SQL的变异体运行金标准用例 / mutation testing"),
    as_json: bool = typer.Option(False, "--json", help="输出 JSON"),
) -> None:
    """运行规则的金标准用例（--mutate 时做变异测试）/ run golden cases (mutation testing with --mutate).

    Exits non-zero when any case fails, or (with --mutate) when a mutant survives unexplained."""
    tpls = _templates()
    ids = [template_id] if template_id else list(tpls)
    for tid in ids:
        if tid not in tpls:
            raise RuleError(f"未知规则模板 / unknown template: {tid}")
    if mutate:
        _mutate(ids, as_json)
        return
    from medaudit.rules.golden import compare, load_cases, run_case

    results: list[dict[str, Any]] = []
    for tid in ids:
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


def _mutate(ids: list[str], as_json: bool) -> None:
    from medaudit.rules.mutate import score_template

    tpls = _templates()
    scores = [score_template(tpls[tid]) for tid in ids]
    if as_json:
        print_json([s.summary() for s in scores])
    else:
        print_table("变异测试 / mutation testing", ["模板", "杀死", "变异体", "声明等价", "未解释存活", "问题数"],
                    [[s.template, s.count("killed"), s.total, s.count("equivalent"), len(s.survivors),
                      len(s.errors)] for s in scores])
        for s in scores:
            for r in s.survivors:
                console.print(f"存活 / survivor  {s.template}: {r.id}", markup=False, highlight=False)
            for e in s.errors:
                console.print(f"问题 / problem  {s.template}: {e}", markup=False, highlight=False)
    if not all(s.ok for s in scores):
        raise typer.Exit(1)


@rules_app.command("docs")
def docs_cmd() -> None:
    """输出规则文档 (docs/rules.md) / print the generated rule documentation."""
    from medaudit.rules.doc import render

    print(render(), end="")
