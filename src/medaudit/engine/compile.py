"""Compile rule SQL for an engine: rename the parameter table, wrap, transpile with sqlglot.

A template's SQL is written once in DuckDB's dialect. Anything sqlglot cannot express in the target
dialect raises at load time, naming the construct — no rule silently runs differently.
"""

from __future__ import annotations

import sqlglot
from sqlglot import exp
from sqlglot.errors import ErrorLevel, SqlglotError

from medaudit.errors import RuleError
from medaudit.rules.model import CORE_COLUMNS, Template

SOURCE_DIALECT = "duckdb"

#: encounter columns attached to every finding (scope filtering, reporting, partitioning)
ENC_COLUMNS = ("psn_no", "fixmedins_code", "visit_type", "medins_lv", "insutype", "medins_admdvs",
               "fixmedins_type", "setl_dn")


#: constructs sqlglot emits without complaint but that do not run, or run differently, on a target:
#: refused at load time so that no rule silently behaves differently on another engine.
UNFAITHFUL: dict[str, tuple[type[exp.Expression], ...]] = {
    "sqlite": (exp.Extract, exp.Interval, exp.Array, exp.ArrayAgg, exp.Struct, exp.RegexpLike,
               exp.Median, exp.PercentileCont, exp.ApproxQuantile, exp.Unnest, exp.Explode),
    "spark": (exp.Median, exp.PercentileCont, exp.Unnest),
}


def _sqlite_date_parts(node: exp.Expr) -> exp.Expr:
    """SQLite has no YEAR/MONTH/DAY/HOUR/MINUTE: rewrite them to STRFTIME, which it has."""
    fmt = {exp.Year: "%Y", exp.Month: "%m", exp.Day: "%d", exp.DayOfMonth: "%d", exp.Hour: "%H",
           exp.Minute: "%M"}
    for kind, pattern in fmt.items():
        if type(node) is kind:
            return exp.cast(exp.Anonymous(this="STRFTIME", expressions=[exp.Literal.string(pattern), node.this]),
                            "INTEGER")
    return node


def check_portable(tree: exp.Expr, dialect: str, what: str) -> None:
    for node in tree.walk():
        if isinstance(node, UNFAITHFUL.get(dialect, ())):
            raise RuleError(f"{what} 使用了 {dialect} 无法忠实执行的语法 {type(node).__name__}：{node.sql()[:80]} / "
                            f"construct {type(node).__name__} cannot run faithfully on {dialect}")
        if isinstance(node, exp.Join) and node.args.get("kind") and str(node.args["kind"]).upper() == "ASOF":
            raise RuleError(f"{what} 使用了 ASOF JOIN / ASOF JOIN is not portable to {dialect}")


def params_table(template_id: str) -> str:
    return f"params__{template_id}"


def wrap(template: Template) -> str:
    """The template query joined to its encounter context — same wrapper on every engine."""
    cols = ", ".join(f"r.{c}" for c in (*CORE_COLUMNS, *template.evidence))
    enc = ", ".join(f"e.{c} AS enc_{c}" for c in ENC_COLUMNS)
    body = template.sql.strip().rstrip(";")
    return f"SELECT {cols}, {enc} FROM ({body}) r JOIN enc_ctx e ON e.mdtrt_id = r.mdtrt_id"


def compile_sql(sql: str, dialect: str, rename: dict[str, str] | None = None, what: str = "SQL") -> str:
    try:
        tree = sqlglot.parse_one(sql, read=SOURCE_DIALECT)
    except SqlglotError as exc:
        raise RuleError(f"{what} 无法解析 / cannot parse: {exc}") from exc
    if rename:
        for table in tree.find_all(exp.Table):
            if table.name in rename:
                table.set("this", exp.to_identifier(rename[table.name]))
    if dialect == SOURCE_DIALECT:
        return tree.sql(dialect=dialect)
    check_portable(tree, dialect, what)
    if dialect == "sqlite":
        tree = tree.transform(_sqlite_date_parts)
    try:
        return tree.sql(dialect=dialect, unsupported_level=ErrorLevel.RAISE)
    except SqlglotError as exc:
        raise RuleError(f"{what} 无法忠实转换为 {dialect} / cannot be transpiled faithfully to {dialect}: {exc}") from exc


def compile_template(template: Template, dialect: str) -> str:
    return compile_sql(wrap(template), dialect, {"params": params_table(template.id)},
                       what=f"规则模板 {template.id}")
