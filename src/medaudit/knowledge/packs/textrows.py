"""The whitespace-separated tables the illustrative pack modules are written in."""

from __future__ import annotations


def data_lines(text: str) -> list[list[str]]:
    """The fields of each non-blank line of ``text``, ``#`` comments dropped: a pack module states its
    rows as readable text (name, limits, note) instead of nested literals, and this reads them back."""
    out = []
    for raw in text.strip().splitlines():
        line = raw.split("#", 1)[0].strip()
        if line:
            out.append(line.split())
    return out
