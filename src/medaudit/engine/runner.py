"""Running a rule base on an engine: load, prepare, run each template once, explain the results.

The same sequence serves batch (DuckDB), real time (SQLite) and scale-out (Spark); only the
backend differs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import pyarrow as pa

from medaudit.engine.backends.base import Backend
from medaudit.engine.compile import compile_sql, compile_template, params_table
from medaudit.engine.findings import Citer, empty_findings, finalize, with_staff
from medaudit.engine.prepare import FINDING_STAFF, PREPARED, TRACE_BOXES_SCHEMA, derive_tables
from medaudit.knowledge.tables import KB_TABLES
from medaudit.rules.loader import RuleBase, check_columns
from medaudit.rules.model import Instance, Template
from medaudit.schema import SCHEMAS
from medaudit.schema.arrow import arrow_schema

_PARAM_TYPES = {"int": pa.int64(), "str": pa.string(), "bool": pa.bool_()}


class KnowledgeLike(Protocol):
    @property
    def tables(self) -> Mapping[str, pa.Table]: ...

    @property
    def versions(self) -> Mapping[str, str]: ...


def params_arrow(template: Template, instances: list[Instance]) -> pa.Table:
    """One row per instance with every declared parameter (instance value or template default)."""
    cols: dict[str, pa.Array] = {"instance_id": pa.array([i.id for i in instances], pa.string())}
    for spec in template.params:
        cols[spec.name] = pa.array([i.params.get(spec.name, spec.default) for i in instances],
                                   _PARAM_TYPES[spec.type])
    return pa.table(cols)


@dataclass
class CompiledRuleSet:
    """Templates compiled for one dialect, once (real-time workers reuse it for every request)."""

    dialect: str
    rulebase: RuleBase
    active: dict[str, list[Instance]]
    sql: dict[str, str] = field(default_factory=dict)
    prepared: list[tuple[str, str]] = field(default_factory=list)

    @classmethod
    def build(cls, rulebase: RuleBase, dialect: str, template_ids: list[str] | None = None) -> CompiledRuleSet:
        active = rulebase.active(template_ids)
        sql = {tid: compile_template(rulebase.templates[tid], dialect) for tid in active}
        prepared = [(name, compile_sql(q, dialect, what=f"预处理 {name}")) for name, q in PREPARED]
        return cls(dialect, rulebase, active, sql, prepared)


def load_knowledge(backend: Backend, kb: KnowledgeLike | None) -> None:
    tables = kb.tables if kb is not None else {}
    for name, spec in KB_TABLES.items():
        data = tables.get(name)
        backend.register(name, data if data is not None else arrow_schema(spec).empty_table())


def load_params(backend: Backend, compiled: CompiledRuleSet) -> None:
    for tid, insts in compiled.active.items():
        backend.register(params_table(tid), params_arrow(compiled.rulebase.templates[tid], insts))


def load_claims(backend: Backend, claims: Mapping[str, pa.Table | list[Path]]) -> None:
    """Register canonical tables; absent ones are registered empty so every rule can run."""
    for name, schema in SCHEMAS.items():
        data = claims.get(name)
        if data is None:
            backend.register(name, schema.empty_table())
        elif isinstance(data, pa.Table):
            backend.register(name, data)
        else:
            backend.register_parquet(name, data)
    # derived from fee_lines by prepare(); registered empty now so every query can be planned
    backend.register("trace_boxes", TRACE_BOXES_SCHEMA.empty_table())
    from medaudit.schema.quality import quality_tables

    for name, table in quality_tables().items():  # schema-derived: the data-quality rules' field lists
        backend.register(name, table)
    from medaudit.drg.relations import empty_relations

    for name, table in empty_relations().items():  # filled by prepare() when a rule reads them
        backend.register(name, table)


def prepare(backend: Backend, compiled: CompiledRuleSet) -> None:
    derive_tables(backend, drg=any("drg_groups" in q or "drg_cc" in q for q in compiled.sql.values()))
    for name, sql in compiled.prepared:
        backend.materialize(name, sql)


ProgressFn = Callable[[str, int], Any]


def citer_of(kb: KnowledgeLike | None) -> Citer | None:
    """The knowledge base's national-point citation, when it has one (KnowledgeBase.cite)."""
    return getattr(kb, "cite", None)


def run_rules(backend: Backend, compiled: CompiledRuleSet, versions: Mapping[str, str],
              progress: ProgressFn | None = None, cite: Citer | None = None) -> pa.Table:
    parts = []
    for tid, insts in compiled.active.items():
        tpl = compiled.rulebase.templates[tid]
        raw = backend.query(compiled.sql[tid])
        check_columns(tpl, raw.column_names)
        found = finalize(raw, tpl, insts, compiled.rulebase, dict(versions), cite)
        parts.append(found)
        if progress:
            progress(tid, found.num_rows)
    findings = pa.concat_tables(parts) if parts else empty_findings()
    return attach_staff(backend, findings)


def attach_staff(backend: Backend, findings: pa.Table) -> pa.Table:
    """One lookup of the answerable doctor and department for every finding (see FINDING_STAFF)."""
    if findings.num_rows == 0:
        return findings
    keys = findings.select(["mdtrt_id", "line_id"]).group_by(["mdtrt_id", "line_id"]).aggregate([])
    backend.register("finding_keys", keys)
    staff = backend.query(compile_sql(FINDING_STAFF, backend.dialect, what="finding staff"))
    return with_staff(findings, staff)


def audit(backend: Backend, claims: Mapping[str, pa.Table | list[Path]], kb: KnowledgeLike | None,
          rulebase: RuleBase, template_ids: list[str] | None = None,
          progress: ProgressFn | None = None, compiled: CompiledRuleSet | None = None) -> pa.Table:
    """Full sequence on one backend; returns the findings table."""
    compiled = compiled or CompiledRuleSet.build(rulebase, backend.dialect, template_ids)
    load_knowledge(backend, kb)
    load_params(backend, compiled)
    load_claims(backend, claims)
    prepare(backend, compiled)
    versions = {**(dict(kb.versions) if kb is not None else {}),
                **{f"rules:{k}": v for k, v in rulebase.versions.items()}}
    return run_rules(backend, compiled, versions, progress, citer_of(kb))
