"""Minimal readers for the national code lists ingest validates against.

Kept deliberately tiny: ``medaudit.knowledge.codes`` owns the full code-list API; ingest only needs
"does this code exist" and must not wait for (or depend on) the knowledge package. Files follow the
OpenDRG layout under ``medaudit.settings.reference_dir()``: one ``CODE NAME`` record a line, UTF-8.

When the reference folder is absent a small built-in list is used and ``NOTICES`` records why, so
the CLI can tell the user that code validation ran against a fallback.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from medaudit.settings import reference_dir

#: a few real 医保版 codes so ingest still works (tests, demos) without the reference folder
_FALLBACK_DIAGNOSES = frozenset(
    {"A00.000", "A00.000x001", "A00.100", "A00.900", "E11.900", "I10.x00", "I63.900", "J18.900", "K35.800", "N18.500"}
)
_FALLBACK_OPERATIONS = frozenset({"00.0100", "00.0101", "00.0102", "00.0200", "47.0100", "47.0900"})

#: human-readable notices about fallbacks taken (shown once by the CLI)
NOTICES: list[str] = []


def _read_codes(path: Path) -> frozenset[str]:
    codes: set[str] = set()
    with path.open(encoding="utf-8-sig", errors="replace") as fh:
        for line in fh:
            code = line.split(" ", 1)[0].strip()
            if code:
                codes.add(code)
    return frozenset(codes)


def _load(file_name: str, fallback: frozenset[str], what: str) -> frozenset[str]:
    path = reference_dir() / file_name
    if path.is_file():
        return _read_codes(path)
    NOTICES.append(
        f"未找到参考代码表 {path}，{what}仅按内置小清单校验 / reference list {path} not found; "
        f"{what} validated against a small built-in list"
    )
    return fallback


@lru_cache(maxsize=1)
def diagnosis_codes() -> frozenset[str]:
    """医保版 ICD-10 diagnosis codes (ZD_INFO.dat)."""
    return _load("ZD_INFO.dat", _FALLBACK_DIAGNOSES, "诊断代码")


@lru_cache(maxsize=1)
def operation_codes() -> frozenset[str]:
    """医保版 ICD-9-CM-3 procedure codes (SS_INFO.dat)."""
    return _load("SS_INFO.dat", _FALLBACK_OPERATIONS, "手术操作代码")
