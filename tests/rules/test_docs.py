"""docs/rules.md is generated from the template metadata and must be current."""

from __future__ import annotations

from medaudit.rules.doc import render
from medaudit.rules.loader import load_templates
from medaudit.rules.mutate import TemplateScore

# docs/rules.md being current is checked in test_mutate.py, which already holds a mutation run.


def test_doc_lists_every_template_and_parameter() -> None:
    text = render({tid: TemplateScore(tid) for tid in load_templates()})
    for t in load_templates().values():
        assert f"`{t.id}`" in text
        for p in t.params:
            assert f"`{p.name}`" in text
