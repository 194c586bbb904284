"""One SparkSession per test session: the JVM takes seconds to start, every Spark test shares it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    from pyspark.sql import SparkSession

    from medaudit.engine.backends.spark import SESSION_CONF, require_java

    require_java()
    builder = (SparkSession.builder.master("local[2]").appName("medaudit-tests")
               .config("spark.sql.shuffle.partitions", "4")
               .config("spark.default.parallelism", "2")
               .config("spark.ui.enabled", "false")
               .config("spark.ui.showConsoleProgress", "false")
               .config("spark.driver.memory", "1g")
               .config("spark.sql.adaptive.enabled", "true"))
    for key, value in SESSION_CONF.items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture(scope="session")
def golden_packing() -> Any:
    """Every golden case packed into few regions (tests/golden_region.py), firing cases replicated so
    each template fires >= 20 times; DuckDB findings and each case alone computed once per session."""
    from tests.golden_region import MIN_FIRINGS, all_cases, pack_cases

    return pack_cases(all_cases(), MIN_FIRINGS)
