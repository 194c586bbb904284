"""SQLite: the real-time engine (in memory, in process, one connection per worker).

The rule SQL is the batch SQL transpiled by sqlglot (compile.py). SQLite has no DATE, TIMESTAMP or
BOOLEAN storage classes, so values are stored as ISO text ('YYYY-MM-DD', 'YYYY-MM-DD HH:MM:SS') and
0/1; ISO text sorts and compares like the dates it spells, and the transpiled date functions
(DATE(), JULIANDAY(), STRFTIME()) read it. Results are turned back into typed Arrow columns using
sqlglot's type annotation of the query over the known table schemas, so findings built from SQLite
rows are byte-identical to DuckDB's (a 0/1 evidence value would otherwise render as ``1`` instead of
``true``).

Prefix joins (``SUBSTRING(code, 1, LENGTH(prefix)) = prefix``, the knowledge-matching idiom) cannot use
an index as written; before running a query this backend adds the equivalent, index-usable
``prefix IN (SUBSTR(code, 1, 1), …, SUBSTR(code, 1, n))`` next to it (n = the longest prefix loaded),
which turns a scan of the knowledge table per line into a handful of index probes. The original
predicate stays in place, so the result is the same by construction.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any, ClassVar

import pyarrow as pa
import pyarrow.parquet as pq
import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError
from sqlglot.optimizer.annotate_types import annotate_types
from sqlglot.optimizer.qualify import qualify

from medaudit.errors import RuleError

from .base import Backend

#: columns that get an index wherever a registered table has them (knowledge keys, join keys)
INDEX_COLUMNS = ("code_prefix", "code_a", "code_b", "prefix_a", "prefix_b", "drug_prefix", "dise_no",
                 "code", "mdtrt_id", "psn_no", "hilist_code", "line_id", "fixmedins_code", "init_line_id",
                 "icd_prefix")

_SQL_TYPES = {"bool": "BOOLEAN", "date": "DATE", "timestamp": "TIMESTAMP", "int32": "INT",
              "int": "BIGINT", "float": "DOUBLE", "str": "TEXT"}


def _kind(t: pa.DataType) -> str:
    if pa.types.is_boolean(t):
        return "bool"
    if pa.types.is_date(t):
        return "date"
    if pa.types.is_timestamp(t):
        return "timestamp"
    if pa.types.is_int32(t) or pa.types.is_int16(t) or pa.types.is_int8(t):
        return "int32"
    if pa.types.is_integer(t) or pa.types.is_decimal(t):
        return "int"
    if pa.types.is_floating(t):
        return "float"
    return "str"


def to_sqlite(value: Any) -> Any:
    """One Python value as SQLite stores it (ISO text for dates and times, 0/1 for booleans)."""
    if value is None or isinstance(value, (str, int, float)) and not isinstance(value, bool):
        return value
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return str(value)


def _from_kind(kind: str, values: list[Any]) -> pa.Array:
    if kind == "bool":
        return pa.array([None if v is None else bool(v) for v in values], pa.bool_())
    if kind == "date":
        return pa.array([None if v is None else dt.date.fromisoformat(str(v)[:10]) for v in values], pa.date32())
    if kind == "timestamp":
        return pa.array([None if v is None else dt.datetime.fromisoformat(str(v)) for v in values],
                        pa.timestamp("us"))
    if kind in ("int", "int32"):
        if all(v is None or isinstance(v, int) for v in values):
            return pa.array(values, pa.int64())
    elif kind == "float":
        if all(v is None or isinstance(v, (int, float)) for v in values):
            return pa.array([None if v is None else float(v) for v in values], pa.float64())
    elif kind == "str":
        return pa.array([None if v is None else str(v) for v in values], pa.string())
    return _infer(values)


def _infer(values: list[Any]) -> pa.Array:
    """Type an untyped result column from its values (SQLite's own storage classes)."""
    present = [v for v in values if v is not None]
    if not present:
        return pa.nulls(len(values), pa.string())
    if all(isinstance(v, int) for v in present):
        return pa.array(values, pa.int64())
    if all(isinstance(v, (int, float)) for v in present):
        return pa.array([None if v is None else float(v) for v in values], pa.float64())
    return pa.array([None if v is None else str(v) for v in values], pa.string())


_ANNOTATED_KIND = {
    "BOOLEAN": "bool", "DATE": "date", "TIMESTAMP": "timestamp", "DATETIME": "timestamp",
    "TINYINT": "int", "SMALLINT": "int", "INT": "int", "BIGINT": "int", "UBIGINT": "int", "UINT": "int",
    "DOUBLE": "float", "FLOAT": "float", "TEXT": "str", "VARCHAR": "str", "CHAR": "str", "NCHAR": "str",
    "NVARCHAR": "str",
}


class _PrefixRewrite:
    """Adds an index-usable ``prefix IN (SUBSTR(code,1,1) … SUBSTR(code,1,n))`` beside prefix matches."""

    def __init__(self, max_len: int) -> None:
        self.max_len = max_len

    def __call__(self, tree: exp.Expr) -> exp.Expr:
        for eq in list(tree.find_all(exp.EQ)):
            match = self._match(eq)
            if match is None:
                continue
            code, prefix = match
            probes = [exp.Substring(this=code.copy(), start=exp.Literal.number(1), length=exp.Literal.number(n))
                      for n in range(1, self.max_len + 1)]
            guard = exp.In(this=prefix.copy(), expressions=probes)
            eq.replace(exp.Paren(this=exp.And(this=guard, expression=eq.copy())))
        return tree

    @staticmethod
    def _match(eq: exp.EQ) -> tuple[exp.Expression, exp.Column] | None:
        for sub, other in ((eq.this, eq.expression), (eq.expression, eq.this)):
            if not isinstance(sub, exp.Substring) or not isinstance(other, exp.Column):
                continue
            start, length = sub.args.get("start"), sub.args.get("length")
            if not (isinstance(start, exp.Literal) and start.this == "1" and isinstance(length, exp.Length)):
                continue
            if isinstance(length.this, exp.Column) and length.this == other and isinstance(sub.this, exp.Column):
                return sub.this, other
        return None


#: plans shared by every backend in the process (golden cases build a backend per case)
_SHARED_PLANS: dict[tuple[str, int, str], tuple[str, list[str] | None]] = {}


class SQLiteBackend(Backend):
    dialect: ClassVar[str] = "sqlite"

    def __init__(self, database: str = ":memory:", prefix_index: bool = True) -> None:
        self.con = sqlite3.connect(database, check_same_thread=False, isolation_level=None)
        self.con.execute("PRAGMA journal_mode = OFF")
        self.con.execute("PRAGMA synchronous = OFF")
        self.con.execute("PRAGMA temp_store = MEMORY")
        #: column name -> kind ('bool', 'date', …) of every table this backend holds
        self.schemas: dict[str, dict[str, str]] = {}
        self._prefix_index = prefix_index
        self._max_prefix = 0
        self._plans: dict[str, tuple[str, list[str] | None]] = {}
        self._schema_key = ""
        self._materialized: dict[str, str] = {}
        self._empty: dict[str, pa.Table] = {}

    # -- loading ---------------------------------------------------------------------------------
    def register(self, name: str, data: pa.Table) -> None:
        kinds = {f.name: _kind(f.type) for f in data.schema}
        cols = ", ".join(f'"{c}" {_SQL_TYPES[k]}' for c, k in kinds.items())
        self.con.execute(f'DROP TABLE IF EXISTS "{name}"')
        self.con.execute(f'CREATE TABLE "{name}" ({cols})')
        self._materialized.pop(name, None)
        self.schemas[name] = kinds
        self._plans.clear()
        self._schema_key = ""
        self.insert(name, data)
        for col in kinds:
            if col in INDEX_COLUMNS:
                self.con.execute(f'CREATE INDEX IF NOT EXISTS "ix_{name}__{col}" ON "{name}" ("{col}")')
        if "code_prefix" in kinds or name.startswith("kb_"):
            self._note_prefixes(name, kinds)
        self.con.execute(f'ANALYZE "{name}"') if name.startswith("kb_") and data.num_rows else None

    def _note_prefixes(self, name: str, kinds: dict[str, str]) -> None:
        for col, kind in kinds.items():
            if kind == "str" and (col in ("code_prefix", "code_a", "code_b", "prefix_a", "prefix_b",
                                          "drug_prefix", "icd_prefix")):
                row = self.con.execute(f'SELECT MAX(LENGTH("{col}")) FROM "{name}"').fetchone()
                self._max_prefix = max(self._max_prefix, int(row[0] or 0))

    def insert(self, name: str, data: pa.Table) -> None:
        """Append Arrow rows to an existing table."""
        if data.num_rows == 0:
            return
        columns = [[to_sqlite(v) for v in col.to_pylist()] for col in data.columns]
        self.insert_rows(name, list(data.column_names), zip(*columns, strict=True))

    def insert_rows(self, name: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
        """Append rows already in SQLite form (the real-time path maps its DTOs straight to these)."""
        marks = ", ".join("?" for _ in columns)
        names = ", ".join(f'"{c}"' for c in columns)
        self.con.executemany(f'INSERT INTO "{name}" ({names}) VALUES ({marks})', rows)

    def refill(self, name: str, data: pa.Table) -> None:
        """Keep the table and its planned queries when only the rows change (once per request)."""
        if self.schemas.get(name) == {f.name: _kind(f.type) for f in data.schema}:
            self.clear(name)
            self.insert(name, data)
        else:
            self.register(name, data)

    def clear(self, name: str) -> None:
        self.con.execute(f'DELETE FROM "{name}"')

    def register_parquet(self, name: str, paths: list[Path]) -> None:
        tables = [pq.read_table(p) for p in paths]
        self.register(name, pa.concat_tables(tables) if len(tables) > 1 else tables[0])

    # -- queries ---------------------------------------------------------------------------------
    def _plan(self, sql: str) -> tuple[str, list[str] | None]:
        """(rewritten SQL, kind of each output column) — computed once per query text."""
        cached = self._plans.get(sql)
        if cached is not None:
            return cached
        if not self._schema_key:
            self._schema_key = repr(sorted((t, sorted(c.items())) for t, c in self.schemas.items()))
        shared_key = (sql, self._max_prefix if self._prefix_index else 0, self._schema_key)
        shared = _SHARED_PLANS.get(shared_key)
        if shared is not None:
            self._plans[sql] = shared
            return shared
        try:
            tree = sqlglot.parse_one(sql, read="sqlite")
        except SqlglotError as exc:
            raise RuleError(f"SQLite 查询无法解析 / cannot parse query for SQLite: {exc}") from exc
        kinds = self._annotate(tree)
        text = sql
        if self._prefix_index and self._max_prefix:
            rewritten = _PrefixRewrite(self._max_prefix)(tree.copy())
            text = rewritten.sql(dialect="sqlite")
        self._plans[sql] = (text, kinds)
        if len(_SHARED_PLANS) > 4096:
            _SHARED_PLANS.clear()
        _SHARED_PLANS[shared_key] = (text, kinds)
        return text, kinds

    def _annotate(self, tree: exp.Expr) -> list[str] | None:
        schema: dict[str, object] = {t: {c: _SQL_TYPES[k] for c, k in cols.items()}
                                     for t, cols in self.schemas.items()}
        try:
            typed = annotate_types(qualify(tree.copy(), schema=schema, dialect="sqlite",
                                           validate_qualify_columns=False, quote_identifiers=False),
                                   schema=schema, dialect="sqlite")
        except SqlglotError:
            return None
        if not isinstance(typed, exp.Query):
            return None
        kinds = []
        for sel in typed.selects:
            t = sel.type
            name = t.this.name if t is not None else "UNKNOWN"
            kinds.append(_ANNOTATED_KIND.get(name, "any"))
        return kinds

    def materialize(self, name: str, sql: str) -> None:
        text, kinds = self._plan(sql)
        if self._materialized.get(name) == text:
            # same relation again (the next request): refill in place; dropping and re-creating
            # would change the schema and make SQLite re-prepare every statement
            self.con.execute(f'DELETE FROM "{name}"')
            self.con.execute(f'INSERT INTO "{name}" {text}')
            return
        self.con.execute(f'DROP TABLE IF EXISTS "{name}"')
        self.con.execute(f'CREATE TABLE "{name}" AS {text}')
        self._materialized[name] = text
        cols = [r[1] for r in self.con.execute(f'PRAGMA table_info("{name}")').fetchall()]
        if kinds is None or len(kinds) != len(cols):
            kinds = ["any"] * len(cols)
        kinds_by_col = {c: (k if k != "any" else "str") for c, k in zip(cols, kinds, strict=True)}
        if self.schemas.get(name) != kinds_by_col:
            self.schemas[name] = kinds_by_col
            self._plans.clear()
            self._schema_key = ""

    def query(self, sql: str) -> pa.Table:
        text, kinds = self._plan(sql)
        cur = self.con.execute(text)
        names = [d[0] for d in cur.description]
        rows = cur.fetchall()
        if kinds is None or len(kinds) != len(names):
            kinds = ["any"] * len(names)
        if not rows:  # the common case in real time: most rules find nothing
            empty = self._empty.get(text)
            if empty is None:
                empty = pa.table([_from_kind(k, []) for k in kinds], names=names) if names else pa.table({})
                self._empty[text] = empty
            return empty
        columns = list(zip(*rows, strict=True))
        arrays = [_from_kind(k, list(col)) for k, col in zip(kinds, columns, strict=True)]
        return pa.table(arrays, names=names) if names else pa.table({})

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Plain rows, for callers that need no Arrow (the API's own bookkeeping queries)."""
        return self.con.execute(sql, params).fetchall()

    def close(self) -> None:
        self.con.close()
