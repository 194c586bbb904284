"""The published OpenAPI document is valid and self-contained (every $ref resolves)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from openapi_spec_validator import validate

Client = tuple[TestClient, dict[str, str]]


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        own = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return own + [r for v in node.values() for r in _refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in _refs(v)]
    return []


def _resolve(doc: dict[str, Any], ref: str) -> Any:
    assert ref.startswith("#/"), ref
    node: Any = doc
    for part in ref[2:].split("/"):
        assert isinstance(node, dict) and part in node, f"dangling $ref {ref}"
        node = node[part]
    return node


def test_openapi_is_valid_and_every_ref_resolves(client: Client) -> None:
    c, _ = client
    doc = c.get("/openapi.json").json()
    validate(doc)
    refs = set(_refs(doc))
    for name in ("AuditRequest", "PatientDTO", "EncounterDTO", "OrderDTO", "DiagnoseDTO", "OperationDTO",
                 "AuditOutput", "Result", "Detail", "FeedbackRequest", "Warn", "ErrorBody", "Lookups"):
        assert f"#/components/schemas/{name}" in refs
    for ref in refs:
        _resolve(doc, ref)
    body = doc["paths"]["/api/3101"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert {r["$ref"] for r in body["anyOf"]} == {"#/components/schemas/AuditRequest",
                                                 "#/components/schemas/AuditRequestEnvelope"}
    assert "429" in doc["paths"]["/api/3101"]["post"]["responses"]
