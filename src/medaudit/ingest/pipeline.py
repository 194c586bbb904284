"""The ingest pipeline: discover files, validate in streaming batches, stage, check keys, write.

Two stages per table keep memory bounded at any input size:

1. *Row stage* (streaming): each batch of string columns is validated by one generated DuckDB query
   (``validate.build_plan``); good rows are appended to a staging Parquet file with ParquetWriter,
   bad rows to the table's quarantine.
2. *Key stage* (out of core, in DuckDB): duplicate primary keys (first occurrence wins) and missing
   parents (foreign keys against the already-written parent tables) over the staged rows; the
   survivors are streamed into the canonical Parquet file in source order.

Every row read ends up in exactly one of the output Parquet file or the quarantine CSV.
"""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from medaudit.errors import InputError
from medaudit.schema import SCHEMAS, TABLES
from medaudit.schema.values import lit, sql_datetime
from medaudit.settings import get_settings

from . import refcodes
from .mapping import (
    NATIONAL_TABLES,
    map_headers,
    match_header,
    norm_header,
    table_for_headers,
    table_for_name,
)
from .readers import (
    CSV_SUFFIXES,
    EXCEL_SUFFIXES,
    LINE,
    PARQUET_SUFFIXES,
    Batch,
    CsvReader,
    ExcelSheetReader,
    Junk,
    ParquetReader,
    Reader,
    excel_sheets,
)
from .validate import build_plan, q

ORD_SHIFT = 40  # __ord = source index << 40 | line: one sortable "where did this row come from"
ORDER = ("patients", "institutions", "staff", "encounters", "fee_lines", "diagnoses", "operations")
PARENTS = ("patients", "institutions", "encounters")
#: master data: a claim whose master row is missing or quarantined is still accepted and audited;
#: the gap is reported here and becomes a 数据质量类 finding (rule dq_master_missing)
MASTER = ("patients", "institutions")
#: what one row of a parent table is called in the cascade line
UNIT_ZH = {"patients": "名参保人", "institutions": "家机构", "encounters": "条就诊", "fee_lines": "条费用明细",
           "diagnoses": "条诊断", "operations": "条手术操作"}
_QUOTED = re.compile(r"'[^']*'")
_VALUE = re.compile(r"=[^,，;；)）'\s]+")
SETL_FIELDS = ("setl_id", "mdtrt_id", "init_setl_id", "setl_time", "medfee_sumamt", "fund_pay_sumamt",
               "psn_pay", "refd_setl_flag", "vali_flag")
SETL_MERGED = ("setl_id", "setl_time", "medfee_sumamt", "fund_pay_sumamt", "psn_pay")
PROGRESS_MIN_BYTES = 16 << 20
INGEST_MEMORY_LIMIT = "512MB"


@dataclass
class Cascade:
    """Rows of ``child`` whose ``parent`` row was quarantined (or never given)."""

    parent: str
    child: str
    parents_quarantined: int
    depending: int  # child rows whose parent row was quarantined
    missing: int  # child rows whose parent key appears nowhere in the input
    kept: bool  # True: the child rows were still accepted (master data); False: quarantined too

    def line(self) -> str:
        """One line naming the cascade, Chinese with figures then English."""
        pz, cz = UNIT_ZH.get(self.parent, "条"), UNIT_ZH.get(self.child, "条")
        fate = ("仍已接受并审核，缺口记为数据质量类疑点(dq_master_missing)" if self.kept else "随之被隔离")
        fate_en = "still accepted and audited (data-quality findings)" if self.kept else "quarantined with them"
        parts = []
        if self.parents_quarantined:
            parts.append(f"{self.parents_quarantined:,} {pz}被隔离 → {self.depending:,} {cz}依赖它们")
        if self.missing:
            parts.append(f"{self.missing:,} {cz}的{TABLES[self.parent].zh}不存在")
        return (f"{'；'.join(parts)}（{fate}） / {self.parents_quarantined:,} {self.parent} quarantined → "
                f"{self.depending:,} {self.child} depend on them, {self.missing:,} with no {self.parent} row; {fate_en}")


@dataclass
class TableReport:
    table: str
    read: int = 0
    accepted: int = 0
    quarantined: int = 0
    output: str | None = None
    quarantine: str | None = None
    sources: list[str] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    #: quarantine reason kinds (quoted values elided) -> rows
    reasons: dict[str, int] = field(default_factory=dict)
    cascades: list[Cascade] = field(default_factory=list)

    @property
    def share_quarantined(self) -> float:
        return self.quarantined / self.read if self.read else 0.0

    def top_reasons(self, n: int = 3) -> list[tuple[str, int]]:
        return sorted(self.reasons.items(), key=lambda kv: (-kv[1], kv[0]))[:n]

    def to_dict(self) -> dict[str, Any]:
        d = dict(self.__dict__)
        d["cascades"] = [{**c.__dict__, "line": c.line()} for c in self.cascades]
        d["top_reasons"] = self.top_reasons()
        return d


