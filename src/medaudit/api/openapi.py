"""The published OpenAPI document: self-contained, so client generators and fuzzers can use it.

Handlers parse bodies themselves (lenient national input, mapping.py), so request bodies are not
FastAPI parameters; their schemas are added here as components, with every nested model hoisted
under ``#/components/schemas`` (answers too) — a ``$ref`` that points nowhere breaks HIS integrators' generators.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from . import models as m

REF = "#/components/schemas/{model}"

#: every model the routes reference by ``$ref`` (bodies the handlers read themselves, and answers
#: they build as Response objects)
DOC_MODELS: tuple[type[BaseModel], ...] = (
    m.AuditRequest, m.AuditRequestEnvelope, m.FeedbackRequest, m.FeedbackRequestEnvelope,
    m.AuditOutput, m.AuditEnvelope, m.FeedbackOutput, m.FeedbackEnvelope, m.ErrorBody, m.ErrorEnvelope,
    m.FeedbackStats, m.StageTiming, m.Health, m.Lookups,
)


def ref(model: type[BaseModel]) -> dict[str, str]:
    return {"$ref": REF.format(model=model.__name__)}


def body(*variants: type[BaseModel]) -> dict[str, Any]:
    schema = ref(variants[0]) if len(variants) == 1 else {"anyOf": [ref(v) for v in variants]}
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


def install(app: FastAPI) -> None:
    """Replace ``app.openapi`` by one that adds the body components (built once, then cached)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            doc = get_openapi(title=app.title, version=app.version, description=app.description,
                              routes=app.routes)
            _, defs = models_json_schema([(mdl, "validation") for mdl in DOC_MODELS], ref_template=REF)
            doc.setdefault("components", {}).setdefault("schemas", {}).update(defs.get("$defs", {}))
            app.openapi_schema = doc
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
