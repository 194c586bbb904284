"""Apache Spark: the scale-out engine, running the same transpiled rule SQL as DuckDB.

Spark is only worth its JVM when one machine is not enough (a province, the nation); the rules do
not change. Three things keep its findings identical to DuckDB's:

- timestamps are ``TIMESTAMP_NTZ`` and the session time zone is UTC, so a fee line's wall-clock
  time (and therefore its day number) is never shifted by the JVM's or the executor's zone;
- integer money stays ``bigint`` end to end (Arrow ``int64`` in, Arrow ``int64`` out);
- every rule query is *analysed* by Spark as soon as it is handed over, and an analysis error
  becomes a :class:`~medaudit.errors.RuleError` naming the template, before any data is scanned.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterable, Sequence
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Any, ClassVar

import pyarrow as pa

from medaudit.errors import MedauditError, RuleError
from medaudit.knowledge.tables import KB_TABLES

from .base import Backend

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession
    from pyspark.sql.types import DataType, StructType

    from medaudit.engine.runner import CompiledRuleSet

MIN_JAVA = 17

JAVA_MISSING = ("未找到 Java 17 或更高版本，Spark 引擎无法启动 / Java 17+ is required for Spark: "
                "apt-get install openjdk-17-jre-headless (or set JAVA_HOME)")
PYSPARK_MISSING = ("未安装 PySpark，Spark 引擎不可用 / PySpark is not installed: pip install 'medaudit[spark]'")

#: a URI scheme that pathlib collapsed ("hdfs://nn/x" → "hdfs:/nn/x"); restored before Spark sees it
_COLLAPSED_URI = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]+):/(?!/)")
_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]+://")
_PARAMS = re.compile(r"\bparams__(\w+)")

#: session settings the findings depend on (not tuning): set on our own and on borrowed sessions
SESSION_CONF: dict[str, str] = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.timestampType": "TIMESTAMP_NTZ",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    "spark.sql.parquet.inferTimestampNTZ.enabled": "true",
}


def java_version(java: str | None = None) -> int | None:
    """Major version of the Java that PySpark will launch (JAVA_HOME first, like spark-submit)."""
    if java is None:
        home = os.environ.get("JAVA_HOME")
        candidate = Path(home) / "bin" / "java" if home else None
        java = str(candidate) if candidate is not None and candidate.exists() else shutil.which("java")
    if not java:
        return None
    try:
        proc = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    match = re.search(r'version "(\d+)(?:\.(\d+))?', proc.stderr + proc.stdout)
    if not match:
        return None
    major = int(match.group(1))
    return int(match.group(2) or 0) if major == 1 else major  # "1.8.0_392" is Java 8


def require_java() -> None:
    version = java_version()
    if version is None or version < MIN_JAVA:
        found = "未找到 / not found" if version is None else f"Java {version}"
        raise MedauditError(f"{JAVA_MISSING}（当前 / found: {found}）")


def _import_pyspark() -> Any:
    try:
        import pyspark.sql
    except ImportError as exc:
        raise MedauditError(PYSPARK_MISSING) from exc
    return pyspark.sql


def spark_location(path: str | PurePath) -> str:
    """A location Spark can read on every executor: URIs pass through, local paths become absolute."""
    text = str(path) if isinstance(path, str) else path.as_posix()
    text = _COLLAPSED_URI.sub(r"\1://", text)
    if _URI.match(text):
        return text
    return Path(text).expanduser().resolve().as_uri()


def spark_type(t: pa.DataType) -> DataType:
    """Spark type for an Arrow type, pinning the choices that matter for identical findings."""
    from pyspark.sql import types as T

    if pa.types.is_timestamp(t):
        return T.TimestampType() if t.tz else T.TimestampNTZType()
    simple: list[tuple[Any, DataType]] = [
        (pa.types.is_boolean, T.BooleanType()), (pa.types.is_int8, T.ByteType()),
        (pa.types.is_int16, T.ShortType()), (pa.types.is_int32, T.IntegerType()),
        (pa.types.is_int64, T.LongType()), (pa.types.is_float32, T.FloatType()),
        (pa.types.is_float64, T.DoubleType()), (pa.types.is_date32, T.DateType()),
        (pa.types.is_string, T.StringType()), (pa.types.is_large_string, T.StringType()),
        (pa.types.is_binary, T.BinaryType()),
    ]
    for test, spark_t in simple:
        if test(t):
            return spark_t
    if pa.types.is_decimal(t):
        return T.DecimalType(t.precision, t.scale)
    if pa.types.is_dictionary(t):
        return spark_type(t.value_type)
    raise MedauditError(f"Spark 引擎不支持的列类型 / column type not supported on Spark: {t}")


def spark_schema(schema: pa.Schema) -> StructType:
    from pyspark.sql import types as T

    return T.StructType([T.StructField(f.name, spark_type(f.type), True) for f in schema])


def _conform_for_spark(data: pa.Table) -> pa.Table:
    """Arrow values Spark reads faithfully: timestamps in µs, dictionaries decoded, no empty batches."""
    cols = []
    for f, col in zip(data.schema, data.columns, strict=True):
        t = f.type
        if pa.types.is_dictionary(t):
            col, t = col.cast(t.value_type), t.value_type
        if pa.types.is_timestamp(t) and t.unit != "us":
            col = col.cast(pa.timestamp("us", t.tz))
        elif pa.types.is_large_string(t):
            col = col.cast(pa.string())
        cols.append(col)
    table = pa.Table.from_arrays(cols, names=data.column_names)
    # PySpark 4.3 silently drops every record batch after an empty one (pa.concat_tables of a table
    # with no rows makes one): hand it only non-empty batches.
    batches = [b for b in table.to_batches() if b.num_rows]
    return pa.Table.from_batches(batches, schema=table.schema)


def _is_small(name: str) -> bool:
    """Knowledge and parameter tables: small by contract, broadcast to every executor."""
    return name in KB_TABLES or name.startswith("params__")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:500] if text else type(exc).__name__


def _local_cores(master: str | None) -> int | None:
    """The cores of a ``local``/``local[N]``/``local[*]`` master (None for a cluster or no master)."""
    if master is None:
        master = "local[*]" if not os.environ.get("MASTER") else os.environ["MASTER"]
    m = re.fullmatch(r"local(?:\[(\*|\d+)(?:,\d+)?\])?", master.strip())
    if m is None:
        return None
    n = m.group(1)
    if n is None:  # bare "local": one thread
        return 1
    return (os.cpu_count() or 2) if n == "*" else max(int(n), 1)


class SparkBackend(Backend):
    """Spark SQL through PySpark: local mode for tests, a standalone/YARN cluster for a province."""

    dialect: ClassVar[str] = "spark"

    def __init__(self, master: str | None = None, app_name: str = "medaudit", spark: SparkSession | None = None,
                 conf: dict[str, str] | None = None, shuffle_partitions: int | None = None,
                 driver_memory: str | None = None, broadcast: Iterable[str] = (), cache: bool = True) -> None:
        """``cache=False`` leaves prepared relations as plain views: right when only one template runs
        (golden cases), wrong for a rule pack, where every template re-reads ``line_ctx``."""
        sql = _import_pyspark()
        self._own_session = spark is None
        if spark is None:
            # under spark-submit the JVM is already up and its --master/--conf are authoritative
            submitted = "PYSPARK_GATEWAY_PORT" in os.environ
            if not submitted:
                require_java()
            builder = sql.SparkSession.builder.appName(app_name)
            if master and not submitted:
                builder = builder.master(master)
            elif not submitted and not os.environ.get("MASTER") and "spark.master" not in (conf or {}):
                builder = builder.master("local[*]")
            # findings are collected to the driver as Arrow; 1g (Spark's default cap) is too small for a province
            settings: dict[str, str] = {"spark.ui.showConsoleProgress": "false",
                                        "spark.driver.maxResultSize": "4g", **SESSION_CONF}
            local = None if submitted else _local_cores(master or (conf or {}).get("spark.master"))
            if shuffle_partitions:
                settings["spark.sql.shuffle.partitions"] = str(int(shuffle_partitions))
            elif local is not None:
                # Spark's 200 shuffle partitions are sized for a cluster: on one machine every join and
                # window of every template pays 200 tasks (the CLI test ran 6 min for 56 templates)
                settings["spark.sql.shuffle.partitions"] = str(2 * local)
            if driver_memory:
                settings["spark.driver.memory"] = driver_memory
            settings.update(conf or {})
            for key, value in settings.items():
                builder = builder.config(key, value)
            try:
                spark = builder.getOrCreate()
            except Exception as exc:  # JVM launch failures arrive as bare RuntimeErrors
                raise MedauditError(f"Spark 会话启动失败 / cannot start Spark: {_first_line(exc)}") from exc
        else:
            for key, value in SESSION_CONF.items():
                spark.conf.set(key, value)
        self.spark: SparkSession = spark
        self._broadcast = set(broadcast)
        self._cache = cache
        self._views: set[str] = set()
        self._cached: dict[str, DataFrame] = {}

    # -- Backend -----------------------------------------------------------------------------------

    def register(self, name: str, data: pa.Table) -> None:
        data = _conform_for_spark(data)
        schema = spark_schema(data.schema)
        if _accepts_arrow():
            df = self.spark.createDataFrame(data, schema=schema)
        else:  # PySpark 3.5: through pandas (Arrow-enabled), types pinned by the schema
            df = self.spark.createDataFrame(data.to_pandas(), schema=schema)
        if name in self._broadcast or _is_small(name):
            from pyspark.sql.functions import broadcast

            df = broadcast(df)
        self._replace_view(name, df)

    def register_parquet(self, name: str, paths: Sequence[str | PurePath]) -> None:  # type: ignore[override]
        if not paths:
            raise MedauditError(f"表 {name} 没有 Parquet 文件 / no Parquet files for table {name}")
        locations = [spark_location(p) for p in paths]
        try:
            df = self.spark.read.parquet(*locations)
        except Exception as exc:
            raise MedauditError(f"无法读取 {name} 的 Parquet / cannot read Parquet for {name}: "
                                f"{_first_line(exc)}") from exc
        self._replace_view(name, df)

    def materialize(self, name: str, sql: str) -> None:
        from pyspark import StorageLevel

        df = self._analyse(sql, what=f"预处理 {name}")
        if self._cache:
            df = df.persist(StorageLevel.MEMORY_AND_DISK)
        self._replace_view(name, df, cached=self._cache)

    def query(self, sql: str) -> pa.Table:
        df = self._analyse(sql)
        if hasattr(df, "toArrow"):
            out = df.toArrow()
            return out if isinstance(out, pa.Table) else pa.table(out)
        return pa.Table.from_pandas(df.toPandas(), preserve_index=False)  # PySpark 3.5

    def close(self) -> None:
        for df in self._cached.values():
            df.unpersist()
        self._cached.clear()
        for view in self._views:
            self.spark.catalog.dropTempView(view)
        self._views.clear()
        if self._own_session:
            self.spark.stop()

    # -- load-time checks --------------------------------------------------------------------------

    def check_rules(self, compiled: CompiledRuleSet) -> None:
        """Analyse every prepared relation and template on empty tables, so an unsupported construct
        fails at load time with the template's name instead of halfway through a province's data."""
        from medaudit.engine.runner import load_claims, load_knowledge, load_params

        load_knowledge(self, None)
        load_params(self, compiled)
        load_claims(self, {})
        for name, sql in compiled.prepared:
            self._replace_view(name, self._analyse(sql, what=f"预处理 {name}"))
        for tid, sql in compiled.sql.items():
            self._analyse(sql, what=f"规则模板 {tid}")

    # -- helpers -----------------------------------------------------------------------------------

    def _analyse(self, sql: str, what: str | None = None) -> DataFrame:
        """``spark.sql`` parses and analyses eagerly; turn its errors into a RuleError naming the rule."""
        from pyspark.errors import AnalysisException, ParseException

        try:
            return self.spark.sql(sql)
        except (AnalysisException, ParseException) as exc:
            if what is None:
                m = _PARAMS.search(sql)
                what = f"规则模板 {m.group(1)}" if m else "规则SQL"
            raise RuleError(f"{what} 无法在 Spark 上分析 / cannot be analysed by Spark: {_first_line(exc)}") from exc

    def _replace_view(self, name: str, df: DataFrame, cached: bool = False) -> None:
        old = self._cached.pop(name, None)
        df.createOrReplaceTempView(name)
        self._views.add(name)
        if cached:
            self._cached[name] = df
        if old is not None:
            old.unpersist()


def _accepts_arrow() -> bool:
    """PySpark 4 builds DataFrames straight from Arrow tables; 3.5 needs pandas."""
    import pyspark

    return int(pyspark.__version__.split(".")[0]) >= 4
