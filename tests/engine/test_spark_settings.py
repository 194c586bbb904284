"""Spark session defaults that depend on where it runs (no JVM needed)."""

from __future__ import annotations

import os

import pytest

from medaudit.engine.backends.spark import _local_cores


@pytest.mark.parametrize(("master", "cores"), [
    ("local[2]", 2), ("local[4,2]", 4), ("spark://h:7077", None), ("yarn", None),
])
def test_local_masters_size_the_shuffle_to_the_machine(master: str, cores: int | None) -> None:
    assert _local_cores(master) == cores


def test_no_master_means_local_unless_the_environment_names_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MASTER", raising=False)
    assert _local_cores(None) == (os.cpu_count() or 2)
    assert _local_cores("local[*]") == (os.cpu_count() or 2)
    monkeypatch.setenv("MASTER", "spark://cluster:7077")
    assert _local_cores(None) is None
