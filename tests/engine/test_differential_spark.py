"""Differential test: Spark (local[2]) must produce exactly DuckDB's findings, every column.

The same rule text runs on both engines (DESIGN.md); any difference — an amount, an evidence value's
type, a reason's wording, a missing or extra finding — is a portability bug that this test names.
"""

from __future__ import annotations

import datetime as dt
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from medaudit.engine.backends import get_backend
from medaudit.engine.backends.spark import SparkBackend, java_version, spark_location
from medaudit.engine.runner import CompiledRuleSet, audit
from medaudit.errors import RuleError
from medaudit.rules.golden import case_rulebase, load_cases
from medaudit.rules.loader import RuleBase, load_rulebase, load_templates
from medaudit.rules.model import Instance, Template

TEMPLATES = sorted(load_templates())


class _KB:
    def __init__(self, tables: dict[str, pa.Table]) -> None:
        self.tables = tables
        self.versions = {"golden": "1"}


def _key(row: dict[str, Any]) -> tuple[str, ...]:
    return (row["rule_id"], row["finding_id"])


def diff_findings(duck: pa.Table, spark: pa.Table) -> list[str]:
    """Every difference between two findings tables, column by column, as readable lines."""
    problems: list[str] = []
    if duck.schema != spark.schema:
        problems.append(f"schema differs: {duck.schema} vs {spark.schema}")
    d = {_key(r): r for r in duck.to_pylist()}
    s = {_key(r): r for r in spark.to_pylist()}
    problems += [f"only on DuckDB: {k} {d[k]['reason']}" for k in sorted(set(d) - set(s))]
    problems += [f"only on Spark: {k} {s[k]['reason']}" for k in sorted(set(s) - set(d))]
    for k in sorted(set(d) & set(s)):
        for col, value in d[k].items():
            if value != s[k][col] or type(value) is not type(s[k][col]):
                problems.append(f"{k} {col}: DuckDB {value!r} != Spark {s[k][col]!r}")
    return problems


def run_both(spark: Any, claims: dict[str, Any], kb: Any, rulebase: RuleBase,
             cache: bool = True) -> tuple[pa.Table, pa.Table]:
    duck = get_backend("duckdb")
    try:
        on_duck = audit(duck, claims, kb, rulebase)
    finally:
        duck.close()
    backend = SparkBackend(spark=spark, cache=cache)
    try:
        on_spark = audit(backend, claims, kb, rulebase)
    finally:
        backend.close()
    return on_duck, on_spark


#: identifiers that tie one golden case's rows together (made unique per case when cases are batched)
_ID_COLUMNS = ("psn_no", "fixmedins_code", "mdtrt_id", "line_id", "init_line_id", "staff_code", "bilg_dr_code",
               "chfpdr_code", "oper_dr_code", "setl_id", "drug_trac_codg", "certno")
_PREFIX = re.compile(r"\bg\d+_")
WORKERS = 3


def _prefixed(table: pa.Table, prefix: str) -> pa.Table:
    for i, name in enumerate(table.column_names):
        if name in _ID_COLUMNS:
            col = table.column(i)
            values = [None if v is None else f"{prefix}{v}" for v in col.to_pylist()]
            table = table.set_column(i, table.field(i), pa.array(values, col.type))
    return table


def _normalized(findings: pa.Table) -> list[str]:
    """Findings without batch prefixes and ids (ids hash the prefixed encounter), order-free."""
    rows = []
    for row in findings.to_pylist():
        row.pop("finding_id")
        rows.append(repr({k: _PREFIX.sub("", v) if isinstance(v, str) else v for k, v in row.items()}))
    return sorted(rows)


def _duck(claims: dict[str, Any], kb: Any, rulebase: RuleBase) -> pa.Table:
    backend = get_backend("duckdb")
    try:
        return audit(backend, claims, kb, rulebase)
    finally:
        backend.close()


@dataclass
class Batch:
    """Golden cases of one template sharing knowledge and parameters, audited as one claims set."""

    template: str
    names: list[str]
    claims: dict[str, pa.Table]
    kb: Any
    rulebase: RuleBase


def _merged(cases: list[Any]) -> Batch | None:
    """The cases side by side, or None when their knowledge rows disagree on a key (not a valid pack)."""
    from medaudit.knowledge.tables import KB_TABLES

    claims = {name: pa.concat_tables([_prefixed(c.claims[name], f"g{i}_") for i, c in enumerate(cases)])
              for name in cases[0].claims}
    knowledge: dict[str, pa.Table] = {}
    for name in sorted({n for c in cases for n in c.knowledge}):
        by_key: dict[tuple[Any, ...], dict[str, Any]] = {}
        for c in cases:
            for row in c.knowledge[name].to_pylist() if name in c.knowledge else []:
                key = tuple(row[k] for k in KB_TABLES[name].key)
                if by_key.setdefault(key, row) != row:
                    return None
        schema = next(c.knowledge[name].schema for c in cases if name in c.knowledge)
        knowledge[name] = pa.Table.from_pylist(list(by_key.values()), schema=schema)
    return Batch(cases[0].template, [c.name for c in cases], claims, _KB(knowledge), case_rulebase(cases[0]))


