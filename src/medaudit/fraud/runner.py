"""Running fraud models on an engine: the canonical tables and prepared relations the rules use,
then each model's feature SQL (transpiled like rule SQL), then its Python scoring.

Feature SQL reads ``enc_ctx``, ``line_ctx`` and ``trace_boxes`` (engine/prepare.py), so a model sees
the same netted lines and day numbers as the rules, on DuckDB and on Spark alike.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa

from medaudit.engine.backends import Backend, get_backend
from medaudit.engine.compile import compile_sql
from medaudit.engine.prepare import PREPARED, derive_tables
from medaudit.engine.runner import KnowledgeLike, load_claims, load_knowledge

from .model import CLUES_SCHEMA, ScoringContext, clues_table
from .registry import FraudPack, all_models, load_fraud_pack

ProgressFn = Callable[[str, int], Any]


def feature_table(model_id: str, name: str) -> str:
    return f"feat__{model_id}__{name}"


def _rename(model_id: str) -> dict[str, str]:
    """Feature SQL names its own earlier features by short name; the engine holds them namespaced."""
    return {name: feature_table(model_id, name) for name, _ in all_models()[model_id].features}


def prepare_claims(backend: Backend, claims: Mapping[str, pa.Table | list[Path]], kb: KnowledgeLike | None) -> None:
    load_knowledge(backend, kb)
    load_claims(backend, claims)
    derive_tables(backend)
    for name, sql in PREPARED:
        backend.materialize(name, compile_sql(sql, backend.dialect, what=f"预处理 {name}"))


def compute_features(backend: Backend, model_id: str) -> dict[str, pa.Table]:
    """Materialise a model's features in order and return each as an Arrow table."""
    cls = all_models()[model_id]
    rename = _rename(model_id)
    out: dict[str, pa.Table] = {}
    for name, sql in cls.features:
        compiled = compile_sql(sql, backend.dialect, rename, what=f"反欺诈模型 {model_id} 特征 {name}")
        table = feature_table(model_id, name)
        backend.materialize(table, compiled)
        out[name] = conform(backend.query(f"SELECT * FROM {table}"))
    return out


def conform(table: pa.Table) -> pa.Table:
    """Engine-neutral feature types: every column nullable, integers as int64, floats as float64.

    Engines disagree on both (Spark marks COUNT not-null and returns HOUR as int32, DuckDB returns
    BIGINT); the scoring reads values, and the differential test compares tables, so both see one form.
    """
    fields = []
    for f in table.schema:
        t = f.type
        if pa.types.is_integer(t):
            t = pa.int64()
        elif pa.types.is_floating(t) or pa.types.is_decimal(t):
            t = pa.float64()
        fields.append(pa.field(f.name, t, nullable=True))
    return table.cast(pa.schema(fields))


@dataclass
class DetectResult:
    clues: pa.Table
    seconds: dict[str, float] = field(default_factory=dict)
    features: dict[str, int] = field(default_factory=dict)


def detect(backend: Backend, claims: Mapping[str, pa.Table | list[Path]], kb: KnowledgeLike | None,
           pack: FraudPack | None = None, model_ids: list[str] | None = None, findings: pa.Table | None = None,
           progress: ProgressFn | None = None, prepared: bool = False) -> DetectResult:
    """All active models on one backend; ``prepared=True`` when the rules already prepared it."""
    pack = pack or load_fraud_pack()
    if not prepared:
        prepare_claims(backend, claims, kb)
    parts: list[pa.Table] = []
    result = DetectResult(CLUES_SCHEMA.empty_table())
    models = all_models()
    for mid in pack.active(model_ids):
        start = time.perf_counter()
        cls = models[mid]
        feats = compute_features(backend, mid)
        so_far = pa.concat_tables(parts) if parts else CLUES_SCHEMA.empty_table()
        clues = cls().score(feats, pack.params(mid), ScoringContext(findings=findings, clues=so_far))
        table = clues_table(cls.spec, pack.version_label, clues)
        parts.append(table)
        result.seconds[mid] = round(time.perf_counter() - start, 3)
        result.features[mid] = sum(t.num_rows for t in feats.values())
        if progress:
            progress(mid, table.num_rows)
    result.clues = pa.concat_tables(parts) if parts else CLUES_SCHEMA.empty_table()
    return result


def run_detect(folder: str, kb: KnowledgeLike | None, pack: FraudPack | None = None, engine: str = "duckdb",
               model_ids: list[str] | None = None, findings: pa.Table | None = None,
               progress: ProgressFn | None = None, **engine_options: object) -> DetectResult:
    from medaudit.engine.batch import canonical_inputs
    from medaudit.errors import InputError

    inputs = canonical_inputs(folder)
    for required in ("encounters", "fee_lines"):
        if required not in inputs:
            raise InputError(f"输入目录缺少 {required}.parquet / missing canonical table {required} in {folder}")
    backend = get_backend(engine, **engine_options)
    try:
        return detect(backend, inputs, kb, pack, model_ids, findings, progress)
    finally:
        backend.close()
