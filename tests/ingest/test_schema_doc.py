"""docs/schema.md is exactly what the generator produces (regenerate: python -m medaudit.schema.doc)."""

from __future__ import annotations

from pathlib import Path

from medaudit.schema import TABLES
from medaudit.schema.doc import render

DOC = Path(__file__).resolve().parents[2] / "docs" / "schema.md"


def test_schema_doc_is_current() -> None:
    assert DOC.read_text(encoding="utf-8") == render(), "run: python -m medaudit.schema.doc > docs/schema.md"


def test_schema_doc_lists_every_column() -> None:
    text = render()
    for t in TABLES.values():
        assert f"## {t.name} " in text
        for c in t.columns:
            assert f"| `{c.name}` |" in text
