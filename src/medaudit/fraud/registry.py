"""The model registry and layered fraud-model packs (same layering as rule packs).

A pack is a YAML file with a manifest (reused from rule packs) and one entry per model: its version
and parameter values. Later layers (province, city) override earlier ones; ``enabled: false``
switches a model off. Parameters a model does not declare are refused, as for rule instances.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from medaudit.errors import RuleError
from medaudit.rules.model import PackManifest

from .model import FraudModel

NATIONAL_FRAUD_PACK = Path(__file__).parent / "packs" / "national.yaml"

#: model id → model class, in run order (the suspicion index runs last: it reads the others' clues)
MODELS: dict[str, type[FraudModel]] = {}


def register(cls: type[FraudModel]) -> type[FraudModel]:
    MODELS[cls.spec.id] = cls
    return cls


def _load_models() -> None:
    """Import every model module once (each registers itself)."""
    from medaudit.fraud import models  # noqa: F401


def all_models() -> dict[str, type[FraudModel]]:
    _load_models()
    return MODELS


class ModelEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    version: int | None = None
    params: dict[str, Any] = {}
    enabled: bool = True


@dataclass
class FraudPack:
    """Models that survive layering with their effective parameters."""

    entries: dict[str, ModelEntry]
    versions: dict[str, str] = field(default_factory=dict)

    def params(self, model_id: str) -> dict[str, Any]:
        spec = all_models()[model_id].spec
        values = {p.name: p.default for p in spec.params}
        entry = self.entries.get(model_id)
        if entry is not None:
            values.update(entry.params)
        return values

    def active(self, only: list[str] | None = None) -> list[str]:
        models = all_models()
        unknown = sorted(set(only or []) - set(models))
        if unknown:
            raise RuleError(f"未知反欺诈模型 / unknown fraud model: {unknown} (可用 / known: {sorted(models)})")
        return [m for m in models if (only is None or m in only)
                and (m not in self.entries or self.entries[m].enabled)]

    @property
    def version_label(self) -> str:
        return "+".join(f"{k}:{v}" for k, v in self.versions.items())


def _read(path: Path) -> tuple[PackManifest, list[ModelEntry]]:
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        return PackManifest(**doc["manifest"]), [ModelEntry(**row) for row in doc.get("models", [])]
    except (OSError, KeyError, TypeError, yaml.YAMLError, ValidationError) as exc:
        raise RuleError(f"反欺诈模型包无效 / invalid fraud-model pack {path}: {exc}") from exc


def load_fraud_pack(packs: list[Path] | None = None) -> FraudPack:
    models = all_models()
    entries: dict[str, ModelEntry] = {}
    versions: dict[str, str] = {}
    for path in [NATIONAL_FRAUD_PACK, *(packs or [])]:
        file = path / "fraud.yaml" if path.is_dir() else path
        manifest, rows = _read(file)
        versions[manifest.name] = manifest.version
        for row in rows:
            if row.id not in models:
                raise RuleError(f"模型包引用了不存在的模型 / pack {file} names unknown model {row.id}")
            spec = models[row.id].spec
            extra = set(row.params) - {p.name for p in spec.params}
            if extra:
                raise RuleError(f"模型 {row.id} 含未知参数 / unknown parameters: {sorted(extra)}")
            if row.version is not None and row.version != spec.version:
                raise RuleError(f"模型包要求 {row.id} v{row.version}，已安装 v{spec.version} / "
                                f"pack wants {row.id} v{row.version}, installed v{spec.version}")
            if row.id in entries:
                merged = {**entries[row.id].params, **row.params}
                row = row.model_copy(update={"params": merged})
            entries[row.id] = row
    return FraudPack(entries, versions)
