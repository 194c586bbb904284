"""The real-time evaluator: the batch rule SQL, transpiled to SQLite, over one request's rows.

Built once per worker: the rule base is compiled for SQLite (a template that cannot be transpiled
faithfully raises RuleError here, so the server refuses to start), the knowledge tables and the
instance parameters are loaded and indexed. Per request only the canonical claim tables are cleared
and refilled, the prepared relations rebuilt, and the selected templates queried — the same
sequence as ``runner.audit`` without reloading what does not change.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from medaudit.engine.backends.sqlite import SQLiteBackend
from medaudit.engine.findings import finalize_rows
from medaudit.engine.runner import (
    CompiledRuleSet,
    KnowledgeLike,
    load_claims,
    load_knowledge,
    load_params,
    prepare,
)
from medaudit.errors import RuleError
from medaudit.rules.loader import RuleBase, check_columns
from medaudit.rules.model import Instance
from medaudit.schema import TABLES

CLAIM_TABLES = ("patients", "institutions", "staff", "encounters", "fee_lines", "diagnoses", "operations")


@dataclass(frozen=True)
class Selection:
    """Which templates (and optionally which instances) a request runs."""

    templates: tuple[str, ...]
    instances: frozenset[str] | None = None


class RealtimeEngine:
    def __init__(self, rulebase: RuleBase, knowledge: KnowledgeLike | None) -> None:
        self.rulebase = rulebase
        self.compiled = CompiledRuleSet.build(rulebase, "sqlite")
        self.backend = SQLiteBackend()
        load_knowledge(self.backend, knowledge)
        load_params(self.backend, self.compiled)
        load_claims(self.backend, {})
        self.versions = {**(dict(knowledge.versions) if knowledge is not None else {}),
                         **{f"rules:{k}": v for k, v in rulebase.versions.items()}}
        self.columns = {name: [c.name for c in TABLES[name].columns] for name in CLAIM_TABLES}
        self.templates = rulebase.templates
        self.max_lookback = max((self.templates[t].lookback_days for t in self.compiled.active), default=0)
        for _ in range(2):  # plan every query (the second pass sees the prepared tables' final types)
            self._warm()

    def _warm(self) -> None:
        """Run every prepared relation and template once, naming the one SQLite cannot execute."""
        self.load({})
        steps: list[tuple[str, str | None, str]] = [(f"预处理 {n}", n, q) for n, q in self.compiled.prepared]
        steps += [(f"规则模板 {t}", None, self.compiled.sql[t]) for t in self.compiled.active]
        for what, name, sql in steps:
            try:
                if name is None:
                    self.backend.query(sql)
                else:
                    self.backend.materialize(name, sql)
            except sqlite3.Error as exc:
                raise RuleError(f"{what} 的SQL在SQLite上无法执行 / {what} cannot run on SQLite: {exc}") from exc

    # -- selection -------------------------------------------------------------------------------
    def select(self, stage: str | None, scenes: set[str], rule_ids: list[str] | None) -> Selection:
        """Templates whose stages and scenes fit the trigger scene; rule_ids narrows to those rules."""
        chosen: list[str] = []
        wanted: set[str] | None = None
        if rule_ids:
            wanted = set()
            for tid, insts in self.compiled.active.items():
                for inst in insts:
                    if inst.id in rule_ids or tid in rule_ids:
                        wanted.add(inst.id)
        for tid, insts in self.compiled.active.items():
            tpl = self.templates[tid]
            if stage is not None and stage not in tpl.stages:
                continue
            if scenes and not scenes & set(tpl.scenes):
                continue
            if wanted is not None and not any(i.id in wanted for i in insts):
                continue
            chosen.append(tid)
        return Selection(tuple(chosen), frozenset(wanted) if wanted is not None else None)

    def unknown_rules(self, rule_ids: Iterable[str]) -> list[str]:
        known = {i.id for insts in self.compiled.active.values() for i in insts} | set(self.compiled.active)
        return [r for r in rule_ids if r not in known]

    def lookback_days(self, selection: Selection) -> int:
        return max((self.templates[t].lookback_days for t in selection.templates), default=0)

    # -- evaluation ------------------------------------------------------------------------------
    def load(self, rows: Mapping[str, list[dict[str, Any]]]) -> None:
        b = self.backend
        for name in CLAIM_TABLES:
            b.clear(name)
            data = rows.get(name)
            if data:
                cols = self.columns[name]
                # rows from mapping.py and the history store are already in SQLite form
                b.insert_rows(name, cols, ([r.get(c) for c in cols] for r in data))

    def evaluate(self, rows: Mapping[str, list[dict[str, Any]]], selection: Selection) -> list[dict[str, Any]]:
        """Findings (rows of FINDINGS_SCHEMA as dicts) for the given canonical rows."""
        self.load(rows)
        prepare(self.backend, self.compiled)
        out: list[dict[str, Any]] = []
        for tid in selection.templates:
            raw = self.backend.query(self.compiled.sql[tid])
            if raw.num_rows == 0:
                continue
            tpl = self.templates[tid]
            check_columns(tpl, raw.column_names)
            insts: list[Instance] = self.compiled.active[tid]
            if selection.instances is not None:
                insts = [i for i in insts if i.id in selection.instances]
            out.extend(finalize_rows(raw, tpl, insts, self.rulebase, self.versions))
        return out

    def close(self) -> None:
        self.backend.close()
