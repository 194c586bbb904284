"""Evaluation scores findings against labels by (type, encounter, line)."""

from __future__ import annotations

import pyarrow as pa

from medaudit.evaluate import evaluate


def _findings(rows: list[tuple[str, str, str | None, int]]) -> pa.Table:
    return pa.table({"rule_id": [r[0] for r in rows], "mdtrt_id": [r[1] for r in rows],
                     "line_id": pa.array([r[2] for r in rows], pa.string()), "amount_fen": [r[3] for r in rows]})


def _labels(rows: list[tuple[str, str, str | None, int]]) -> pa.Table:
    t = _findings(rows)
    return t.rename_columns(["violation_type", "mdtrt_id", "line_id", "amount_fen"])


def test_precision_recall_and_amount_per_type() -> None:
    labels = _labels([("drug_gender", "E1", "L1", 1000), ("drug_gender", "E2", "L5", 500),
                      ("split_admission", "E9", None, 30000)])
    findings = _findings([("drug_gender", "E1", "L1", 1000), ("drug_gender", "E3", "L7", 200),
                          ("split_admission", "E9", None, 30000)])
    scores = {s.violation_type: s for s in evaluate(findings, labels)}
    g = scores["drug_gender"]
    assert (g.labels, g.findings, g.matched) == (2, 2, 1)
    assert g.precision == 0.5 and g.recall == 0.5
    assert g.amount_recovered == 1000 / 1500
    s = scores["split_admission"]
    assert s.precision == 1.0 and s.recall == 1.0 and s.amount_recovered == 1.0


def test_findings_of_an_unlabelled_type_have_zero_precision() -> None:
    scores = evaluate(_findings([("over_price", "E1", "L1", 5)]), _labels([]))
    assert scores[0].violation_type == "over_price"
    assert scores[0].precision == 0.0 and scores[0].recall == 1.0


def test_wrong_line_does_not_match() -> None:
    scores = evaluate(_findings([("drug_age", "E1", "L2", 5)]), _labels([("drug_age", "E1", "L1", 5)]))
    assert scores[0].matched == 0


def _kinded(rows: list[tuple[str, str, str | None, int, str]]) -> pa.Table:
    t = _labels([r[:4] for r in rows])
    return t.append_column("kind", pa.array([r[4] for r in rows], pa.string()))


def test_near_misses_boundaries_and_co_occurrences_are_scored_apart() -> None:
    labels = _kinded([
        ("over_price", "E1", "L1", 10, "violation"),
        ("over_price", "E2", "L2", 1, "boundary"), ("over_price", "E3", "L3", 1, "boundary"),
        ("over_price", "E4", "L4", 0, "near_miss"), ("over_price", "E5", "L5", 0, "near_miss"),
        ("over_price", "E6", "L6", 5, "co_occurring"), ("item_over_freq", "E6", "L7", 800, "co_occurring"),
    ])
    # the rule fires at the threshold on E4 (a near-miss), misses the boundary E3 and the co-occurring L7
    findings = _findings([("over_price", "E1", "L1", 10), ("over_price", "E2", "L2", 1),
                          ("over_price", "E4", "L4", 0), ("over_price", "E6", "L6", 5)])
    s = {x.violation_type: x for x in evaluate(findings, labels)}
    p = s["over_price"]
    assert (p.labels, p.findings, p.matched) == (4, 4, 3)  # near-misses are not labels to find
    assert (p.near_misses, p.near_miss_fp) == (2, 1)
    assert p.precision == 0.75 and p.recall == 0.75
    assert (p.boundary_labels, p.boundary_recall) == (2, 0.5)
    assert (p.co_labels, p.co_recall) == (1, 1.0)
    f = s["item_over_freq"]
    assert (f.co_labels, f.co_recall, f.recall, f.near_misses) == (1, 0.0, 0.0, 0)


def test_labels_without_kind_are_violations_and_unknown_kinds_are_refused() -> None:
    import pytest

    from medaudit.errors import InputError

    s = evaluate(_findings([("drug_age", "E1", "L1", 5)]), _labels([("drug_age", "E1", "L1", 5)]))[0]
    assert (s.recall, s.near_misses, s.boundary_labels) == (1.0, 0, 0)
    with pytest.raises(InputError, match="kind"):
        evaluate(_findings([]), _kinded([("drug_age", "E1", "L1", 5, "maybe")]))


def test_default_region_scores_one_with_boundaries_measured(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """On a generated region every label kind is present and the pinned rules score 1.000, with no
    near-miss false positive — the figures `medaudit evaluate` shows (a consistency check)."""
    from medaudit.engine.batch import run_batch
    from medaudit.knowledge import default_knowledge
    from medaudit.rules.loader import NATIONAL_PACK, load_rulebase
    from medaudit.synth import SynthConfig, generate, write

    region = generate(SynthConfig(patients=600, months=3, seed=3))
    write(region, tmp_path, "parquet")
    res = run_batch(str(tmp_path), default_knowledge(), load_rulebase([NATIONAL_PACK]), engine="duckdb")
    scores = evaluate(res.findings, region.labels)
    assert scores and all(x.precision == 1.0 and x.recall == 1.0 for x in scores), \
        [(x.violation_type, x.precision, x.recall) for x in scores if x.precision < 1 or x.recall < 1]
    assert sum(x.near_misses for x in scores) > 0 and sum(x.near_miss_fp for x in scores) == 0
    assert sum(x.boundary_labels for x in scores) > 0 and all(x.boundary_recall == 1.0 for x in scores)
    assert sum(x.co_labels for x in scores) > 0 and all(x.co_recall == 1.0 for x in scores)