@dataclass
class IngestReport:
    out: Path
    tables: dict[str, TableReport]
    notices: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(t.read == t.accepted + t.quarantined for t in self.tables.values())

    def cascade_lines(self) -> list[str]:
        return [c.line() for t in self.tables.values() for c in t.cascades]

    def over_share(self, limit: float) -> list[TableReport]:
        """Tables with more than ``limit`` of their rows quarantined (a scheduled job must not pass)."""
        return [t for t in self.tables.values() if t.read and t.share_quarantined > limit]

    def to_dict(self) -> dict[str, Any]:
        return {"out": str(self.out), "tables": {k: v.to_dict() for k, v in self.tables.items()},
                "notices": self.notices, "skipped": self.skipped}


@dataclass
class _Item:
    """One source feeding one table: a reader plus how its batches become the table's relation."""

    reader: Reader
    label: str
    kind: str  # canonical table, or nat:<national table>
    source_sql: str = "SELECT * FROM chunk"
    headers: list[str] | None = None
    extra_checks: tuple[str, ...] = ()
    src_expr: str | None = None


class _Quarantine:
    """Rejected rows of one table: JSON lines while running, one CSV (UTF-8 with BOM) at the end."""

    def __init__(self, tmp: Path, table: str):
        self.path = tmp / f"q_{table}.jsonl"
        self.fh = self.path.open("w", encoding="utf-8")
        self.count = 0
        self.kinds: dict[str, int] = {}

    def add(self, reason: str, source: str, line: int, values: dict[str, Any]) -> None:
        self.fh.write(json.dumps({"r": reason, "f": source, "l": line, "v": values}, ensure_ascii=False))
        self.fh.write("\n")
        self.count += 1
        for part in reason.split("; "):
            kind = _VALUE.sub("=…", _QUOTED.sub("'…'", part))
            self.kinds[kind] = self.kinds.get(kind, 0) + 1

    def write_csv(self, dest: Path) -> None:
        self.fh.close()
        cols: dict[str, None] = {}
        with self.path.open(encoding="utf-8") as fh:
            for line in fh:
                for k in json.loads(line)["v"]:
                    cols.setdefault(k, None)
        names = [c for c in cols if c not in ("reason", "source_file", "source_line")]
        dest.parent.mkdir(parents=True, exist_ok=True)
        with dest.open("w", encoding="utf-8-sig", newline="") as out, self.path.open(encoding="utf-8") as fh:
            w = csv.writer(out)
            w.writerow(["reason", "source_file", "source_line", *names])
            for line in fh:
                rec = json.loads(line)
                v = rec["v"]
                w.writerow([rec["r"], rec["f"], rec["l"], *("" if v.get(n) is None else v.get(n) for n in names)])


class _Run:
    def __init__(self, out: Path, tmp: Path, progress: Any):
        self.out = out
        self.tmp = tmp
        self.progress = progress
        self.labels: list[str] = []
        s = get_settings()
        self.con = duckdb.connect(str(tmp / "ingest.duckdb"))
        # ingest holds only key sets and one batch at a time; a small limit makes DuckDB spill the
        # key stage's sort to disk instead of growing with the input
        limit = os.environ.get("MEDAUDIT_INGEST_MEMORY_LIMIT", INGEST_MEMORY_LIMIT)
        self.con.execute(f"SET memory_limit = {lit(limit)}")
        self.con.execute("SET preserve_insertion_order = true")
        self.con.execute(f"SET temp_directory = {lit(str(tmp / 'spill'))}")
        if s.threads:
            self.con.execute(f"SET threads = {int(s.threads)}")
        self.present: dict[str, bool] = {}
        self.fk_skip: set[str] = set()
        self.notices: list[str] = []
        self._refs_loaded = False

    def note_rejected(self, table: str, keys: pa.ChunkedArray | pa.Array) -> None:
        """Keys of quarantined parent rows, so children can be told "parent quarantined" from "missing"."""
        name = f"qkeys_{table}"
        self.con.execute(f"CREATE TABLE IF NOT EXISTS {name} (k VARCHAR)")
        self.con.register("_qk", pa.table({"k": pa.chunked_array(keys).cast(pa.string())}))
        self.con.execute(f"INSERT INTO {name} SELECT k FROM _qk WHERE k IS NOT NULL")
        self.con.unregister("_qk")

    def label_index(self, label: str) -> int:
        self.labels.append(label)
        return len(self.labels) - 1

    def load_refs(self) -> None:
        if self._refs_loaded:
            return
        for name, codes in (("ref_diag", refcodes.diagnosis_codes()), ("ref_oprn", refcodes.operation_codes())):
            tbl = pa.table({"code": sorted(codes)})
            self.con.register("_ref_tmp", tbl)
            self.con.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT code, upper(code) AS u FROM _ref_tmp")
            self.con.unregister("_ref_tmp")
        self._refs_loaded = True

    def batches(self, item: _Item) -> Iterator[Batch]:
        reader = item.reader
        if self.progress is not None and reader.size >= PROGRESS_MIN_BYTES:
            task = self.progress.add_task(item.label, total=reader.size)
            cb: Callable[[int], None] | None = lambda n: self.progress.advance(task, n)  # noqa: E731
        else:
            cb = None
        yield from reader.batches(cb)