def _single(case: Any) -> Batch:
    return Batch(case.template, [case.name], case.claims, _KB(case.knowledge), case_rulebase(case))


def _faithful(batch: Batch, cases: list[Any]) -> bool:
    """DuckDB finds exactly the union of the cases' own findings in the batch."""
    alone = sorted(r for c in cases for r in _normalized(_duck(c.claims, _KB(c.knowledge), case_rulebase(c))))
    return _normalized(_duck(batch.claims, batch.kb, batch.rulebase)) == alone


def golden_batches(template_id: str) -> list[Batch]:
    """A Spark audit of tiny data costs ~1 s of fixed work, so golden cases share audits where they can.

    Cases with the same parameters are put side by side (identifiers prefixed per case, knowledge
    rows pooled). A batch is kept only if DuckDB gives exactly the union of the cases' own findings;
    otherwise cases with identical knowledge are tried together, and failing that each runs alone.
    """
    by_params: dict[str, list[Any]] = {}
    for case in load_cases(template_id):
        by_params.setdefault(repr(sorted(case.params.items())), []).append(case)
    batches: list[Batch] = []
    for cases in by_params.values():
        whole = _merged(cases) if len(cases) > 1 else None
        if whole is not None and _faithful(whole, cases):
            batches.append(whole)
            continue
        by_kb: dict[str, list[Any]] = {}
        for c in cases:
            by_kb.setdefault(repr(sorted((n, t.to_pylist()) for n, t in c.knowledge.items())), []).append(c)
        for group in by_kb.values():
            same = _merged(group) if len(group) > 1 else None
            if same is not None and _faithful(same, group):
                batches.append(same)
            else:
                batches += [_single(c) for c in group]
    return batches


@pytest.fixture(scope="module")
def golden_runs(spark: Any) -> dict[str, list[tuple[str, pa.Table, pa.Table]]]:
    """Every golden case of every template on both engines, each Spark audit in its own session
    (``newSession``: own temp views, shared SparkContext), a few at a time."""
    batches = [b for tid in TEMPLATES for b in golden_batches(tid)]

    def run(batch: Batch) -> tuple[Batch, pa.Table, pa.Table]:
        # one template per audit: prepared relations are read once, caching them would only cost
        on_duck, on_spark = run_both(spark.newSession(), batch.claims, batch.kb, batch.rulebase, cache=False)
        return batch, on_duck, on_spark

    out: dict[str, list[tuple[str, pa.Table, pa.Table]]] = {tid: [] for tid in TEMPLATES}
    with ThreadPoolExecutor(WORKERS) as pool:
        for batch, on_duck, on_spark in pool.map(run, batches):
            out[batch.template].append((" + ".join(batch.names), on_duck, on_spark))
    return out


@pytest.mark.parametrize("template_id", TEMPLATES)
def test_golden_cases_identical_on_spark(golden_runs: dict[str, list[tuple[str, pa.Table, pa.Table]]],
                                         template_id: str) -> None:
    runs = golden_runs[template_id]
    assert runs, f"{template_id}: no golden cases"
    for name, on_duck, on_spark in runs:
        problems = diff_findings(on_duck, on_spark)
        assert problems == [], f"{template_id} / {name}: {problems}"
    assert sum(d.num_rows for _, d, _ in runs) > 0, f"{template_id}: golden cases fired on neither engine"


def test_every_template_is_analysable_by_spark(spark: Any) -> None:
    """Load-time check: each template's Spark SQL passes Spark's analyser on empty tables."""
    rulebase = RuleBase(load_templates(), {t: Instance(id=t, template=t) for t in TEMPLATES}, {})
    compiled = CompiledRuleSet.build(rulebase, "spark")
    assert sorted(compiled.sql) == TEMPLATES
    backend = SparkBackend(spark=spark)
    try:
        backend.check_rules(compiled)
    finally:
        backend.close()


def test_analysis_error_names_the_template(spark: Any) -> None:
    """A template that sqlglot transpiles but Spark cannot analyse fails before any data is read."""
    base = load_templates()["split_admission"]
    broken = Template(**{**base.model_dump(), "id": "broken_tpl",
                         "sql": base.sql.replace("b.fund_pay_fen AS amount_fen", "b.no_such_col AS amount_fen")})
    rulebase = RuleBase({"broken_tpl": broken}, {"broken_tpl": Instance(id="broken_tpl", template="broken_tpl")}, {})
    compiled = CompiledRuleSet.build(rulebase, "spark")
    backend = SparkBackend(spark=spark)
    try:
        with pytest.raises(RuleError, match="broken_tpl"):
            backend.check_rules(compiled)
    finally:
        backend.close()


