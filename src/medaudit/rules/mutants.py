"""Mutants of a template's SQL: the one-line semantic slips a rule author makes.

A golden-case suite is only as good as the wrong rules it rejects. Each mutant changes one thing
(a comparison, a constant or parameter off by one, a dropped conjunct, MIN/MAX, a window's order)
so that a surviving mutant names a boundary no golden case pins down.

A mutant's id is built from the text it changes, not from its position, so a declaration of an
equivalent mutant in the template YAML survives unrelated edits of the SQL.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import sqlglot
from sqlglot import exp

SOURCE_DIALECT = "duckdb"

#: comparison flips (in predicates only: a CASE that picks the smaller of two values is the same
#: either way at equality, so flipping it tells nothing)
_FLIPS: dict[type[exp.Expr], type[exp.Expr]] = {
    exp.LT: exp.LTE, exp.LTE: exp.LT, exp.GT: exp.GTE, exp.GTE: exp.GT, exp.EQ: exp.NEQ, exp.NEQ: exp.EQ,
}
_SNIPPET = 100


@dataclass(frozen=True)
class Mutant:
    id: str
    operator: str
    sql: str


def _short(node: exp.Expr) -> str:
    text = " ".join(node.sql(dialect=SOURCE_DIALECT).split())
    return text if len(text) <= _SNIPPET else text[: _SNIPPET - 1] + "…"


def _in_predicate(node: exp.Expr) -> bool:
    """True when the node decides which rows a query keeps (WHERE, ON, HAVING, QUALIFY)."""
    child, parent = node, node.parent
    while parent is not None:
        if isinstance(parent, (exp.If, exp.Case)) or (isinstance(parent, exp.Select)
                                                      and child.arg_key == "expressions"):
            return False
        if isinstance(parent, (exp.Where, exp.Having, exp.Qualify)) or (
                isinstance(parent, exp.Join) and child.arg_key == "on"):
            return True
        child, parent = parent, parent.parent
    return False


def _is_projection(node: exp.Expr) -> bool:
    """A bare output column: changing it renames the column instead of changing the rule."""
    return isinstance(node.parent, exp.Select) and node.arg_key == "expressions"


def _in_type(node: exp.Expr) -> bool:
    return node.find_ancestor(exp.DataType) is not None


def _context(node: exp.Expr) -> exp.Expr:
    """The smallest enclosing predicate (or the parent) to name where a constant was changed."""
    pred = node.find_ancestor(exp.Predicate)
    return pred if pred is not None else (node.parent or node)


def _conjuncts(cond: exp.Expr) -> list[exp.Expr]:
    return list(cond.flatten()) if isinstance(cond, exp.And) else [cond]




def _edits(tree: exp.Expr, params: set[str]) -> Iterator[tuple[int, str, str, Callable[[exp.Expr], None]]]:
    """(node index, operator, description, edit applied to that node of a fresh copy)."""
    for idx, node in enumerate(tree.walk()):
        kind = type(node)
        if kind in _FLIPS and _in_predicate(node):
            new = _FLIPS[kind]

            def flip(n: exp.Expr, new: type[exp.Expr] = new) -> None:
                n.replace(new(this=n.this, expression=n.expression))

            shown = new(this=node.this.copy(), expression=node.expression.copy())
            yield idx, "comparison", f"{_short(node)} ⇒ {_short(shown)}", flip
        elif (isinstance(node, exp.Literal) and not node.is_string and not _in_type(node)
              and not _is_projection(node)):
            for delta in (1, -1):
                def shift(n: exp.Expr, delta: int = delta) -> None:
                    value = int(n.this) + delta if n.is_int else float(n.this) + delta
                    n.replace(exp.Literal.number(value))

                value = int(node.this) + delta if node.is_int else float(node.this) + delta
                yield idx, "constant", f"{node.this} ⇒ {value} in {_short(_context(node))}", shift
        elif isinstance(node, exp.Column) and node.name in params and not _is_projection(node):
            for delta in (1, -1):
                def nudge(n: exp.Expr, delta: int = delta) -> None:
                    op = exp.Add if delta > 0 else exp.Sub
                    n.replace(exp.Paren(this=op(this=n.copy(), expression=exp.Literal.number(1))))

                yield idx, "parameter", f"{node.sql()} {'+' if delta > 0 else '-'} 1 in {_short(_context(node))}", nudge
        elif isinstance(node, (exp.Min, exp.Max)):
            other: type[exp.Expr] = exp.Max if isinstance(node, exp.Min) else exp.Min

            def swap(n: exp.Expr, other: type[exp.Expr] = other) -> None:
                n.replace(other(this=n.this))

            yield idx, "min_max", f"{_short(node)} ⇒ {other.__name__.upper()}", swap
        elif isinstance(node, exp.Ordered) and isinstance(node.parent, exp.Order) \
                and isinstance(node.parent.parent, exp.Window):
            win = node.parent.parent
            func = win.this.sql_name() if isinstance(win.this, exp.Func) else "window"

            def reverse(n: exp.Expr) -> None:
                n.set("desc", not n.args.get("desc"))

            way = "ASC ⇒ DESC" if not node.args.get("desc") else "DESC ⇒ ASC"
            yield idx, "window_order", f"{func} ORDER BY {_short(node.this)} {way}", reverse
        if isinstance(node, (exp.Where, exp.Join)):
            cond = node.this if isinstance(node, exp.Where) else node.args.get("on")
            if cond is None:
                continue
            for pos, part in enumerate(_conjuncts(cond)):
                def drop(n: exp.Expr, pos: int = pos) -> None:
                    c = n.this if isinstance(n, exp.Where) else n.args["on"]
                    rest = [p for i, p in enumerate(_conjuncts(c)) if i != pos]
                    new_cond = exp.and_(*rest) if rest else exp.true()
                    if isinstance(n, exp.Where):
                        n.set("this", new_cond)
                    else:
                        n.set("on", new_cond)

                yield idx, "drop_conjunct", f"drop {_short(part)}", drop


def _numbered(descs: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for desc in descs:
        seen[desc] = seen.get(desc, 0) + 1
        out.append(desc if seen[desc] == 1 else f"{desc} #{seen[desc]}")
    return out


def mutant_ids(sql: str, params: set[str]) -> list[str]:
    """The ids alone (cheap: no SQL is generated), for validating equivalence declarations at load."""
    return _numbered([desc for _, _, desc, _ in _edits(sqlglot.parse_one(sql, read=SOURCE_DIALECT), params)])


def mutants(sql: str, params: set[str]) -> list[Mutant]:
    """Every single-edit mutant of ``sql``, in a stable order, with unique ids."""
    tree = sqlglot.parse_one(sql, read=SOURCE_DIALECT)
    edits = list(_edits(tree, params))
    out: list[Mutant] = []
    for (idx, operator, _, edit), mid in zip(edits, _numbered([e[2] for e in edits]), strict=True):
        copy = tree.copy()
        target = next(n for i, n in enumerate(copy.walk()) if i == idx)
        edit(target)
        out.append(Mutant(mid, operator, copy.sql(dialect=SOURCE_DIALECT, copy=False)))
    return out
