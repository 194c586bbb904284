"""Every golden case of every template side by side in one region, so an engine audits them at once.

An audit costs a fixed start per statement (Spark: seconds of planning and stages per template,
whatever the data size), so the differential tests pack the golden cases into a few regions:

- every value that ties rows together is prefixed per placed case: identifiers (patient,
  institution, encounter, line, staff, settlement, certificate, each drug trace code) and codes
  matched against knowledge (item, diagnosis, operation, disease, department), in the claims and in
  the case's own knowledge rows alike. Prefix matching (``SUBSTRING(code, 1, LENGTH(prefix))``) and
  the tie order inside a case are unchanged, and no case can see another case's rows or knowledge;
- one rule instance per distinct (template, params); a case's findings are those of its own instance
  on its own encounters; every other instance's findings on it are compared across engines too;
- firing cases are replicated (fresh prefixes) until each template fires ``MIN_FIRINGS`` times.

The packing is verified, not trusted: on DuckDB each placed case's findings, prefixes removed and
ids recomputed, must equal (every column) the case audited alone. A case that differs — its template
reads a whole table or the whole region — runs in a region of its own; ``SHARES_BADLY`` declares
which templates have such cases (a test keeps it current), ``ISOLATED`` templates never share.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from medaudit.engine.backends import get_backend
from medaudit.engine.findings import FINDINGS_SCHEMA, finding_id
from medaudit.engine.prepare import TRACE_SEPARATORS
from medaudit.engine.runner import audit
from medaudit.rules.golden import _KB, GoldenCase, case_kb, case_rulebase, compare, load_cases
from medaudit.rules.loader import RuleBase, load_templates
from medaudit.rules.model import Instance

#: claim columns whose values join rows of one case or match knowledge (prefix-matched codes included)
ID_COLUMNS = ("psn_no", "certno", "fixmedins_code", "mdtrt_id", "setl_id", "line_id", "init_line_id",
              "staff_code", "bilg_dr_code", "chfpdr_code", "oper_dr_code",
              "hilist_code", "diag_code", "dscg_maindiag_code", "oprn_code", "dise_no",
              "dept_code", "bilg_dept_code", "acord_dept_code")
#: knowledge columns matched against the claim codes above
KB_CODE_COLUMNS = ("code_prefix", "icd_prefix", "code_a", "code_b", "prefix_a", "prefix_b", "dise_no",
                   "drug_prefix", "dept_code", "code", "panel_prefix", "component_prefix", "surcharge_prefix",
                   "base_prefix", "billed_prefix", "actual_prefix")
TRACE_COLUMN = "drug_trac_codg"
#: the join keys alone: a case that must keep its real codes is replicated with only these prefixed
JOIN_COLUMNS = ("psn_no", "certno", "fixmedins_code", "mdtrt_id", "setl_id", "line_id", "init_line_id",
                "staff_code", "bilg_dr_code", "chfpdr_code", "oper_dr_code")
#: templates whose cases must keep their real codes: the CHS-DRG grouper reads the real ICD-10 and
#: ICD-9-CM-3 codes (a prefixed code is an invalid code). Cases citing national knowledge points keep
#: theirs too (the citation looks the real national code up). Such a case runs in a region of its own,
#: its copies differing only in their join keys, with the case's own knowledge (citations included).
REAL_CODES: dict[str, str] = {
    "drg_cc_unsupported": "the grouper reads real diagnosis codes",
    "drg_split_admission": "the grouper reads real diagnosis codes",
    "drg_ungroupable": "the grouper reads real diagnosis and procedure codes",
}
#: templates whose SQL reads the whole region at once (percentiles, region totals): never packed.
#: A template that needs it shows up as an unfaithful case in ``pack_cases``.
ISOLATED: dict[str, str] = {
    "los_by_diagnosis": "percentiles of every stay of a main diagnosis or its 3-character category: other "
                        "cases' stays (and a replica's prefixed codes, whose category is the prefix) join the groups",
}
#: templates some of whose cases a shared region changes, found by ``pack_cases`` and declared here so
#: a new interference is noticed (the cases then run in a region of their own, still on every engine)
SHARES_BADLY: dict[str, str] = {
    "dq_master_missing": "reads the master tables whole: a table empty in the case is not empty in a shared region",
    "dq_diag_code": "silent when kb_diagnosis is empty: a case without the code table is not without it in a shared region",
    "dq_oprn_code": "silent when kb_procedure is empty: a case without the code table is not without it in a shared region",
    "dq_required_missing": "a field no row of the region fills is not reported: the region decides, not the case",
}
#: regions the shared cases are split into (by template), so a few audits can run side by side
REGIONS = 3
#: each template must fire at least this often in the packed golden regions (issue 22)
MIN_FIRINGS = 20

_PREFIX = re.compile(r"q\d+~")
_PIECE = re.compile(rf"({TRACE_SEPARATORS})")


def prefix_of(n: int) -> str:
    return f"q{n}~"


def unprefix(value: Any) -> Any:
    return _PREFIX.sub("", value) if isinstance(value, str) else value


def _prefix_trace(value: str | None, prefix: str) -> str | None:
    if value is None:
        return None
    return "".join(p if not p or _PIECE.fullmatch(p) else prefix + p for p in _PIECE.split(value))


def _prefix_value(value: str | None, prefix: str) -> str | None:
    """A blank value stays blank: rules treat '' and NULL as absent, a prefix would make it present."""
    return value if value is None or not value.strip() else prefix + value


def prefixed(table: pa.Table, prefix: str, columns: tuple[str, ...] = ID_COLUMNS) -> pa.Table:
    """The table with every identifier and code (and every box code of a trace field) prefixed."""
    return _prefix_columns(table, prefix, columns)


def keeps_codes(case: GoldenCase) -> bool:
    return case.template in REAL_CODES or bool(case.national)


def _prefix_columns(table: pa.Table, prefix: str, columns: tuple[str, ...]) -> pa.Table:
    if not prefix:
        return table
    for i, name in enumerate(table.column_names):
        if name in columns or name == TRACE_COLUMN:
            col = table.column(i)
            values = [_prefix_trace(v, prefix) if name == TRACE_COLUMN else _prefix_value(v, prefix)
                      for v in col.to_pylist()]
            table = table.set_column(i, table.field(i), pa.array(values, col.type))
    return table


def params_key(case: GoldenCase) -> str:
    return repr(sorted(case.params.items()))


@dataclass
class Placed:
    """One golden case (or one replica of it) inside a region."""

    case: GoldenCase
    prefix: str
    instance_id: str
    replica: int = 0

    @property
    def label(self) -> str:
        copy = f" (copy {self.replica})" if self.replica else ""
        return f"{self.case.template} / {self.case.name}{copy}"


@dataclass
class Region:
    placed: list[Placed]
    claims: dict[str, pa.Table]
    kb: _KB
    rulebase: RuleBase
    templates: set[str] = field(default_factory=set)
    _split: dict[int, tuple[pa.Table, dict[str, pa.Table]]] = field(default_factory=dict, repr=False)

    def owner(self, instance_id: str, mdtrt_id: str) -> Placed | None:
        for p in self.placed:
            if p.instance_id == instance_id and mdtrt_id.startswith(p.prefix):
                return p
        return None

    def case_findings(self, findings: pa.Table, placed: Placed) -> pa.Table:
        """The placed case's own findings as the case alone would give them: prefixes removed,
        instance id the template's, finding id recomputed from the unprefixed keys."""
        key = id(findings)
        if key not in self._split:  # one pass over the region's rows, not one per placed case
            self._split[key] = (findings, self._by_placed(findings))
        return self._split[key][1].get(placed.prefix, _EMPTY)

    def _by_placed(self, findings: pa.Table) -> dict[str, pa.Table]:
        own = {(p.prefix, p.instance_id): p for p in self.placed}
        rows: dict[str, list[dict[str, Any]]] = {}
        for row in findings.to_pylist():
            m = _PREFIX.match(row["mdtrt_id"])
            p = own.get((m.group(0) if m else "", row["instance_id"]))
            if p is None:
                continue
            row = {k: unprefix(v) for k, v in row.items()}
            row["instance_id"] = p.case.template
            row["finding_id"] = finding_id(row["instance_id"], row["mdtrt_id"], row["line_id"],
                                           row["related_line_id"])
            rows.setdefault(p.prefix, []).append(row)
        return {prefix: pa.Table.from_pylist(sorted(r, key=lambda x: (x["mdtrt_id"], x["finding_id"])),
                                             schema=FINDINGS_SCHEMA) for prefix, r in rows.items()}


