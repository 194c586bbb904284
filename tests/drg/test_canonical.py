"""Grouping canonical tables through the engines: same rows from every engine, same groups."""

from __future__ import annotations

import pyarrow as pa
import pytest

from medaudit.drg.canonical import group_backend
from medaudit.drg.grouper import Grouper
from medaudit.engine.backends import get_backend
from medaudit.engine.runner import load_claims
from tests.drg.canonical_fixture import EXPECTED, tables


def _groups(engine: str, grouper: Grouper, **options: object) -> pa.Table:
    backend = get_backend(engine, **options)
    try:
        load_claims(backend, tables())
        return group_backend(backend, grouper)
    finally:
        backend.close()


def test_stays_are_read_as_documented(grouper: Grouper) -> None:
    g = _groups("duckdb", grouper)
    got = {r["mdtrt_id"]: (r["drg"], r["status"]) for r in g.to_pylist()}
    assert got == EXPECTED  # E7 is outpatient: not a stay
    rows = {r["mdtrt_id"]: r for r in g.to_pylist()}
    assert rows["E2"]["main_dx"] == "G45.000" and rows["E2"]["sec_dx"] == ["G41.000"]
    assert rows["E3"]["main_dx"] == "G45.000" and "N40.x00" not in rows["E3"]["sec_dx"]
    assert rows["E4"]["main_proc"] == "85.5300x001"
    assert rows["E5"]["reason_code"] == "missing_info" and rows["E6"]["reason"] == "诊断信息为空"
    assert rows["E1"]["fund_pay_fen"] == 700_000 and rows["E1"]["grouper_version"] == "CHS-DRG 1.1"


@pytest.mark.parametrize("engine", ["sqlite"])
def test_engines_agree(grouper: Grouper, engine: str) -> None:
    assert _groups(engine, grouper).to_pylist() == _groups("duckdb", grouper).to_pylist()