# ------------------------------------------------------------------------------------ discovery


def _discover(src: Path, outs: list[Path], skipped: list[str]) -> list[Path]:
    """Input files under ``src``; every other file there is named in ``skipped`` with why."""
    if not src.exists():
        raise InputError(f"输入路径不存在 / input path does not exist: {src}")
    if src.is_file():
        return [src]
    known = CSV_SUFFIXES | EXCEL_SUFFIXES | PARQUET_SUFFIXES
    outs_r = [o.resolve() for o in outs]
    files = []
    for p in sorted(src.rglob("*")):
        if not p.is_file() or any(o == p.resolve() or o in p.resolve().parents for o in outs_r):
            continue
        rel = p.relative_to(src).as_posix()
        if p.name.startswith((".", "~$")):
            skipped.append(f"{rel}: 隐藏或临时文件 / hidden or temporary file")
        elif p.suffix.lower() not in known:
            skipped.append(f"{rel}: 不支持的文件类型 {p.suffix or '(无扩展名)'} / unsupported file type")
        else:
            files.append(p)
    return files


def _kind_table(kind: str) -> str:
    return NATIONAL_TABLES[kind[4:]] if kind.startswith("nat:") else kind


def _score(kind: str | None, row: list[str]) -> tuple[int, str | None]:
    """How many cells of a candidate header row name columns of ``kind`` (or of the best table)."""
    kinds = [kind] if kind else list(TABLES)
    best: tuple[int, str | None] = (0, None)
    for k in kinds:
        table = _kind_table(k)
        if table == "settlements":
            n = sum(1 for c in row if norm_header(c) in SETL_FIELDS)
        else:
            n = len({t.column for c in row if c and (t := match_header(table, c)) is not None})
        if n > best[0]:
            best = (n, k)
    return best


def _classify(path: Path, skipped: list[str]) -> list[_Item]:
    suffix = path.suffix.lower()
    named = table_for_name(path.name)
    if suffix in EXCEL_SUFFIXES:
        items = []
        for sheet, head in excel_sheets(path):
            kind = table_for_name(sheet) or named
            best: tuple[int, int, str | None, list[str]] = (0, 0, None, [])
            for r, row in head:
                n, k = _score(kind, row)
                if n > best[0]:
                    best = (n, r, k, row)
            n, r, k, row = best
            label = f"{path.name}#{sheet}"
            if k is None or n < (1 if kind else 2):
                skipped.append(f"{label}: 未识别表头 / no recognisable header")
                continue
            while row and not row[-1].strip():
                row = row[:-1]
            items.append(_Item(ExcelSheetReader(path, sheet, label, r, row), label, k))
        return items
    reader: Reader = ParquetReader(path, path.name) if suffix in PARQUET_SUFFIXES else CsvReader(path, path.name)
    kind = named or (table_for_headers(reader.headers) if reader.headers else None)
    if kind is None:
        why = reader.message or "无法从文件名或表头判断所属表 / cannot tell the table from name or headers"
        skipped.append(f"{path.name}: {why}")
        return []
    return [_Item(reader, path.name, kind)]


# ------------------------------------------------------------------------------------- stage 1


def _stage_schema(table: str) -> pa.Schema:
    return SCHEMAS[table].append(pa.field("__ord", pa.int64())).append(pa.field("__orig", pa.string()))


def _cast(tbl: pa.Table, schema: pa.Schema) -> pa.Table:
    cols = [tbl.column(f.name).cast(f.type, safe=False) if f.name in tbl.column_names
            else pa.nulls(tbl.num_rows, f.type) for f in schema]
    return pa.Table.from_arrays(cols, schema=schema)


def _nullable(schema: pa.Schema) -> pa.Schema:
    return pa.schema([f.with_nullable(True) for f in schema])


