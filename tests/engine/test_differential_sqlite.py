"""Differential test: the real-time engine (SQLite) must find exactly what the batch engine (DuckDB) finds.

Every template's golden cases run on both engines and every column of every finding must agree. On a
partial encounter (lines entered up to a cut time, as at order entry) the real-time findings must be
a subset of the batch findings on the whole encounter (DESIGN.md, as-of semantics).
"""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pyarrow.compute as pc
import pytest
import yaml

from medaudit.engine.backends.sqlite import SQLiteBackend
from medaudit.engine.runner import CompiledRuleSet, audit
from medaudit.rules.golden import _KB, GOLDEN_DIR, GoldenCase, case_rulebase, load_cases, run_case
from medaudit.rules.loader import TEMPLATE_DIR, load_templates
from tests import golden_region
from tests.golden_region import Packing

TEMPLATES = sorted(load_templates())


def _diff(a: pa.Table, b: pa.Table) -> list[str]:
    out = [f"rows {a.num_rows} != {b.num_rows}"] if a.num_rows != b.num_rows else []
    for ra, rb in zip(a.to_pylist(), b.to_pylist(), strict=False):
        out.extend(f"{ra['finding_id']}.{k}: duckdb={ra[k]!r} sqlite={rb[k]!r}" for k in ra if ra[k] != rb[k])
    return out


@pytest.fixture(scope="module")
def golden_on_sqlite(golden_packing: Packing) -> list[pa.Table]:
    """Each packed golden region (tests/golden_region.py) audited on SQLite, one audit per region."""
    out = []
    for region in golden_packing.regions:
        backend = SQLiteBackend()
        try:
            out.append(audit(backend, region.claims, region.kb, region.rulebase))
        finally:
            backend.close()
    return out


@pytest.mark.parametrize("template_id", TEMPLATES)
def test_golden_cases_identical_on_sqlite(golden_packing: Packing, golden_on_sqlite: list[pa.Table],
                                          template_id: str) -> None:
    """Each golden case, found by SQLite in its packed region, is exactly what DuckDB finds for the
    case alone (every column) and what the case expects; the template fires >= 20 times in all."""
    problems = golden_region.engine_problems(golden_packing, golden_on_sqlite, template_id, "SQLite")
    assert problems == [], "\n".join(problems)
    fired = golden_packing.fired()[template_id]
    assert fired >= golden_region.MIN_FIRINGS, f"{template_id}: fires {fired} times in the golden region"


def test_golden_region_rows_identical_on_sqlite(golden_packing: Packing, golden_on_sqlite: list[pa.Table]) -> None:
    """The whole rule set over the golden regions: every row (other instances' findings on a case
    included) and every column agree, in the same order."""
    problems = [line for region, duck, lite in zip(golden_packing.regions, golden_packing.duck, golden_on_sqlite,
                                                   strict=True)
                for line in golden_region.diff_findings(duck, lite, ("DuckDB", "SQLite"), region)]
    assert problems == [], "\n".join(problems[:50])
    for duck, lite in zip(golden_packing.duck, golden_on_sqlite, strict=True):
        assert lite.equals(duck)
    assert {p.case.template for r in golden_packing.regions for p in r.placed} == set(TEMPLATES)


def test_packing_moves_only_declared_templates(golden_packing: Packing) -> None:
    """Cases a shared region would change are those of the templates declared to read whole tables."""
    assert {m.split("/")[0] for m in golden_packing.moved} == set(golden_region.SHARES_BADLY)
    real = sum(1 for c in golden_region.all_cases()  # each runs alone
               if golden_region.keeps_codes(c) or c.template in golden_region.ISOLATED)
    assert len(golden_packing.regions) <= golden_region.REGIONS + len(golden_packing.moved) + real


def _prefixes(case: GoldenCase) -> list[dict[str, pa.Table]]:
    """Every proper prefix of what the real-time path would have seen, in entry order.

    Lines are entered one at a time in tie order (fee_ocur_time, line_id), so each prefix of the
    ordered lines is an order-entry moment. A case without lines (stay rules) grows by whole
    encounters in admission order instead: the patient's history as known when each stay began.
    """
    lines = case.claims["fee_lines"]
    if not lines.num_rows:
        encs = case.claims["encounters"]
        ordered = encs.take(pc.sort_indices(encs, sort_keys=[("adm_time", "ascending"), ("mdtrt_id", "ascending")]))
        return [{**case.claims, "encounters": ordered.slice(0, k)} for k in range(1, ordered.num_rows)]
    # a refund (退费冲销) travels with the line it corrects: it is a correction, not a new order
    is_refund = pc.fill_null(pc.is_valid(lines.column("init_line_id")), False)
    refunds, entered = lines.filter(is_refund), lines.filter(pc.invert(is_refund))
    ordered = entered.take(pc.sort_indices(entered, sort_keys=[("fee_ocur_time", "ascending"),
                                                               ("line_id", "ascending")]))
    out = []
    for k in range(1, ordered.num_rows):
        kept = ordered.slice(0, k)
        mine = refunds.filter(pc.is_in(refunds.column("init_line_id"), value_set=kept.column("line_id")))
        out.append({**case.claims, "fee_lines": pa.concat_tables([kept, mine])})
    return out


def _keys(findings: pa.Table) -> set[tuple[str, str]]:
    return {(r["instance_id"], r["mdtrt_id"]) for r in findings.to_pylist()}


#: templates whose finding a LATER line can withdraw, so a partial encounter may legitimately show a
#: finding the whole encounter does not (分解收费: the panel billed after its components).
NON_MONOTONE: dict[str, str] = {}
REALTIME = sorted(t for t, tpl in load_templates().items() if {"事前", "事中"} & set(tpl.stages))


