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
