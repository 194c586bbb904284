"""Scoring findings against synthetic labels: precision, recall and amount recovered per type, and
how each rule behaves at its thresholds.

A finding matches a label when the rule template id equals the violation type and the encounter and
offending line (NULL for encounter-level types) are the same. Labels carry a ``kind``
(synth/boundary.py): ``violation``, ``boundary`` (just over a threshold) and ``co_occurring``
(beside another type in one encounter) must be found; ``near_miss`` (at a threshold) must not. A
finding on a near-miss is counted as a near-miss false positive (and lowers precision); boundary
and co-occurrence recall are the recall on those labels alone. Label files without ``kind`` are all
violations.

These figures compare the rules with the generator's checker, a second statement of the same spec
that is itself checked against the golden cases (tests/synth/test_checker_agrees.py): they are a
consistency check, not accuracy on real claims.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import pyarrow as pa

from medaudit.errors import InputError

NEAR_MISS = "near_miss"
MUST_FIRE = ("violation", "boundary", "co_occurring")


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
    near_misses: int = 0
    near_miss_fp: int = 0
    boundary_labels: int = 0
    boundary_recall: float = 1.0
    co_labels: int = 0
    co_recall: float = 1.0

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


Key = tuple[object, object, object]


def _key(row: dict[str, object], type_col: str) -> Key:
    return (row[type_col], row["mdtrt_id"], row.get("line_id"))


def _recall(hit: set[Key], want: set[Key]) -> float:
    return len(hit & want) / len(want) if want else 1.0


def evaluate(findings: pa.Table, labels: pa.Table) -> list[TypeScore]:
    f_rows = findings.select(["rule_id", "mdtrt_id", "line_id", "amount_fen"]).to_pylist()
    cols = ["violation_type", "mdtrt_id", "line_id", "amount_fen"]
    has_kind = "kind" in labels.column_names
    l_rows = [r for r in labels.select(cols + (["kind"] if has_kind else [])).to_pylist()
              if ":" not in str(r["violation_type"])]  # fraud:/lookalike: labels: medaudit.fraud.evaluate
    f_keys = {_key(r, "rule_id"): r for r in f_rows}
    by_kind: dict[str, dict[Key, dict[str, object]]] = {k: {} for k in (*MUST_FIRE, NEAR_MISS)}
    for r in l_rows:
        kind = str(r.get("kind") or "violation")
        if kind not in by_kind:
            raise InputError(f"未知标注类别 / unknown label kind: {kind}")
        by_kind[kind][_key(r, "violation_type")] = r
    l_keys = {k: r for kind in MUST_FIRE for k, r in by_kind[kind].items()}
    near = set(by_kind[NEAR_MISS])
    types = sorted({k[0] for k in l_keys} | {k[0] for k in f_keys} | {k[0] for k in near}, key=str)
    scores = []
    for t in types:
        fk = {k for k in f_keys if k[0] == t}
        lk = {k for k in l_keys if k[0] == t}
        nk = {k for k in near if k[0] == t}
        bk = {k for k in by_kind["boundary"] if k[0] == t}
        ck = {k for k in by_kind["co_occurring"] if k[0] == t}
        hit = fk & lk
        label_amt = sum(int(l_keys[k]["amount_fen"] or 0) for k in lk)  # type: ignore[call-overload]
        matched_amt = sum(min(int(f_keys[k]["amount_fen"] or 0), int(l_keys[k]["amount_fen"] or 0))  # type: ignore[call-overload]
                          for k in hit)
        scores.append(TypeScore(
            violation_type=str(t), labels=len(lk), findings=len(fk), matched=len(hit),
            precision=len(hit) / len(fk) if fk else (1.0 if not lk else 0.0),
            recall=_recall(hit, lk),
            label_amount_fen=label_amt, matched_amount_fen=matched_amt,
            amount_recovered=matched_amt / label_amt if label_amt else 1.0,
            near_misses=len(nk), near_miss_fp=len(fk & nk),
            boundary_labels=len(bk), boundary_recall=_recall(fk, bk),
            co_labels=len(ck), co_recall=_recall(fk, ck),
        ))
    return scores