def _row_stage(run: _Run, table: str, items: list[_Item], rep: TableReport, quar: _Quarantine) -> Path:
    stage = run.tmp / f"stage_{table}.parquet"
    schema = _nullable(_stage_schema(table))
    writer = pq.ParquetWriter(stage, schema)
    try:
        for item in items:
            src = run.label_index(item.label)
            rep.sources.append(item.label)
            if item.reader.message:
                rep.messages.append(f"{item.label}: {item.reader.message}")
            headers = item.headers if item.headers is not None else item.reader.headers
            plan = build_plan(table, headers, src_expr=item.src_expr or str(src),
                              extra_checks=item.extra_checks, source_sql=item.source_sql)
            if plan.missing_required and headers:
                rep.messages.append(f"{item.label}: 缺少必填列 / missing required columns: "
                                    + ", ".join(plan.missing_required))
            for batch in run.batches(item):
                _junk(quar, rep, item.label, batch.junk)
                if batch.data.num_rows == 0:
                    continue
                rep.read += batch.data.num_rows
                run.con.register("chunk", trim_strings(batch.data))
                res = run.con.sql(plan.sql).to_arrow_table()
                run.con.unregister("chunk")
                bad = res.column("__reason").is_valid()
                good = res.filter(_not(bad))
                rejected = res.filter(bad)
                if good.num_rows:
                    ords = _ord(good)
                    good = good.append_column("__ord", ords)
                    writer.write_table(_cast(good, schema))
                if table in PARENTS and rejected.num_rows:
                    run.note_rejected(table, rejected.column(TABLES[table].key[0]))
                for rec in rejected.select(["__reason", "__src", "__line", "__orig"]).to_pylist():
                    values = json.loads(rec["__orig"]) if rec["__orig"] else {}
                    quar.add(rec["__reason"], run.labels[rec["__src"]], rec["__line"], values)
                    rep.quarantined += 1
    finally:
        writer.close()
    return stage


def trim_strings(tbl: pa.Table) -> pa.Table:
    """Trim Unicode whitespace (incl. full-width spaces and CR) from every string column, in Arrow C++."""
    import pyarrow.compute as pc

    for i, f in enumerate(tbl.schema):
        if pa.types.is_string(f.type):
            tbl = tbl.set_column(i, f, pc.utf8_trim_whitespace(tbl.column(i)))
    return tbl


def _not(mask: pa.ChunkedArray | pa.Array) -> Any:
    import pyarrow.compute as pc

    return pc.invert(mask)


def _ord(tbl: pa.Table) -> pa.Array:
    import pyarrow.compute as pc

    src = pc.shift_left(tbl.column("__src").cast(pa.int64()), ORD_SHIFT)
    return pc.add(src, tbl.column("__line").cast(pa.int64()))


def _junk(quar: _Quarantine, rep: TableReport, label: str, junk: list[Junk]) -> None:
    for j in junk:
        rep.read += 1
        rep.quarantined += 1
        quar.add(j.reason, label, j.line, {"raw_line": j.text})


# ------------------------------------------------------------------------------------- stage 2


def _key_expr(table: str, alias: str) -> str:
    key = TABLES[table].key
    if len(key) == 1:
        return f"CAST({alias}.{q(key[0])} AS VARCHAR)"
    return "concat_ws(chr(31), " + ", ".join(f"coalesce(CAST({alias}.{q(k)} AS VARCHAR), '')" for k in key) + ")"


#: table -> (code column, reference table, the national list, the rule that reports an unlisted code)
UNLISTED = {"diagnoses": ("diag_code", "ref_diag", "医保版ICD-10", "dq_diag_code"),
            "operations": ("oprn_code", "ref_oprn", "医保版ICD-9-CM-3", "dq_oprn_code")}


def _count_unlisted(run: _Run, table: str, rep: TableReport) -> None:
    """Say how many accepted rows carry a code the national list lacks: they are kept for the claim's
    audit (never quarantined), so without this line a region of local codes would pass unnoticed."""
    col, ref, what, rule = UNLISTED[table]
    row = run.con.execute(f"SELECT count(*), count(DISTINCT {q(col)}) FROM read_parquet({lit(str(rep.output))}) "
                          f"WHERE {q(col)} IS NOT NULL AND {q(col)} NOT IN (SELECT code FROM {ref})").fetchall()
    n, distinct = (int(row[0][0]), int(row[0][1])) if row else (0, 0)
    if n:
        rep.messages.append(f"{n:,} 行的代码（{distinct:,} 个）不在{what}代码表中，已保留并由规则 {rule} 报告 / "
                            f"{n:,} rows ({distinct:,} codes) not in the national list: kept, reported by {rule}")