def test_region_on_parquet_identical(spark: Any, tmp_path: Path) -> None:
    """A generated region-month, read from Parquet by both engines, audited with the whole national pack."""
    claims, kb = _region()
    paths: dict[str, Any] = {}
    for name, table in claims.items():
        file = tmp_path / f"{name}.parquet"
        pq.write_table(table, file)
        paths[name] = [file]
    rulebase = load_rulebase()
    on_duck, on_spark = run_both(spark, paths, kb, rulebase)
    assert on_duck.num_rows > 0, "the generated region produced no findings: the comparison would be empty"
    assert len(set(on_duck["rule_id"].to_pylist())) >= 10, "too few templates fired to compare engines"
    assert diff_findings(on_duck, on_spark) == []
    assert sum(on_duck["amount_fen"].to_pylist()) == sum(on_spark["amount_fen"].to_pylist())


def test_timestamps_round_trip_exactly(spark: Any) -> None:
    """Wall-clock times near midnight keep their day on Spark (no time-zone shift)."""
    times = [dt.datetime(2025, 3, 1, 23, 59, 59), dt.datetime(2025, 3, 2, 0, 0, 0), None]
    table = pa.table({"t": pa.array(times, pa.timestamp("s")), "fen": pa.array([1, 2**40, None], pa.int64()),
                      "d": pa.array([dt.date(2024, 2, 29), None, dt.date(2000, 1, 1)], pa.date32())})
    backend = SparkBackend(spark=spark)
    try:
        backend.register("tz_probe", table)
        out = backend.query("SELECT t, fen, d, CAST(t AS DATE) AS day FROM tz_probe ORDER BY fen NULLS LAST")
    finally:
        backend.close()
    assert out.schema.field("fen").type == pa.int64()
    assert out.schema.field("d").type == pa.date32()
    assert out["t"].to_pylist() == times
    assert out["fen"].to_pylist() == [1, 2**40, None]
    assert out["day"].to_pylist() == [dt.date(2025, 3, 1), dt.date(2025, 3, 2), None]


def test_chunked_tables_keep_every_row(spark: Any) -> None:
    """PySpark 4.3 drops the batches after an empty one; a concatenated claims table must arrive whole."""
    part = pa.table({"line_id": pa.array(["L1", "L2"]), "amt_fen": pa.array([1, 2], pa.int64())})
    table = pa.concat_tables([part, part.slice(0, 0), part])
    backend = SparkBackend(spark=spark)
    try:
        backend.register("chunked_probe", table)
        out = backend.query("SELECT COUNT(*) AS n, SUM(amt_fen) AS s FROM chunked_probe")
    finally:
        backend.close()
    assert out.to_pylist() == [{"n": 4, "s": 6}]


def test_locations_for_spark(tmp_path: Path) -> None:
    assert spark_location("hdfs://nn:8020/claims/2025-03") == "hdfs://nn:8020/claims/2025-03"
    assert spark_location(Path("s3a://bucket/fee_lines")) == "s3a://bucket/fee_lines"
    assert spark_location(tmp_path / "x.parquet") == (tmp_path / "x.parquet").as_uri()
    assert (java_version() or 0) >= 17


def _region() -> tuple[dict[str, pa.Table], Any]:
    """~200 insured × 1 month from the synthetic generator, violations injected at a high rate."""
    from medaudit.knowledge import default_knowledge
    from medaudit.synth import SCHEMES, SynthConfig, generate

    kb = default_knowledge()
    result = generate(SynthConfig(patients=200, months=1, seed=7, rates=dict.fromkeys(SCHEMES, 0.5),
                                  knowledge=dict(kb.tables)))
    return result.tables, kb


def test_old_or_missing_java_is_a_plain_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No JVM stack trace: an old or absent Java is reported with the package to install."""
    from medaudit.engine.backends.spark import require_java
    from medaudit.errors import MedauditError

    java = tmp_path / "bin" / "java"
    java.parent.mkdir()
    java.write_text('#!/bin/sh\necho \'openjdk version "11.0.22" 2024-01-16\' >&2\n', encoding="utf-8")
    java.chmod(0o755)
    monkeypatch.setenv("JAVA_HOME", str(tmp_path))
    assert java_version() == 11
    with pytest.raises(MedauditError, match="openjdk-17-jre-headless"):
        require_java()
    monkeypatch.setenv("JAVA_HOME", str(tmp_path / "nowhere"))
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(MedauditError, match="Java 17"):
        require_java()
