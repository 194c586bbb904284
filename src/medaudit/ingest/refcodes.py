"""The code sets ingest validates against, taken from the knowledge base's code lists.

``medaudit.knowledge.codes`` owns reading the official tables (and the built-in fallback); ingest
only needs "does this code exist" plus the notice to show when the full lists are absent.
"""

from __future__ import annotations

from medaudit.knowledge.codes import load_diagnoses, load_procedures

#: human-readable notices about fallbacks taken (shown once by the CLI)
NOTICES: list[str] = []


def _note(notice: str | None) -> None:
    if notice and notice not in NOTICES:
        NOTICES.append(notice)


def diagnosis_codes() -> frozenset[str]:
    """医保版 ICD-10 diagnosis codes (ZD_INFO.dat, or the built-in list with a notice)."""
    codes = load_diagnoses()
    _note(codes.notice)
    return frozenset(codes.codes)


def operation_codes() -> frozenset[str]:
    """医保版 ICD-9-CM-3 procedure codes (SS_INFO.dat, or the built-in list with a notice)."""
    codes = load_procedures()
    _note(codes.notice)
    return frozenset(codes.codes)