def _key_stage(run: _Run, table: str, stage: Path, rep: TableReport, quar: _Quarantine) -> None:
    t = TABLES[table]
    out = run.out / f"{table}.parquet"
    con = run.con
    src = f"read_parquet({lit(str(stage))})"
    con.execute(f"CREATE OR REPLACE TEMP TABLE dupfirst AS SELECT k, min(__ord) AS first_ord FROM "
                f"(SELECT {_key_expr(table, 's')} AS k, __ord FROM {src} s) GROUP BY k HAVING count(*) > 1")
    joins, reasons, fks = [], [], []
    key_show = " || ', ' || ".join(f"{lit(k + '=')} || coalesce(CAST(s.{q(k)} AS VARCHAR), '')" for k in t.key)
    reasons.append(f"CASE WHEN d.k IS NOT NULL AND s.__ord <> d.first_ord THEN '主键重复(保留首条) / duplicate "
                   f"primary key, first kept: ' || {key_show} END")
    for i, (col, parent) in enumerate(t.foreign_keys.items()):
        if not run.present.get(parent) or parent in run.fk_skip:
            continue
        con.execute(f"CREATE TABLE IF NOT EXISTS qkeys_{parent} (k VARCHAR)")
        joins.append(f"LEFT JOIN keys_{parent} AS f{i} ON s.{q(col)} = f{i}.k "
                     f"LEFT JOIN (SELECT DISTINCT k FROM qkeys_{parent}) AS g{i} ON s.{q(col)} = g{i}.k")
        fks.append((i, col, parent))
        if parent in MASTER:
            continue  # the claim is kept and audited; dq_master_missing reports the gap
        pz = TABLES[parent].zh
        reasons.append(f"CASE WHEN s.{q(col)} IS NOT NULL AND f{i}.k IS NULL AND g{i}.k IS NOT NULL THEN "
                       f"{lit(t.column(col).zh + '(' + col + ')=' + chr(39))} || s.{q(col)} || "
                       f"{lit(chr(39) + ' 的' + pz + '记录已被隔离 / parent row quarantined in ' + parent)} "
                       f"WHEN s.{q(col)} IS NOT NULL AND f{i}.k IS NULL THEN "
                       f"{lit(t.column(col).zh + '(' + col + ')=' + chr(39))} || s.{q(col)} || "
                       f"{lit(chr(39) + ' 在' + pz + '表中不存在 / parent row missing in ' + parent)} END")
    if fks:
        counts = ", ".join(
            f"count(*) FILTER (WHERE s.{q(col)} IS NOT NULL AND f{i}.k IS NULL AND g{i}.k IS NOT NULL), "
            f"count(*) FILTER (WHERE s.{q(col)} IS NOT NULL AND f{i}.k IS NULL AND g{i}.k IS NULL)"
            for i, col, _ in fks)
        row = con.execute(f"SELECT {counts} FROM {src} s {' '.join(joins)}").fetchall()[0]
        for n, (_, _, parent) in enumerate(fks):
            depending, missing = int(row[2 * n]), int(row[2 * n + 1])
            if depending or missing:
                nq = con.execute(f"SELECT count(DISTINCT k) FROM qkeys_{parent} "
                                 f"WHERE k NOT IN (SELECT k FROM keys_{parent})").fetchall()[0][0]
                rep.cascades.append(Cascade(parent, table, int(nq), depending, missing, parent in MASTER))
    sql = (f"SELECT s.*, nullif(concat_ws('; ', {', '.join(reasons)}), '') AS __reason FROM {src} s "
           f"LEFT JOIN dupfirst d ON {_key_expr(table, 's')} = d.k {' '.join(joins)} ORDER BY s.__ord")
    schema = SCHEMAS[table]
    writer = pq.ParquetWriter(out, schema)
    mask = (1 << ORD_SHIFT) - 1
    try:
        reader = con.sql(sql).to_arrow_reader(65_536)
        for rb in reader:
            tbl = pa.Table.from_batches([rb])
            bad = tbl.column("__reason").is_valid()
            good = tbl.filter(_not(bad))
            if good.num_rows:
                writer.write_table(_cast(good.select(schema.names), schema))
                rep.accepted += good.num_rows
            for rec in tbl.filter(bad).select(["__reason", "__ord", "__orig"]).to_pylist():
                values = json.loads(rec["__orig"]) if rec["__orig"] else {}
                quar.add(rec["__reason"], run.labels[rec["__ord"] >> ORD_SHIFT], rec["__ord"] & mask, values)
                rep.quarantined += 1
    finally:
        writer.close()
    rep.output = str(out)
    if table in PARENTS:
        key = t.key[0]
        con.execute(f"CREATE OR REPLACE TABLE keys_{table} AS SELECT DISTINCT CAST({q(key)} AS VARCHAR) AS k "
                    f"FROM read_parquet({lit(str(out))})")


# --------------------------------------------------------------------------------- national join