_EMPTY = FINDINGS_SCHEMA.empty_table()


def _region_knowledge(placed: list[Placed]) -> dict[str, pa.Table]:
    """Each placed case's knowledge rows, codes prefixed like its claims, side by side."""
    out: dict[str, pa.Table] = {}
    for name in sorted({n for p in placed for n in p.case.knowledge}):
        parts = [_prefix_columns(p.case.knowledge[name], p.prefix, KB_CODE_COLUMNS)
                 for p in placed if name in p.case.knowledge]
        out[name] = pa.concat_tables(parts)
    return out


def build_region(cases: list[GoldenCase], replicas: dict[str, int] | None = None) -> Region:
    """The cases (each ``replicas[template/name]`` times, default once) as one region.

    A region of one unreplicated case is the case itself: no prefix, the template's own instance id.
    """
    replicas = replicas or {}
    solo = len(cases) == 1 and replicas.get(cid(cases[0]), 1) == 1
    instances: dict[str, Instance] = {}
    by_params: dict[tuple[str, str], str] = {}
    placed: list[Placed] = []
    for case in cases:
        key = (case.template, params_key(case))
        if key not in by_params:
            iid = case.template if solo else f"{case.template}@{len(instances)}"
            by_params[key] = iid
            instances[iid] = Instance(id=iid, template=case.template, params=case.params)
        for r in range(replicas.get(cid(case), 1)):
            placed.append(Placed(case, "" if solo else prefix_of(len(placed)), by_params[key], r))
    real = keeps_codes(cases[0])
    assert not real or len(cases) == 1, "a case that keeps its real codes shares no region"
    cols = JOIN_COLUMNS if real else ID_COLUMNS
    claims = {name: pa.concat_tables([_prefix_columns(p.case.claims[name], p.prefix, cols) for p in placed])
              for name in cases[0].claims}
    rulebase = RuleBase(load_templates(), instances, {"golden": "1"})
    kb = case_kb(cases[0]) if real else _KB(_region_knowledge(placed))
    return Region(placed, claims, kb, rulebase, {c.template for c in cases})


