"""The clue contract (线索) and what a fraud model is, independent of any engine.

A clue's id is a hash of the model id and its sorted subject ids: stable across re-runs, data
refreshes and model versions, so a reviewer's decision on a clue follows the same subjects.
"""

from __future__ import annotations

import hashlib
import json
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

import pyarrow as pa
from pydantic import BaseModel, ConfigDict, Field

SubjectType = Literal["patient", "institution", "staff", "pharmacy", "encounter", "group"]
SUBJECT_ZH = {"patient": "参保人", "institution": "定点医疗机构", "staff": "医保医师", "pharmacy": "定点零售药店",
              "encounter": "就诊", "group": "团伙"}

#: how many encounter and line ids a clue carries as evidence (the full set is re-derivable by SQL)
MAX_EVIDENCE_IDS = 200


class Param(BaseModel):
    """A model parameter: a default in the model, a value per pack layer (like rule-template params)."""

    model_config = ConfigDict(extra="forbid")
    name: str
    type: Literal["int", "float", "str", "bool", "list"] = "float"
    default: Any
    zh: str = Field(description="中文说明")


class ModelSpec(BaseModel):
    """A model's card: what `medaudit fraud show` prints and docs/fraud.md documents."""

    model_config = ConfigDict(extra="forbid")
    id: str
    name: str
    version: int = 1
    subject_type: SubjectType
    logic: str = Field(description="模型逻辑（中文）")
    features: str = Field(description="特征说明（中文）")
    lookalikes: str = Field(description="需排除的相似正常情形（中文）")
    narrative: str = Field(description="线索叙述模板, {figure} placeholders")
    score: str = Field(description="评分方法")
    params: list[Param] = []


@dataclass
class Clue:
    """One subject (or group) a model flags, before ranking; ``figures`` drive the score."""

    subject_ids: list[str]
    score: float
    amount_fen: int
    narrative: str
    figures: dict[str, Any]
    encounter_ids: list[str] = field(default_factory=list)
    line_ids: list[str] = field(default_factory=list)
    fixmedins_code: str | None = None
    medins_admdvs: str | None = None


class FraudModel(ABC):
    """One model: per-subject features in SQL (DuckDB dialect, transpiled), scoring in Python.

    ``features`` are materialised in order (a later one may read an earlier one by name); ``score``
    receives them as Arrow tables, one row per subject, plus the effective parameters and, for models
    that combine others (the suspicion index), the rule findings and the clues emitted so far.
    """

    spec: ClassVar[ModelSpec]
    features: ClassVar[list[tuple[str, str]]] = []

    @abstractmethod
    def score(self, feats: dict[str, pa.Table], params: dict[str, Any], context: ScoringContext) -> list[Clue]:
        """Clues for the subjects this model flags."""


@dataclass
class ScoringContext:
    """What a model may read besides its own features."""

    findings: pa.Table | None = None
    clues: pa.Table | None = None


def clue_id(model_id: str, subject_ids: list[str]) -> str:
    key = "\x1f".join([model_id, *sorted(subject_ids)])
    return hashlib.sha1(key.encode("utf-8")).hexdigest()[:20]


CLUES_SCHEMA = pa.schema([
    ("clue_id", pa.string()),
    ("model_id", pa.string()),
    ("model_name", pa.string()),
    ("model_version", pa.int32()),
    ("pack_version", pa.string()),
    ("subject_type", pa.string()),
    ("subject_ids", pa.list_(pa.string())),
    ("subject_count", pa.int32()),
    ("score", pa.float64()),
    ("rank", pa.int32()),
    ("amount_fen", pa.int64()),
    ("encounter_ids", pa.list_(pa.string())),
    ("line_ids", pa.list_(pa.string())),
    ("evidence", pa.string()),
    ("narrative", pa.string()),
    ("fixmedins_code", pa.string()),
    ("medins_admdvs", pa.string()),
    ("review_status", pa.string()),
])

#: the review workflow's starting state for every new clue (线索处置: 待核查 → 核查中 → 已立案/已排除)
NEW_STATUS = "待核查"


def _plain(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 4)
    if hasattr(value, "item"):  # numpy scalars
        return _plain(value.item())
    return value


def clues_table(spec: ModelSpec, pack_version: str, clues: list[Clue]) -> pa.Table:
    """Ranked clues of one model (highest score first; ties by clue id, so the order is stable)."""
    rows = []
    keyed = [(clue_id(spec.id, c.subject_ids), c) for c in clues]
    keyed.sort(key=lambda kc: (-kc[1].score, kc[0]))
    for rank, (cid, c) in enumerate(keyed, start=1):
        if not 0.0 <= c.score <= 1.0:
            raise ValueError(f"{spec.id}: score out of [0, 1]: {c.score}")
        rows.append({
            "clue_id": cid, "model_id": spec.id, "model_name": spec.name, "model_version": spec.version,
            "pack_version": pack_version, "subject_type": spec.subject_type,
            "subject_ids": sorted(c.subject_ids), "subject_count": len(c.subject_ids),
            "score": float(c.score), "rank": rank, "amount_fen": int(c.amount_fen),
            "encounter_ids": sorted(set(c.encounter_ids))[:MAX_EVIDENCE_IDS],
            "line_ids": sorted(set(c.line_ids))[:MAX_EVIDENCE_IDS],
            "evidence": json.dumps({k: _plain(v) for k, v in c.figures.items()}, ensure_ascii=False, sort_keys=True),
            "narrative": c.narrative, "fixmedins_code": c.fixmedins_code, "medins_admdvs": c.medins_admdvs,
            "review_status": NEW_STATUS,
        })
    return pa.Table.from_pylist(rows, schema=CLUES_SCHEMA)
