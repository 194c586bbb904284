"""Rule SQL that cannot run faithfully on an engine is refused at load time, naming the construct."""

from __future__ import annotations

import pytest

from medaudit.engine.compile import compile_sql, compile_template
from medaudit.errors import RuleError
from medaudit.rules.loader import load_templates


@pytest.mark.parametrize(("sql", "construct"), [
    ("SELECT EXTRACT(YEAR FROM fee_ocur_time) FROM line_ctx", "Extract"),
    ("SELECT ARRAY_AGG(line_id) FROM line_ctx", "ArrayAgg"),
    ("SELECT fee_ocur_time + INTERVAL 3 DAY FROM line_ctx", "Interval"),
    ("SELECT MEDIAN(amt_fen) FROM line_ctx", "Median"),
])
def test_unfaithful_constructs_are_refused_for_sqlite(sql: str, construct: str) -> None:
    with pytest.raises(RuleError, match=construct):
        compile_sql(sql, "sqlite", what="测试规则")


def test_median_refused_for_spark_but_fine_for_duckdb() -> None:
    with pytest.raises(RuleError, match="Median"):
        compile_sql("SELECT MEDIAN(amt_fen) FROM line_ctx", "spark")
    assert "MEDIAN" in compile_sql("SELECT MEDIAN(amt_fen) FROM line_ctx", "duckdb").upper()


def test_params_table_is_renamed_per_template() -> None:
    tpl = load_templates()["split_admission"]
    sql = compile_template(tpl, "sqlite")
    assert "params__split_admission" in sql
    assert " params " not in sql.replace("(", " ").replace(")", " ")


@pytest.mark.parametrize("dialect", ["sqlite", "spark"])
def test_every_template_compiles(dialect: str) -> None:
    for tid, tpl in load_templates().items():
        assert compile_template(tpl, dialect), tid
