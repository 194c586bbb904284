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
    citer_of,
    load_claims,
    load_knowledge,
    load_params,
    prepare,
)
from medaudit.errors import RuleError
from medaudit.rules.loader import RuleBase, check_columns
from medaudit.rules.model import Instance
from medaudit.schema import TABLES

from .errors import bad

#: the stages a 3101/3102 call can be in (事后 is the batch audit of settled claims)
REALTIME_STAGES = frozenset({"事前", "事中"})
CLAIM_TABLES = ("patients", "institutions", "staff", "encounters", "fee_lines", "diagnoses", "operations")


@dataclass(frozen=True)
class Selection:
    """Which templates (and optionally which instances) a request runs."""

    templates: tuple[str, ...]
    instances: frozenset[str] | None = None


@dataclass(frozen=True)
class Choice:
    """The rules a request runs and what the response must say about how they were chosen."""

    selection: Selection
    warnings: tuple[dict[str, str], ...] = ()


def _ids(ids: list[str]) -> str:
    shown = "、".join(ids[:10])
    return shown + (f" 等{len(ids)}个" if len(ids) > 10 else "")


class RealtimeEngine:
    def __init__(self, rulebase: RuleBase, knowledge: KnowledgeLike | None,
                 reject_unknown_rule_ids: bool | None = None) -> None:
        if reject_unknown_rule_ids is None:
            from medaudit.settings import get_settings

            reject_unknown_rule_ids = get_settings().reject_unknown_rule_ids
        self.reject_unknown_rule_ids = reject_unknown_rule_ids
        self.rulebase = rulebase
        self.compiled = CompiledRuleSet.build(rulebase, "sqlite")
        self.backend = SQLiteBackend()
        load_knowledge(self.backend, knowledge)
        self.cite = citer_of(knowledge)
        load_params(self.backend, self.compiled)
        load_claims(self.backend, {})
        self.versions = {**(dict(knowledge.versions) if knowledge is not None else {}),
                         **{f"rules:{k}": v for k, v in rulebase.versions.items()}}
        #: what every response reports: the knowledge packs and rule packs these findings come from
        self.packs = {"knowledge": dict(knowledge.versions) if knowledge is not None else {},
                      "rules": dict(rulebase.versions)}
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
        """Templates whose stages and scenes fit the trigger scene; rule_ids narrows to those rules.

        Without a stage (no ``trig_scen``) the 3101/3102 call is still real time: 事后-only templates
        judge what only exists after settlement (a settled total, the whole region's tables), and run
        on a bare order they report the order's missing total as a mismatch."""
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
            if stage is None and not REALTIME_STAGES & set(tpl.stages):
                continue  # no trig_scen: every real-time rule, never a 事后-only one (settled totals, whole tables)
            if scenes and not scenes & set(tpl.scenes):
                continue
            if wanted is not None and not any(i.id in wanted for i in insts):
                continue
            chosen.append(tid)
        return Selection(tuple(chosen), frozenset(wanted) if wanted is not None else None)

    def choose(self, stage: str | None, scenes: set[str], rule_ids: list[str] | None,
               scene_given: bool, has_orders: bool) -> Choice:
        """:meth:`_choose`, plus the warning an empty answer must carry when no rule ran on orders."""
        choice = self._choose(stage, scenes, rule_ids, scene_given)
        if choice.selection.templates or not has_orders:
            return choice
        zero = {"path": "rules_run", "message": "本次请求含处方/医嘱明细，但没有任何规则适用于本次触发场景，未运行规则："
                "无违规结果不代表审核通过 / no rule applies to this request's scene: 0 rules ran, so an empty result "
                "is not a clean audit"}
        return Choice(choice.selection, (zero, *choice.warnings))

    def _choose(self, stage: str | None, scenes: set[str], rule_ids: list[str] | None,
                scene_given: bool) -> Choice:
        """The rules a request runs: a ``rule_ids`` list narrows the trigger scene's rules, never empties them.

        Real HIS clients put the interface number ("3101") or a stale id in ``rule_ids``; honouring
        that literally ran nothing and answered "no violation" (issue 20). So ids this server does not
        know are listed in a warning and, when none is known — or none of the known ones fits the
        scene — the request is audited with the scene's rules. With ``reject_unknown_rule_ids`` an
        unknown id is a 400 instead. Without ``trig_scen`` the named rules run unfiltered by scene.
        """
        by_scene = self.select(stage, scenes, None)
        if not rule_ids:
            return Choice(by_scene)
        unknown = self.unknown_rules(rule_ids)
        if unknown and self.reject_unknown_rule_ids:
            raise bad("data.rule_ids", f"规则标识集合含本服务未知的规则标识：{_ids(unknown)}（本服务按配置拒绝此类请求；"
                                       "可不传rule_ids而按触发场景审核）",
                      f"rule_ids names rules this server does not know: {unknown[:10]} (this server is configured to "
                      "refuse such requests; omit rule_ids to audit by trig_scen)")
        known = [r for r in rule_ids if r not in unknown]
        scope = "触发场景选择的规则" if scene_given else "全部适用规则"
        scope_en = "the rules trig_scen selects" if scene_given else "all applicable rules"
        fallback = f"，已按{scope}审核（{len(by_scene.templates)}条规则）"
        warnings: list[dict[str, str]] = []
        if not known:
            warnings.append({"path": "data.rule_ids", "message": f"规则标识集合中没有本服务已知的规则（{_ids(unknown)}）{fallback} / "
                             f"rule_ids names no rule this server knows {unknown[:10]}; audited with {scope_en} instead"})
            return Choice(by_scene, tuple(warnings))
        named = self.select(stage if scene_given else None, scenes if scene_given else set(), known)
        if not named.templates:
            also = f"；未知规则标识：{_ids(unknown)}" if unknown else ""
            warnings.append({"path": "data.rule_ids", "message": f"所给规则（{_ids(known)}）均不适用于本次触发场景{also}"
                             f"{fallback} / none of the known rules in rule_ids applies to this trig_scen (unknown: "
                             f"{unknown[:10]}); audited with {scope_en} instead"})
            return Choice(by_scene, tuple(warnings))
        if unknown:
            warnings.append({"path": "data.rule_ids", "message": f"以下规则标识本服务未知，未运行：{_ids(unknown)}；"
                             f"已运行所给的已知规则 / unknown rule ids not run: {unknown[:10]}; the known ones were run"})
        outside = [r for r in known if not self._runs(r, named)]
        if outside:
            warnings.append({"path": "data.rule_ids", "message": f"以下规则不适用于本次触发场景，未运行：{_ids(outside)} / "
                             f"rules not applicable to this trig_scen, not run: {outside[:10]}"})
        return Choice(named, tuple(warnings))

    def _runs(self, rule_id: str, selection: Selection) -> bool:
        """Whether a named rule (template or instance id) is part of ``selection``."""
        if rule_id in selection.templates:
            return True
        return any(rule_id == i.id and (selection.instances is None or i.id in selection.instances)
                   for t in selection.templates for i in self.compiled.active[t])

    def unknown_rules(self, rule_ids: Iterable[str]) -> list[str]:
        known = {i.id for insts in self.compiled.active.values() for i in insts} | set(self.compiled.active)
        return list(dict.fromkeys(r for r in rule_ids if r not in known))

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
            out.extend(finalize_rows(raw, tpl, insts, self.rulebase, self.versions, self.cite))
        return out

    def close(self) -> None:
        self.backend.close()
