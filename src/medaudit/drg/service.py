"""The configured grouper, built once per process (tables and code lists are cached by path)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from medaudit.drg.grouper import Grouper
from medaudit.drg.tables import grouper_dir, load_tables
from medaudit.knowledge.codes import load_diagnoses, load_procedures


@lru_cache(maxsize=4)
def _build(folder: Path) -> Grouper:
    ref = folder.parent
    dx, pr = load_diagnoses(ref), load_procedures(ref)
    # validity is only checked against the complete official lists, never against the built-in sample
    return Grouper(load_tables(folder), frozenset(dx.codes) if dx.complete else None,
                   frozenset(pr.codes) if pr.complete else None)


def default_grouper(folder: Path | None = None) -> Grouper:
    return _build((folder or grouper_dir()).resolve())
