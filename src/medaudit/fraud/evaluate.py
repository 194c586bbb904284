"""Scoring clues against the synthetic fraud labels: per model precision@k, recall, AUC, look-alike FPs.

Labels ``fraud:<model>`` mark the encounters a scheme added; their ``note`` names the subject (a
person, pharmacy, stay, or a group id whose members are the encounters' persons). ``lookalike:<model>``
labels mark what must not light up. k is the number of labelled subjects; a group clue matches a
labelled group when the member Jaccard is at least 0.5.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

FRAUD, LOOKALIKE = "fraud:", "lookalike:"


@dataclass
class ModelScore:
    model_id: str
    labelled: int
    clues: int
    precision_at_k: float
    precision: float
    recall: float
    auc: float | None
    lookalikes: int
    lookalike_fp: int

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def _subjects(labels: pa.Table, encounters: pa.Table, prefix: str) -> dict[str, list[frozenset[str]]]:
    """model → labelled subjects (each a set of subject ids: one id, or a group's members)."""
    enc = dict(zip(encounters.column("mdtrt_id").to_pylist(),
                   zip(encounters.column("psn_no").to_pylist(), encounters.column("fixmedins_code").to_pylist(),
                       strict=True), strict=True))
    groups: dict[tuple[str, str], set[str]] = defaultdict(set)
    for vt, m, note in zip(labels.column("violation_type").to_pylist(), labels.column("mdtrt_id").to_pylist(),
                           labels.column("note").to_pylist(), strict=True):
        if not str(vt).startswith(prefix):
            continue
        model = str(vt)[len(prefix):]
        psn, inst = enc.get(m, (None, None))
        subject = {"drug_resale": psn, "card_cashout": inst, "phantom_stay": m}.get(model)
        if model == "care_ring":
            groups[(model, str(note))].add(str(psn))
        elif subject is not None:
            groups[(model, str(subject))].add(str(subject))
    out: dict[str, list[frozenset[str]]] = defaultdict(list)
    for (model, _), members in groups.items():
        out[model].append(frozenset(members))
    return out


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a | b else 0.0


def _auc(scores_pos: list[float], scores_neg: list[float]) -> float | None:
    if not scores_pos or not scores_neg:
        return None
    wins = sum((p > n) + 0.5 * (p == n) for p in scores_pos for n in scores_neg)
    return wins / (len(scores_pos) * len(scores_neg))


def _best(score_of: dict[frozenset[str], float], subject: frozenset[str], thr: float) -> float:
    """The highest clue score matching ``subject`` (0 when no clue does)."""
    return max([v for k, v in score_of.items() if _jaccard(k, subject) >= thr] or [0.0])


def evaluate_clues(clues: pa.Table, labels: pa.Table, encounters: pa.Table) -> list[ModelScore]:
    pos = _subjects(labels, encounters, FRAUD)
    neg = _subjects(labels, encounters, LOOKALIKE)
    out = []
    for model in sorted(pos):
        rows = [r for r in clues.select(["model_id", "subject_ids", "score", "rank"]).to_pylist()
                if r["model_id"] == model]
        rows.sort(key=lambda r: r["rank"])
        truth = pos[model]
        thr = 0.5 if model == "care_ring" else 1.0

        def match(subj: frozenset[str], pool: list[frozenset[str]], thr: float = thr) -> bool:
            return any(_jaccard(subj, t) >= thr for t in pool)

        hits = [match(frozenset(r["subject_ids"]), truth) for r in rows]
        k = len(truth)
        found = sum(1 for t in truth if any(_jaccard(frozenset(r["subject_ids"]), t) >= thr for r in rows))
        looks = neg.get(model, [])
        fp = sum(1 for r in rows if match(frozenset(r["subject_ids"]), looks, 0.5 if model == "care_ring" else 1.0))
        auc = None
        if looks:  # ranking: labelled subjects vs look-alikes (score 0 when no clue)
            score_of = {frozenset(r["subject_ids"]): r["score"] for r in rows}
            auc = _auc([_best(score_of, t, thr) for t in truth], [_best(score_of, s, thr) for s in looks])
        out.append(ModelScore(model, k, len(rows), sum(hits[:k]) / k if k else 1.0,
                              sum(hits) / len(rows) if rows else (1.0 if not k else 0.0),
                              found / k if k else 1.0, auc, len(looks), fp))
    return out


def evaluate_folder(clues_path: Path, labels_path: Path) -> list[ModelScore]:
    """``labels.parquet`` sits in the synthetic region's folder next to ``encounters.parquet``."""
    enc = labels_path.parent / "encounters.parquet"
    return evaluate_clues(pq.read_table(clues_path), pq.read_table(labels_path),
                          pq.read_table(enc, columns=["mdtrt_id", "psn_no", "fixmedins_code"]))


def print_scores(scores: list[ModelScore]) -> None:
    from medaudit.commands.common import print_table

    print_table("反欺诈模型评估 / fraud models", ["模型", "标注对象", "线索数", "precision@k", "查准率", "查全率", "AUC",
                                          "相似正常对象", "误报相似对象"],
                [[s.model_id, s.labelled, s.clues, f"{s.precision_at_k:.3f}", f"{s.precision:.3f}", f"{s.recall:.3f}",
                  "" if s.auc is None else f"{s.auc:.3f}", s.lookalikes, s.lookalike_fp] for s in scores])
