"""docs/rules.md is generated from the template metadata and must be current."""

from __future__ import annotations

from pathlib import Path

from medaudit.rules.doc import render
from medaudit.rules.loader import load_templates

DOC = Path(__file__).resolve().parents[2] / "docs" / "rules.md"


def test_rules_doc_is_up_to_date() -> None:
    assert DOC.read_text(encoding="utf-8") == render(), "run: medaudit rules docs > docs/rules.md"


def test_doc_lists_every_template_and_parameter() -> None:
    text = render()
    for t in load_templates().values():
        assert f"`{t.id}`" in text
        for p in t.params:
            assert f"`{p.name}`" in text
