"""Mutation testing of the rule base: run every template's golden cases on every mutant of its SQL.

A mutant the golden cases cannot tell from the original marks a boundary nobody pinned down; it is
either killed by a new case or declared equivalent (with a reason) in the template's YAML.

Batched for speed: each case's claims are loaded and the prepared relations (``line_ctx``,
``enc_ctx``) built once, on one DuckDB connection; each mutant is then a single query on it, and
a mutant killed by one case is not run on the next.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from medaudit.engine.backends import get_backend
from medaudit.engine.compile import compile_template
from medaudit.engine.findings import finalize
from medaudit.engine.runner import CompiledRuleSet, load_claims, load_knowledge, load_params, prepare
from medaudit.errors import MedauditError
from medaudit.rules.golden import _KB, GoldenCase, case_kb, case_rulebase, compare, load_cases
from medaudit.rules.loader import check_columns
from medaudit.rules.model import Template
from medaudit.rules.mutants import Mutant, mutants


@dataclass
class MutantResult:
    id: str
    operator: str
    status: str  # killed | survived | equivalent | invalid (does not compile)
    killed_by: str | None = None
    detail: str | None = None


@dataclass
class TemplateScore:
    template: str
    results: list[MutantResult] = field(default_factory=list)
    #: golden cases that fail on the unmutated SQL, and stale or contradicted equivalence declarations
    errors: list[str] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for r in self.results if r.status == status)

    @property
    def total(self) -> int:
        """Mutants that run (an invalid mutant is not a rule anyone could ship)."""
        return len(self.results) - self.count("invalid")

    @property
    def survivors(self) -> list[MutantResult]:
        return [r for r in self.results if r.status == "survived"]

    @property
    def ok(self) -> bool:
        return not self.survivors and not self.errors

    def summary(self) -> dict[str, Any]:
        return {"template": self.template, "killed": self.count("killed"), "total": self.total,
                "equivalent": self.count("equivalent"), "invalid": self.count("invalid"),
                "survivors": [r.id for r in self.survivors], "errors": self.errors, "ok": self.ok,
                "mutants": [r.__dict__ for r in self.results]}

    def score_text(self) -> str:
        return (f"{self.count('killed')} / {self.total} 杀死，{self.count('equivalent')} 声明等价，"
                f"{len(self.survivors)} 未解释存活")


def _case_findings(backend: Any, template: Template, case: GoldenCase, sql: str, compiled: CompiledRuleSet) -> Any:
    raw = backend.query(sql)
    check_columns(template, raw.column_names)
    return finalize(raw, template, compiled.active[template.id], compiled.rulebase, {}, case_kb(case).cite)


def score_template(template: Template, cases: list[GoldenCase] | None = None) -> TemplateScore:
    """Kill what the golden cases can; classify the rest against the template's declarations."""
    cases = load_cases(template.id) if cases is None else cases
    score = TemplateScore(template.id)
    declared = {m.mutant: m.reason for m in template.equivalent_mutants}
    candidates = mutants(template.sql, {p.name for p in template.params})
    known = {m.id for m in candidates}
    for stale in sorted(set(declared) - known):
        score.errors.append(f"声明的等价变异体不存在 / declared equivalent mutant not generated: {stale}")
    if not cases:
        score.errors.append("无金标准用例 / no golden cases")
    compiled_sql: dict[str, str] = {}
    results: dict[str, MutantResult] = {}
    for m in candidates:
        try:
            compiled_sql[m.id] = compile_template(template.model_copy(update={"sql": m.sql}), "duckdb")
        except MedauditError as exc:
            results[m.id] = MutantResult(m.id, m.operator, "invalid", detail=str(exc)[:200])
    alive: list[Mutant] = [m for m in candidates if m.id not in results]
    for case in cases:
        _run_case(template, case, alive, compiled_sql, results, score)
        alive = [m for m in alive if m.id not in results]
    for m in alive:
        if m.id in declared:
            results[m.id] = MutantResult(m.id, m.operator, "equivalent", detail=declared[m.id])
        else:
            results[m.id] = MutantResult(m.id, m.operator, "survived")
    for mid, reason in declared.items():
        r = results.get(mid)
        if r is not None and r.status == "killed":
            score.errors.append(f"声明等价但被用例 {r.killed_by} 杀死 / declared equivalent but killed: {mid} ({reason})")
    score.results = [results[m.id] for m in candidates]
    return score


def _run_case(template: Template, case: GoldenCase, alive: list[Mutant], compiled_sql: dict[str, str],
              results: dict[str, MutantResult], score: TemplateScore) -> None:
    backend = get_backend("duckdb")
    try:
        compiled = CompiledRuleSet.build(case_rulebase(case), "duckdb", [template.id])
        load_knowledge(backend, _KB(case.knowledge))
        load_params(backend, compiled)
        load_claims(backend, case.claims)
        prepare(backend, compiled)
        base = compare(case, _case_findings(backend, template, case, compiled.sql[template.id], compiled))
        if base:  # a case the shipped rule fails cannot judge its mutants
            score.errors.append(f"用例失败 / golden case fails on the shipped SQL: {case.name}: {base}")
            return
        for m in alive:
            try:
                problems = compare(case, _case_findings(backend, template, case, compiled_sql[m.id], compiled))
            except Exception as exc:  # noqa: BLE001 - a rule that crashes on a case is caught by that case
                results[m.id] = MutantResult(m.id, m.operator, "killed", killed_by=case.name,
                                             detail=f"{type(exc).__name__}: {exc}"[:200])
                continue
            if problems:
                results[m.id] = MutantResult(m.id, m.operator, "killed", killed_by=case.name, detail=problems[0])
    finally:
        backend.close()


def score_all(template_ids: list[str], templates: dict[str, Template]) -> list[TemplateScore]:
    return [score_template(templates[tid]) for tid in template_ids]