def test_non_monotone_list_is_current() -> None:
    assert set(NON_MONOTONE) <= set(TEMPLATES)


@pytest.mark.parametrize("template_id", [t for t in REALTIME if t not in NON_MONOTONE])
def test_partial_encounter_findings_are_subset_of_batch(template_id: str) -> None:
    """At every entry point of every golden case the real-time findings (by rule and encounter) are
    among the batch findings; every real-time template is checked at as many cut points as its
    cases have rows to enter, and at least one."""
    checked = 0
    for case in load_cases(template_id):
        batch = _keys(run_case(case, "duckdb"))
        table = "fee_lines" if case.claims["fee_lines"].num_rows else "encounters"
        compiled = CompiledRuleSet.build(case_rulebase(case), "sqlite")
        for part in _prefixes(case):
            backend = SQLiteBackend()
            try:
                found = audit(backend, part, _KB(case.knowledge), case_rulebase(case), compiled=compiled)
            finally:
                backend.close()
            extra = _keys(found) - batch
            assert not extra, f"{template_id} / {case.name} after {part[table].num_rows} rows: {extra}"
            checked += 1
    assert checked == _cut_points(template_id), f"{template_id}: {checked} cut points checked"
    assert checked >= 1, f"{template_id}: no golden case has a partial state to check"


def _cut_points(template_id: str) -> int:
    """Cut points the golden file implies, read from the YAML itself: per case, the lines entered
    (refunds travel with their line) or, without lines, the stays (one encounter by default), less one."""
    doc = yaml.safe_load((GOLDEN_DIR / f"{template_id}.yaml").read_text(encoding="utf-8"))
    total = 0
    for case in doc["cases"]:
        given = case.get("claims", {})
        lines = given.get("fee_lines") or []
        entered = sum(1 for r in lines if not r.get("init_line_id")) if lines else len(given.get("encounters") or [{}])
        total += entered - 1
    return total


def test_every_realtime_template_has_a_cut_point() -> None:
    """Read from the template files, not the loader: every 事前/事中 template is checked above, so
    none escapes the as-of property by lacking a partial state."""
    stages = {p.stem: set(yaml.safe_load(p.read_text(encoding="utf-8")).get("stages", []))
              for p in TEMPLATE_DIR.glob("*.yaml")}
    realtime = {t for t, s in stages.items() if s & {"事前", "事中"}}
    assert realtime == set(REALTIME) and len(realtime) >= 20
    assert not NON_MONOTONE
    missing = sorted(t for t in realtime if _cut_points(t) < 1)
    assert missing == [], f"real-time templates with no cut point in their golden cases: {missing}"


def test_sqlite_types_round_trip() -> None:
    """Dates, timestamps and booleans come back typed, not as SQLite's text and 0/1."""
    backend = SQLiteBackend()
    data = pa.table({"d": pa.array([dt.date(2025, 3, 1), None], pa.date32()),
                     "t": pa.array([dt.datetime(2025, 3, 1, 9, 30), None], pa.timestamp("s")),
                     "b": pa.array([True, None]), "n": pa.array([12345678901234, None], pa.int64()),
                     "s": pa.array(["甲", None])})
    backend.register("x", data)
    got = backend.query("SELECT d, t, b, n, s, n + 1 AS m FROM x ORDER BY n IS NULL")
    assert got.column("d").to_pylist() == [dt.date(2025, 3, 1), None]
    assert got.column("t").to_pylist() == [dt.datetime(2025, 3, 1, 9, 30), None]
    assert got.column("b").to_pylist() == [True, None]
    assert got.column("m").to_pylist() == [12345678901235, None]
    assert got.column("s").to_pylist() == ["甲", None]
    backend.close()


def test_prefix_rewrite_keeps_semantics() -> None:
    """The index-usable prefix probe gives the same rows as the plain prefix predicate."""
    kb = pa.table({"code_prefix": ["X", "XA11", "XA11DAW036A0", "XB", "XA11DAW036A001010104127999"]})
    codes = pa.table({"hilist_code": ["XA11DAW036A001010104127", "XB05", "Y1", None, "XA1"]})
    sql = ("SELECT c.hilist_code, k.code_prefix FROM c JOIN k "
           "ON SUBSTRING(c.hilist_code, 1, LENGTH(k.code_prefix)) = k.code_prefix ORDER BY 1, 2")
    results = []
    for rewrite in (True, False):
        backend = SQLiteBackend(prefix_index=rewrite)
        backend.register("k", kb)
        backend.register("c", codes)
        results.append(backend.query(sql).to_pylist())
        backend.close()
    assert results[0] == results[1]
    assert {"hilist_code": "XA11DAW036A001010104127", "code_prefix": "XA11DAW036A0"} in results[0]
    assert len(results[0]) == 6  # X, XA11, XA11DAW036A0 | X, XB | X


def test_synthetic_region_identical_on_sqlite() -> None:
    """A small synthetic region (medaudit.synth) audited by the whole rule base on both engines."""
    from medaudit.engine.backends.duckdb import DuckDBBackend
    from medaudit.knowledge import default_knowledge
    from medaudit.rules import load_rulebase
    from medaudit.synth import SynthConfig, generate

    rulebase = load_rulebase()
    region = generate(SynthConfig(patients=300, months=2, seed=7))
    duck = DuckDBBackend()
    lite = SQLiteBackend()
    try:
        batch = audit(duck, dict(region.tables), default_knowledge(), rulebase)
        realtime = audit(lite, dict(region.tables), default_knowledge(), rulebase)
    finally:
        duck.close()
        lite.close()
    assert _diff(batch, realtime) == []
    assert batch.num_rows > 0  # the region has injected violations for the rules to find