def cid(case: GoldenCase) -> str:
    return f"{case.template}/{case.name}"


def run_duckdb(claims: dict[str, Any], kb: Any, rulebase: RuleBase) -> pa.Table:
    backend = get_backend("duckdb")
    try:
        return audit(backend, claims, kb, rulebase)
    finally:
        backend.close()


def alone(case: GoldenCase) -> pa.Table:
    """The case audited by itself on DuckDB, as ``medaudit rules test`` runs it."""
    return run_duckdb(case.claims, case_kb(case), case_rulebase(case))


@dataclass
class Packing:
    regions: list[Region]
    #: DuckDB findings of each region, in the same order
    duck: list[pa.Table]
    #: each case audited alone on DuckDB, by template/name
    alone: dict[str, pa.Table]
    #: cases moved out of a shared region because packing changed their findings
    moved: list[str]
    _fired: dict[str, int] = field(default_factory=dict, repr=False)

    def fired(self) -> dict[str, int]:
        """Findings per template of the cases' own instances on their own encounters (DuckDB)."""
        out: dict[str, int] = {}
        if self._fired:
            return self._fired
        for region, found in zip(self.regions, self.duck, strict=True):
            for p in region.placed:
                out[p.case.template] = out.get(p.case.template, 0) + region.case_findings(found, p).num_rows
        self._fired.update(out)
        return out


def unfaithful(region: Region, findings: pa.Table, by_case: dict[str, pa.Table]) -> list[Placed]:
    """Placed cases whose findings in the region differ (any column) from the case alone."""
    return [p for p in region.placed
            if not region.case_findings(findings, p).equals(by_case[cid(p.case)])]


def all_cases() -> list[GoldenCase]:
    return [c for tid in sorted(load_templates()) for c in load_cases(tid)]


