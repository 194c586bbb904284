"""Differential test: Spark (local[2]) must produce exactly DuckDB's findings, every column.

The same rule text runs on both engines (DESIGN.md); any difference — an amount, an evidence value's
type, a reason's wording, a missing or extra finding — is a portability bug that this test names.
"""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor
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


#: golden cases audited at once: a tiny query is mostly driver latency, so threads overlap well
WORKERS = 4


@pytest.fixture(scope="module")
def golden_runs(spark: Any) -> dict[str, list[tuple[str, pa.Table, pa.Table]]]:
    """Every golden case of every template on both engines, each Spark audit in its own session
    (``newSession``: own temp views, shared SparkContext), several at a time."""
    jobs = [(tid, case) for tid in TEMPLATES for case in load_cases(tid)]

    def run(job: tuple[str, Any]) -> tuple[str, str, pa.Table, pa.Table]:
        tid, case = job
        # one template per audit: prepared relations are read once, caching them would only cost
        on_duck, on_spark = run_both(spark.newSession(), case.claims, _KB(case.knowledge),
                                     case_rulebase(case), cache=False)
        return tid, case.name, on_duck, on_spark

    out: dict[str, list[tuple[str, pa.Table, pa.Table]]] = {tid: [] for tid in TEMPLATES}
    with ThreadPoolExecutor(WORKERS) as pool:
        for tid, name, on_duck, on_spark in pool.map(run, jobs):
            out[tid].append((name, on_duck, on_spark))
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