def _load_settlements(run: _Run, items: list[_Item], rep: TableReport, quar: _Quarantine) -> None:
    """Pick, per mdtrt_id, the latest valid settlement; every other SETL_D row is quarantined with why.

    A settlement is unusable when ``vali_flag`` = 0, when it is itself a refund (``refd_setl_flag``
    = 1) or when a refund settlement reverses it (its setl_id is a refund's ``init_setl_id``).
    """
    con = run.con
    cols = ", ".join(f"{q(f)} VARCHAR" for f in SETL_FIELDS)
    con.execute(f"CREATE OR REPLACE TABLE setl_raw (__ord BIGINT, __orig VARCHAR, {cols})")
    for item in items:
        src = run.label_index(item.label)
        rep.sources.append(item.label)
        if item.reader.message:
            rep.messages.append(f"{item.label}: {item.reader.message}")
        by_norm = {norm_header(h): h for h in item.reader.headers}
        sel = ", ".join(
            (f"nullif(trim(c.{q(by_norm[f])}), '')" if f in by_norm else "CAST(NULL AS VARCHAR)") + f" AS {q(f)}"
            for f in SETL_FIELDS)
        orig = ("to_json(struct_pack(" + ", ".join(f"{q(h)} := c.{q(h)}" for h in item.reader.headers) + "))"
                if item.reader.headers else "'{}'")
        for batch in run.batches(item):
            _junk(quar, rep, item.label, batch.junk)
            if batch.data.num_rows == 0:
                continue
            rep.read += batch.data.num_rows
            con.register("chunk", batch.data)
            con.execute(f"INSERT INTO setl_raw SELECT ({src}::BIGINT << {ORD_SHIFT}) + c.__line, {orig}, {sel} FROM chunk c")
            con.unregister("chunk")
    con.execute(f"""
        CREATE OR REPLACE TABLE setl_status AS
        WITH p AS (SELECT *, {sql_datetime(q('setl_time'))} AS __t FROM setl_raw),
        rev AS (SELECT init_setl_id, min(setl_id) AS by_id FROM p
                WHERE refd_setl_flag = '1' AND init_setl_id IS NOT NULL GROUP BY init_setl_id),
        s AS (SELECT p.*, CASE
                WHEN mdtrt_id IS NULL THEN '缺少就诊ID(mdtrt_id) / missing mdtrt_id'
                WHEN vali_flag = '0' THEN '无效结算(vali_flag=0) / invalid settlement'
                WHEN refd_setl_flag = '1' THEN '退费/冲销结算(refd_setl_flag=1)，不作为就诊结算 / refund settlement'
                WHEN rev.by_id IS NOT NULL THEN '已被冲销结算 ' || rev.by_id || ' 冲销 / reversed by a refund settlement'
                WHEN __t IS NULL THEN '结算时间(setl_time)=''' || coalesce(setl_time, '') || ''' 无效 / invalid setl_time'
              END AS __why
              FROM p LEFT JOIN rev ON p.setl_id = rev.init_setl_id)
        SELECT *, CASE WHEN __why IS NULL THEN row_number() OVER
                  (PARTITION BY mdtrt_id, __why IS NULL ORDER BY __t DESC, __ord DESC) END AS __rank FROM s
    """)
    con.execute("""CREATE OR REPLACE TABLE setl_chosen AS
        SELECT mdtrt_id, setl_id, setl_time, medfee_sumamt, fund_pay_sumamt, psn_pay FROM setl_status WHERE __rank = 1""")
    mask = (1 << ORD_SHIFT) - 1
    rows = con.execute("""
        SELECT s.__ord, s.__orig, coalesce(s.__why, '非最新有效结算(已被结算 ' || coalesce(c.setl_id, '') ||
               ' 取代) / superseded by a later valid settlement') AS why
        FROM setl_status s LEFT JOIN setl_chosen c ON s.mdtrt_id = c.mdtrt_id
        WHERE s.__rank IS NULL OR s.__rank > 1 ORDER BY s.__ord""").fetchall()
    for ord_, orig, why in rows:
        quar.add(why, run.labels[ord_ >> ORD_SHIFT], ord_ & mask, json.loads(orig) if orig else {})
        rep.quarantined += 1
    rows_n = con.execute("SELECT count(*) FROM setl_chosen").fetchall()
    row = rows_n[0] if rows_n else None
    rep.accepted = int(row[0]) if row else 0


def _mdtrt_item(run: _Run, item: _Item, has_setl: bool) -> _Item:
    """MDTRT_D joined with its chosen settlement, as a source of encounters."""
    headers = item.reader.headers
    mapping = map_headers("encounters", headers)
    if "mdtrt_id" not in mapping:
        return _Item(item.reader, item.label, "encounters")
    mid = mapping["mdtrt_id"][0][0]
    kept = [h for h in headers if norm_header(h) not in SETL_MERGED]
    sel = ", ".join(f"c.{q(h)}" for h in kept)
    merged = ", ".join(f"s.{q(f)}" for f in SETL_MERGED)
    sql = (f"SELECT c.{q(LINE)}, {sel}, {merged}, (s.mdtrt_id IS NOT NULL) AS __has_setl FROM chunk c "
           f"LEFT JOIN setl_chosen s ON trim(c.{q(mid)}) = s.mdtrt_id")
    check = ("CASE WHEN NOT src.__has_setl THEN '无有效结算记录(SETL_D) / no valid settlement for this encounter' END"
             if has_setl else "CASE WHEN FALSE THEN '' END")
    return _Item(item.reader, item.label, "encounters", sql, [*kept, *SETL_MERGED], (check,))


