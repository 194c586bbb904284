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
import pytest

from medaudit.engine.backends.spark import SparkBackend, java_version, spark_location
from medaudit.engine.runner import CompiledRuleSet, audit
from medaudit.errors import RuleError
from medaudit.rules.loader import RuleBase, load_templates
from medaudit.rules.model import Instance, Template
from tests import golden_region
from tests.golden_region import Packing, Region

TEMPLATES = sorted(load_templates())


class _KB:
    def __init__(self, tables: dict[str, pa.Table]) -> None:
        self.tables = tables
        self.versions = {"golden": "1"}


def diff_findings(duck: pa.Table, spark: pa.Table, region: Region | None = None) -> list[str]:
    """Every difference between two findings tables, column by column, as readable lines."""
    return golden_region.diff_findings(duck, spark, ("DuckDB", "Spark"), region)


WORKERS = 3


@pytest.fixture(scope="module")
def golden_on_spark(spark: Any, golden_packing: Packing) -> list[pa.Table]:
    """Each golden region on Spark (one audit per region, each in its own session: own temp views,
    shared SparkContext), a few at a time, largest first."""
    order = sorted(range(len(golden_packing.regions)), key=lambda i: -len(golden_packing.regions[i].placed))

    def run(i: int) -> tuple[int, pa.Table]:
        r = golden_packing.regions[i]
        backend = SparkBackend(spark=spark.newSession(), cache=False)
        try:
            return i, audit(backend, r.claims, r.kb, r.rulebase)
        finally:
            backend.close()

    out: dict[int, pa.Table] = {}
    with ThreadPoolExecutor(WORKERS) as pool:
        for i, found in pool.map(run, order):
            out[i] = found
    return [out[i] for i in range(len(golden_packing.regions))]


@pytest.mark.parametrize("template_id", TEMPLATES)
def test_golden_cases_identical_on_spark(golden_packing: Packing, golden_on_spark: list[pa.Table],
                                         template_id: str) -> None:
    """Each golden case, found by Spark in its packed region, is exactly what DuckDB finds for the case
    alone (every column) and what the case expects; the template fires >= 20 times in all."""
    problems = golden_region.engine_problems(golden_packing, golden_on_spark, template_id, "Spark")
    assert problems == [], "\n".join(problems)
    fired = golden_packing.fired()[template_id]
    assert fired >= golden_region.MIN_FIRINGS, f"{template_id}: fires {fired} times in the golden region"


def test_golden_region_rows_identical_on_spark(golden_packing: Packing, golden_on_spark: list[pa.Table]) -> None:
    """Every row of every region, including other instances' findings on a case, agrees on Spark."""
    problems = [line for region, duck, other in zip(golden_packing.regions, golden_packing.duck, golden_on_spark,
                                                    strict=True)
                for line in diff_findings(duck, other, region)]
    assert problems == [], "\n".join(problems[:50])
    assert sum(t.num_rows for t in golden_on_spark) >= golden_region.MIN_FIRINGS * len(TEMPLATES)


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
