"""住院天数异常（按主要诊断）and 体检式住院 measured on a region large enough for their groups.

The shared regions (tests/synth/conftest.py) hold too few stays per main diagnosis for groups of 20,
so this region injects only these two types (and abnormal_los, whose 61+ day stays co-occur with
los_by_diagnosis) into a larger population: the rule engine must find exactly the labels, evaluate
must score 1.0, every label must pass its independent check, and near-misses and boundaries must sit
at their thresholds.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from medaudit.synth import SCHEMES, SynthConfig, SynthResult, generate, write

from .test_labels import World, check, threshold_offset

TYPES = ("los_by_diagnosis", "checkup_admission", "abnormal_los")
RATES = {k: 0.0 for k in SCHEMES} | {"los_by_diagnosis": 0.05, "edge_los_by_diagnosis": 0.03, "abnormal_los": 0.02,
                                     "checkup_admission": 0.04, "edge_checkup_admission": 0.04}


@pytest.fixture(scope="module")
def los_region() -> SynthResult:
    return generate(SynthConfig(patients=3000, months=6, seed=1, rates=RATES))


def test_labels_are_in_the_data_at_their_thresholds(los_region: SynthResult) -> None:
    w = World(los_region)
    labels = los_region.labels.to_pylist()
    kinds = Counter((lab["violation_type"], lab["kind"]) for lab in labels)
    for t in ("los_by_diagnosis", "checkup_admission"):
        assert kinds[(t, "violation")] + kinds[(t, "boundary")] >= 3 and kinds[(t, "near_miss")] >= 2, kinds
    assert kinds[("los_by_diagnosis", "co_occurring")] >= 1, kinds
    for lab in labels:
        if lab["kind"] != "near_miss":
            check(w, lab)
        if lab["kind"] in ("near_miss", "boundary"):
            off = threshold_offset(w, lab)
            assert off in ((0, -1) if lab["kind"] == "near_miss" else (1,)), (lab, off)


def test_engine_finds_exactly_the_labels_and_evaluate_scores_one(los_region: SynthResult, tmp_path: Path) -> None:
    from medaudit.engine.batch import run_batch
    from medaudit.evaluate import evaluate
    from medaudit.knowledge import default_knowledge
    from medaudit.rules.loader import NATIONAL_PACK, load_rulebase

    write(los_region, tmp_path, "parquet")
    res = run_batch(str(tmp_path), default_knowledge(), load_rulebase([NATIONAL_PACK]), engine="duckdb")
    got = Counter((r["rule_id"], r["mdtrt_id"], r["line_id"], r["amount_fen"]) for r in res.findings.to_pylist())
    labels = los_region.labels.to_pylist()
    want = Counter((r["violation_type"], r["mdtrt_id"], r["line_id"], r["amount_fen"]) for r in labels
                   if r["kind"] != "near_miss")
    assert got == want, (sorted(set(got) - set(want))[:5], sorted(set(want) - set(got))[:5])
    scores = {s.violation_type: s for s in evaluate(res.findings, los_region.labels)}
    for t in TYPES:
        s = scores[t]
        assert s.precision >= 0.99 and s.recall >= 0.99 and s.near_miss_fp == 0, s
    assert scores["los_by_diagnosis"].near_misses > 0 and scores["checkup_admission"].boundary_labels > 0


def test_checker_finds_exactly_the_labels(los_region: SynthResult) -> None:
    from medaudit.knowledge import default_knowledge
    from medaudit.synth.checker import SCOPE
    from medaudit.synth.oracle import checker_findings

    got = {k for k in checker_findings(dict(default_knowledge().tables), los_region.tables) if SCOPE.get(k[0], "") is None}
    labels = los_region.labels.to_pylist()
    want = {(r["violation_type"], r["mdtrt_id"], r["line_id"]) for r in labels
            if r["kind"] != "near_miss" and SCOPE.get(r["violation_type"], "") is None}
    near = {(r["violation_type"], r["mdtrt_id"], r["line_id"]) for r in labels if r["kind"] == "near_miss"}
    assert got == want, (sorted(got - want)[:5], sorted(want - got)[:5])
    assert not got & near