class _RowsReader(Reader):
    """Batches produced by a DuckDB query (derived master data)."""

    def __init__(self, run: _Run, sql: str, headers: list[str]):
        self.run = run
        self.sql = sql
        self.headers = headers
        self.label = "derived"
        self.size = 0

    def batches(self, progress: Callable[[int], None] | None = None) -> Iterator[Batch]:
        # Fetched whole before yielding: the consumer registers chunks on the same DuckDB database,
        # which DuckDB refuses while a streaming result is open. These rows are encounter-scale
        # (derived master data, MDTRT_D joined to its settlement), not line-scale.
        table = self.run.con.cursor().sql(self.sql).to_arrow_table()
        for rb in table.to_batches(65_536):
            yield Batch(pa.Table.from_batches([rb]))


def _collect_people(run: _Run, mdtrt: list[_Item]) -> None:
    """Pre-pass over MDTRT_D: person and institution columns, for deriving master data."""
    con = run.con
    pcols = [c.name for c in TABLES["patients"].columns]
    icols = ["fixmedins_code", "fixmedins_name", "hosp_lv", "admdvs"]
    con.execute("CREATE OR REPLACE TABLE mdtrt_people (__ord BIGINT, med_type VARCHAR, "
                + ", ".join(f"{q('p_' + c)} VARCHAR" for c in pcols) + ", "
                + ", ".join(f"{q('i_' + c)} VARCHAR" for c in icols) + ")")
    for item in mdtrt:
        src = run.label_index(item.label)
        headers = item.reader.headers
        pm, im, em = map_headers("patients", headers), map_headers("institutions", headers), \
            map_headers("encounters", headers)

        def pick(m: dict[str, list[tuple[str, bool]]], c: str) -> str:
            hs = m.get(c)
            if not hs:
                return "CAST(NULL AS VARCHAR)"
            return "coalesce(" + ", ".join(f"nullif(trim(c.{q(h)}), '')" for h, _ in hs) + ")"

        sel = ", ".join([pick(em, "med_type")] + [pick(pm, c) for c in pcols] + [pick(im, c) for c in icols])
        for batch in item.reader.batches(None):
            if batch.data.num_rows == 0:
                continue
            con.register("chunk", batch.data)
            con.execute(f"INSERT INTO mdtrt_people SELECT ({src}::BIGINT << {ORD_SHIFT}) + c.__line, {sel} FROM chunk c")
            con.unregister("chunk")


def _derived_patients(run: _Run) -> _Item:
    cols = [c.name for c in TABLES["patients"].columns if c.name != "psn_no"]
    aggs = ", ".join(f"first({q('p_' + c)} ORDER BY {q('p_' + c)} IS NULL, __ord) AS {q(c)}" for c in cols)
    sql = (f"SELECT min(__ord) & {(1 << ORD_SHIFT) - 1} AS __line, min(__ord) >> {ORD_SHIFT} AS __src, "
           f"p_psn_no AS psn_no, {aggs} FROM mdtrt_people WHERE p_psn_no IS NOT NULL GROUP BY p_psn_no "
           f"ORDER BY min(__ord)")
    headers = ["psn_no", *cols]
    return _Item(_RowsReader(run, sql, headers), "MDTRT_D(派生参保人 / derived patients)", "patients",
                 src_expr="src.__src")


def _derived_institutions(run: _Run) -> _Item:
    sql = (f"SELECT min(__ord) & {(1 << ORD_SHIFT) - 1} AS __line, min(__ord) >> {ORD_SHIFT} AS __src, "
           "i_fixmedins_code AS fixmedins_code, first(i_fixmedins_name ORDER BY i_fixmedins_name IS NULL, __ord) "
           "AS fixmedins_name, first(i_hosp_lv ORDER BY i_hosp_lv IS NULL, __ord) AS hosp_lv, "
           "first(i_admdvs ORDER BY i_admdvs IS NULL, __ord) AS admdvs, "
           "CASE WHEN bool_and(coalesce(med_type, '') = '41') THEN 'pharmacy' ELSE 'hospital' END AS fixmedins_type "
           "FROM mdtrt_people WHERE i_fixmedins_code IS NOT NULL GROUP BY i_fixmedins_code ORDER BY min(__ord)")
    headers = ["fixmedins_code", "fixmedins_name", "hosp_lv", "admdvs", "fixmedins_type"]
    return _Item(_RowsReader(run, sql, headers), "MDTRT_D(派生机构 / derived institutions)", "institutions",
                 src_expr="src.__src")


