"""Scoring findings against synthetic labels: precision, recall and amount recovered per type.

A finding matches a label when the rule template id equals the violation type and the encounter and
offending line (NULL for encounter-level types) are the same.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import pyarrow as pa


@dataclass
class TypeScore:
    violation_type: str
    labels: int
    findings: int
    matched: int
    precision: float
    recall: float
    label_amount_fen: int
    matched_amount_fen: int
    amount_recovered: float

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def _key(row: dict[str, object], type_col: str) -> tuple[object, object, object]:
    return (row[type_col], row["mdtrt_id"], row.get("line_id"))


def evaluate(findings: pa.Table, labels: pa.Table) -> list[TypeScore]:
    f_rows = findings.select(["rule_id", "mdtrt_id", "line_id", "amount_fen"]).to_pylist()
    l_rows = [r for r in labels.select(["violation_type", "mdtrt_id", "line_id", "amount_fen"]).to_pylist()
              if ":" not in str(r["violation_type"])]  # fraud:/lookalike: labels: medaudit.fraud.evaluate
    f_keys = {_key(r, "rule_id"): r for r in f_rows}
    l_keys = {_key(r, "violation_type"): r for r in l_rows}
    types = sorted({k[0] for k in l_keys} | {k[0] for k in f_keys}, key=str)
    scores = []
    for t in types:
        fk = {k for k in f_keys if k[0] == t}
        lk = {k for k in l_keys if k[0] == t}
        hit = fk & lk
        label_amt = sum(int(l_keys[k]["amount_fen"] or 0) for k in lk)  # type: ignore[call-overload]
        matched_amt = sum(min(int(f_keys[k]["amount_fen"] or 0), int(l_keys[k]["amount_fen"] or 0))  # type: ignore[call-overload]
                          for k in hit)
        scores.append(TypeScore(
            violation_type=str(t), labels=len(lk), findings=len(fk), matched=len(hit),
            precision=len(hit) / len(fk) if fk else (1.0 if not lk else 0.0),
            recall=len(hit) / len(lk) if lk else 1.0,
            label_amount_fen=label_amt, matched_amount_fen=matched_amt,
            amount_recovered=matched_amt / label_amt if label_amt else 1.0,
        ))
    return scores
