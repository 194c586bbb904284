"""Pydantic models derived from the column specs (never written by hand)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, create_model

from .columns import Kind, Table
from .tables import TABLES

PY_TYPES: dict[Kind, Any] = {
    "str": str,
    "int": int,
    "bool": bool,
    "date": dt.date,
    "timestamp": dt.datetime,
    "fen": int,
    "milli": int,
}


class CanonicalRow(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def build_model(table: Table) -> type[CanonicalRow]:
    fields: dict[str, Any] = {}
    for col in table.columns:
        typ = PY_TYPES[col.kind]
        kwargs: dict[str, Any] = {"description": f"{col.zh} / {col.en}"}
        if col.pattern:
            kwargs["pattern"] = col.pattern
        if col.required:
            fields[col.name] = (typ, Field(..., **kwargs))
        else:
            fields[col.name] = (typ | None, Field(None, **kwargs))
    name = "".join(part.capitalize() for part in table.name.split("_"))
    return create_model(name, __base__=CanonicalRow, **fields)


MODELS: dict[str, type[CanonicalRow]] = {name: build_model(t) for name, t in TABLES.items()}
Patient = MODELS["patients"]
Institution = MODELS["institutions"]
Staff = MODELS["staff"]
Encounter = MODELS["encounters"]
FeeLine = MODELS["fee_lines"]
Diagnosis = MODELS["diagnoses"]
Operation = MODELS["operations"]
