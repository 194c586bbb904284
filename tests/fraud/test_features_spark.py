"""Every model's feature tables are the same on Spark (local) as on DuckDB: same SQL text, same rows.

One test for all models: the hand-made regions of the model tests merged into one region.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from medaudit.fraud.registry import all_models
from tests.fraud import test_cashout, test_institutions, test_phantom_stay, test_resale, test_ring
from tests.fraud.region import Region, features_of


def _merged() -> Region:
    out = Region()
    for mod in (test_resale, test_cashout, test_phantom_stay, test_ring, test_institutions):
        part = mod._region()[0]
        for name, rows in part.rows.items():
            # each part numbers its own ids: prefix them so the parts stay apart
            tag = mod.__name__.rsplit("_", 1)[-1][:2]
            for row in rows:
                out.rows[name].append({k: (f"{tag}{v}" if k in _IDS and v is not None else v) for k, v in row.items()})
    return out


_IDS = {"psn_no", "fixmedins_code", "mdtrt_id", "line_id"}


def _rows(t: pa.Table) -> list[tuple[Any, ...]]:
    cols = sorted(t.column_names)
    data = [t.column(c).to_pylist() for c in cols]
    rows = [tuple(round(v, 9) if isinstance(v, float) else v for v in r) for r in zip(*data, strict=True)]
    return sorted(rows, key=repr)


def test_feature_tables_identical_on_spark(spark: Any) -> None:
    region = _merged()
    problems = []
    models = list(all_models())
    duck_all, spark_all = features_of(region, models), features_of(region, models, "spark", spark)
    for mid in models:
        for name, table in duck_all[mid].items():
            other = spark_all[mid][name]
            if table.num_rows == 0 and mid != "suspicion_index":
                problems.append(f"{mid}.{name}: empty on DuckDB (the region should exercise it)")
            if table.schema != other.schema:
                problems.append(f"{mid}.{name}: schema {table.schema} != {other.schema}")
            elif _rows(table) != _rows(other):
                problems.append(f"{mid}.{name}: rows differ ({table.num_rows} vs {other.num_rows})")
    assert problems == [], "\n".join(problems)
