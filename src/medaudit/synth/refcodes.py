"""Real 医保版 ICD-10 diagnoses and ICD-9-CM-3 procedures, with the demographic limits synth respects.

Codes are never invented: every synthetic diagnosis and procedure is drawn from the official lists in
:func:`medaudit.settings.reference_dir` (through :mod:`medaudit.knowledge.codes` when available).
The demographic limits below are the clinical facts a reviewer would find absurd to see violated
(a man with a pregnancy code, an adult with a perinatal code); they keep clean data clean.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True)
class CodeBook:
    """A sorted code list with names, searchable by prefix."""

    codes: tuple[str, ...]
    names: tuple[str, ...]

    def with_prefix(self, prefix: str) -> list[int]:
        """Indices of codes starting with ``prefix`` (the list is sorted, so they are contiguous)."""
        lo = bisect_left(self.codes, prefix)
        hi = lo
        while hi < len(self.codes) and self.codes[hi].startswith(prefix):
            hi += 1
        return list(range(lo, hi))

    def name(self, code: str) -> str:
        i = bisect_left(self.codes, code)
        return self.names[i] if i < len(self.codes) and self.codes[i] == code else ""


def _load(kind: str) -> CodeBook:
    """The knowledge base's code list (the official table, or its built-in fallback with a notice)."""
    from medaudit.knowledge import codes as kcodes

    cl = kcodes.load_diagnoses() if kind == "diagnosis" else kcodes.load_procedures()
    pairs = dict(zip(cl.codes, cl.names, strict=True))
    ordered = tuple(sorted(pairs))
    return CodeBook(ordered, tuple(pairs[c] for c in ordered))


@lru_cache(maxsize=2)
def diagnoses() -> CodeBook:
    return _load("diagnosis")


@lru_cache(maxsize=2)
def procedures() -> CodeBook:
    return _load("procedure")


# (prefix range start, end inclusive, gender) — ICD-10 blocks specific to one sex
_SEX_BLOCKS: tuple[tuple[str, str, str], ...] = (
    ("O00", "O99", "2"), ("Z32", "Z37", "2"), ("Z39", "Z39", "2"),
    ("N70", "N98", "2"), ("C51", "C58", "2"), ("D06", "D07.3", "2"), ("D25", "D28", "2"),
    ("D39", "D39", "2"), ("E28", "E28", "2"), ("Q50", "Q52", "2"), ("N99.2", "N99.3", "2"),
    ("N40", "N51", "1"), ("C60", "C63", "1"), ("D29", "D29", "1"), ("D40", "D40", "1"),
    ("E29", "E29", "1"), ("Q53", "Q55", "1"),
    # breast cancer: synth only gives it to women (male breast cancer is too rare to matter)
    ("C50", "C50", "2"), ("N60", "N64", "2"),
)


def code_gender(code: str) -> str | None:
    """'1'/'2' when the code only fits one sex, else None."""
    for lo, hi, g in _SEX_BLOCKS:
        if code[: len(lo)] >= lo and code[: len(hi)] <= hi:
            return g
    return None


def code_ages(code: str) -> tuple[int, int]:
    """Plausible [min, max) age in completed years for a diagnosis code."""
    c3 = code[:3]
    if "P00" <= c3 <= "P96":
        return (0, 1)
    if "O00" <= c3 <= "O99" or "Z32" <= c3 <= "Z39":
        return (18, 46)
    if c3 in ("N40", "C61", "H25", "R54", "G30", "M81", "I70"):
        return (50, 100)
    if c3 in ("I10", "I11", "I20", "I21", "I25", "I63", "I64", "E11", "J44", "N18", "M17", "M47", "K80"):
        return (35, 100)
    if c3[0] == "C" or c3 in ("N95",):
        return (30, 100)
    if c3 in ("E10", "J45", "Q21"):
        return (3, 90)
    return (0, 100)