# ----------------------------------------------------------------------------------------- entry


def _make_progress(enabled: bool | None) -> Any:
    if enabled is False or (enabled is None and not sys.stderr.isatty()):
        return None
    from rich.console import Console
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn

    return Progress(TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TransferSpeedColumn(),
                    console=Console(stderr=True), transient=True)


def ingest(src: Path, out: Path, *, progress: bool | None = None, exclude: Sequence[Path] = ()) -> IngestReport:
    """Read ``src`` (a file or folder), write canonical Parquet and quarantine CSVs under ``out``.

    ``exclude``: folders under ``src`` that are not input (the final place of an output being staged).
    A file that cannot be opened or decoded is named in ``report.skipped``; the rest still ingests.
    """
    src, out = Path(src), Path(out)
    skipped: list[str] = []
    files = _discover(src, [out, *exclude], skipped)
    out.mkdir(parents=True, exist_ok=True)
    qdir = out / "quarantine"
    items: list[_Item] = []
    for f in files:
        try:
            items.extend(_classify(f, skipped))
        except InputError as exc:
            skipped.append(f"{f.relative_to(src).as_posix() if f != src else f.name}: {exc}")
    if not items:
        raise InputError(f"在 {src} 中没有可识别的数据文件 / no recognisable data files in {src}"
                         + (f" ({'; '.join(skipped)})" if skipped else ""))
    by_kind: dict[str, list[_Item]] = {}
    for it in items:
        by_kind.setdefault(it.kind, []).append(it)

    refcodes.NOTICES.clear()
    tmp = Path(tempfile.mkdtemp(prefix="medaudit-ingest-", dir=out))
    bar = _make_progress(progress)
    run = _Run(out, tmp, bar)
    reports: dict[str, TableReport] = {}
    try:
        if bar is not None:
            bar.start()
        mdtrt = by_kind.get("nat:mdtrt_d", [])
        setl = by_kind.get("nat:setl_d", [])
        if setl or mdtrt:
            rep = TableReport("settlements")
            quar = _Quarantine(tmp, "settlements")
            _load_settlements(run, setl, rep, quar)
            rep.quarantine = str(qdir / "settlements.csv")
            rep.reasons = dict(quar.kinds)
            quar.write_csv(qdir / "settlements.csv")
            if setl:
                reports["settlements"] = rep
        if mdtrt and (not by_kind.get("patients") or not by_kind.get("institutions")):
            _collect_people(run, mdtrt)
        for table in ORDER:
            tbl_items = [it for it in items if it.kind == table or
                         (it.kind.startswith("nat:") and it.kind != "nat:mdtrt_d" and _kind_table(it.kind) == table)]
            if table == "patients" and not tbl_items and mdtrt:
                tbl_items = [_derived_patients(run)]
            if table == "institutions" and not tbl_items and mdtrt:
                tbl_items = [_derived_institutions(run)]
                run.fk_skip.add("institutions")
            if table == "encounters":
                tbl_items += [_mdtrt_item(run, it, bool(setl)) for it in mdtrt]
            if table in ("diagnoses", "operations") and tbl_items:
                run.load_refs()
            rep = TableReport(table)
            reports[table] = rep
            if not tbl_items:
                pq.write_table(SCHEMAS[table].empty_table(), out / f"{table}.parquet")
                rep.output = str(out / f"{table}.parquet")
                rep.messages.append("无输入 / no input")
                continue
            run.present[table] = True
            quar = _Quarantine(tmp, table)
            stage = _row_stage(run, table, tbl_items, rep, quar)
            _key_stage(run, table, stage, rep, quar)
            if table in UNLISTED:
                _count_unlisted(run, table, rep)
            rep.quarantine = str(qdir / f"{table}.csv")
            rep.reasons = dict(quar.kinds)
            quar.write_csv(qdir / f"{table}.csv")
    finally:
        if bar is not None:
            bar.stop()
        run.con.close()
        shutil.rmtree(tmp, ignore_errors=True)
    notices = list(refcodes.NOTICES)
    if "institutions" in run.fk_skip:
        notices.append("机构表由MDTRT_D派生，未做就诊→机构外键校验 / institutions derived from MDTRT_D; "
                       "encounter→institution key not checked")
    for table in ORDER:
        for parent in TABLES[table].foreign_keys.values():
            if run.present.get(table) and not run.present.get(parent) and parent != "institutions":
                notices.append(f"未提供{TABLES[parent].zh}({parent})数据，{table}的外键未校验 / no {parent} input; "
                               f"{table} foreign key not checked")
    return IngestReport(out, reports, notices, skipped)