def replicas_for(cases: list[GoldenCase], by_case: dict[str, pa.Table], min_findings: int) -> dict[str, int]:
    """Copies of each firing case so that its template finds at least ``min_findings`` in all."""
    fired: dict[str, int] = {}
    for c in cases:
        fired[c.template] = fired.get(c.template, 0) + by_case[cid(c)].num_rows
    return {cid(c): -(-min_findings // fired[c.template]) for c in cases
            if by_case[cid(c)].num_rows and fired[c.template] < min_findings}


def pack_cases(cases: list[GoldenCase], min_findings: int = 0) -> Packing:
    """Cases into ``REGIONS`` regions (whole templates each, balanced by rows), verified on DuckDB.

    Firing cases are replicated until each template fires ``min_findings`` times. A case that its
    region changes runs in a region of its own, as do ``ISOLATED`` templates.
    """
    by_case = {cid(c): alone(c) for c in cases}
    replicas = replicas_for(cases, by_case, min_findings)
    shared = [c for c in cases if c.template not in ISOLATED and not keeps_codes(c)]
    size: dict[str, int] = {}
    for c in shared:
        size[c.template] = size.get(c.template, 0) + replicas.get(cid(c), 1)
    bins: list[list[str]] = [[] for _ in range(REGIONS)]
    for tid in sorted(size, key=lambda t: (-size[t], t)):
        min(bins, key=lambda b: sum(size[t] for t in b)).append(tid)
    regions: list[Region] = []
    duck: list[pa.Table] = []
    moved: list[str] = []
    alone_cases = [c for c in cases if c.template in ISOLATED or keeps_codes(c)]
    for b in bins:
        group = [c for c in shared if c.template in b]
        if not group:
            continue
        region = build_region(group, replicas)
        found = run_duckdb(region.claims, region.kb, region.rulebase)
        bad = {cid(p.case) for p in unfaithful(region, found, by_case)}
        if bad:
            moved += sorted(bad)
            alone_cases += [c for c in group if cid(c) in bad]
            region = build_region([c for c in group if cid(c) not in bad], replicas)
            found = run_duckdb(region.claims, region.kb, region.rulebase)
            assert not unfaithful(region, found, by_case), "packing did not settle: " + ", ".join(sorted(bad))
        regions.append(region)
        duck.append(found)
    for c in alone_cases:  # with its own replicas if they leave it as it is, else just the case
        region = build_region([c], replicas)
        found = run_duckdb(region.claims, region.kb, region.rulebase)
        if unfaithful(region, found, by_case):
            region = build_region([c])
            found = run_duckdb(region.claims, region.kb, region.rulebase)
        regions.append(region)
        duck.append(found)
    return Packing(regions, duck, by_case, moved)


def diff_findings(a: pa.Table, b: pa.Table, names: tuple[str, str] = ("DuckDB", "other"),
                  region: Region | None = None) -> list[str]:
    """Every difference between two findings tables, column by column, each line naming the case."""
    def key(row: dict[str, Any]) -> tuple[str, str]:
        return (row["instance_id"], row["finding_id"])

    def who(row: dict[str, Any]) -> str:
        p = region.owner(row["instance_id"], row["mdtrt_id"]) if region is not None else None
        if p is not None:
            return p.label
        return f"{row['rule_id']} on {row['mdtrt_id']}"

    problems: list[str] = []
    if a.schema != b.schema:
        problems.append(f"schema differs: {a.schema} vs {b.schema}")
    x = {key(r): r for r in a.to_pylist()}
    y = {key(r): r for r in b.to_pylist()}
    problems += [f"{who(x[k])}: only on {names[0]}: {x[k]['reason']}" for k in sorted(set(x) - set(y))]
    problems += [f"{who(y[k])}: only on {names[1]}: {y[k]['reason']}" for k in sorted(set(y) - set(x))]
    for k in sorted(set(x) & set(y)):
        for col, value in x[k].items():
            if value != y[k][col] or type(value) is not type(y[k][col]):
                problems.append(f"{who(x[k])} {col}: {names[0]} {value!r} != {names[1]} {y[k][col]!r}")
    return problems


def engine_problems(packing: Packing, found: list[pa.Table], template_id: str, engine: str) -> list[str]:
    """For each placed case of the template: the case's findings from ``found`` (one table per region)
    against the case alone on DuckDB (every column) and against the case's expected rows."""
    problems: list[str] = []
    placed = 0
    for region, table in zip(packing.regions, found, strict=True):
        for p in region.placed:
            if p.case.template != template_id:
                continue
            placed += 1
            mine = region.case_findings(table, p)
            want = packing.alone[cid(p.case)]
            problems += [f"{p.label}: {line}" for line in diff_findings(want, mine, ("DuckDB alone", engine))]
            problems += [f"{p.label}: {line}" for line in compare(p.case, mine)]
    if not placed:
        problems.append(f"{template_id}: no golden case placed")
    return problems
