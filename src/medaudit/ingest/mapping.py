"""Header and file-name mapping, generated from the schema column specs.

There is no second hand-written alias list: every header a file may use comes from ``Column.name``,
``Column.national``, ``Column.interface``, ``Column.zh`` and ``Column.aliases``. What a header says about units matters:
a canonical name (``amt_fen``) or the full Chinese name with its unit (``明细项目费用总额(分)``)
carries integer fen / thousandths, while national names (``det_item_fee_sumamt``) and plain Chinese
headers (``金额``) carry yuan / natural units as the national N16,2 fields do.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from medaudit.schema import TABLES, Table
from medaudit.schema.national import CENTRE_TABLES, JOIN_DERIVED

#: national centre tables (DOMAIN.md §3.7) and the canonical table each feeds
NATIONAL_TABLES: dict[str, str] = {
    name.lower(): "settlements" if name == "SETL_D" else source for name, (source, _) in CENTRE_TABLES.items()
}

#: required columns ingest can derive (validate.DERIVED), not counted when guessing a file's table
DERIVED_REQUIRED = frozenset({"visit_type", "medins_lv", "fixmedins_type", "role"})

_PAREN_TAIL = re.compile(r"[(（][^()（）]*[)）]$")
_CANONICAL_UNIT = re.compile(r"[(（](分|千分之一)[)）]$")
_SOURCE_UNIT = re.compile(r"[(（](元|个|次)[)）]$")


def norm_header(h: str) -> str:
    """Normalise a header for matching: NFKC (full-width → ASCII), lower case, no spaces/BOM."""
    s = unicodedata.normalize("NFKC", h.replace("\ufeff", "")).strip().lower()
    return re.sub(r"\s+", "", s)


@dataclass(frozen=True)
class Target:
    """Where a source header lands: a canonical column and whether its value is already scaled."""

    column: str
    scaled: bool  # True: integer fen / thousandths already; False: yuan / natural units
    priority: int  # lower wins when several headers feed one column


def header_index(table: Table) -> dict[str, Target]:
    """All accepted header spellings of one table, derived from its column specs."""
    idx: dict[str, Target] = {}

    def add(key: str, col: str, scaled: bool, prio: int) -> None:
        k = norm_header(key)
        if k and k not in idx:
            idx[k] = Target(col, scaled, prio)

    def add_names(names: Iterable[tuple[str, tuple[str, ...]]], band: int) -> None:
        for col, spellings in names:
            for i, name in enumerate(spellings):
                add(name, col, False, band + i)

    # priority bands: canonical name, national names (in spec order), 3101 interface names, join-derived
    # national names (schema.national), full zh, aliases, bare zh
    cols = table.columns
    for col in cols:
        add(col.name, col.name, True, 0)
    add_names(((c.name, c.national) for c in cols), 10)
    add_names(((c.name, c.interface) for c in cols), 20)
    add_names(JOIN_DERIVED.get(table.name, {}).items(), 30)
    for col in cols:
        add(col.zh, col.name, True, 40)
    add_names(((c.name, c.aliases) for c in cols), 50)
    for col in cols:
        add(_PAREN_TAIL.sub("", col.zh), col.name, False, 70)
    return idx


HEADER_INDEX: dict[str, dict[str, Target]] = {name: header_index(t) for name, t in TABLES.items()}


def match_header(table: str, header: str) -> Target | None:
    idx = HEADER_INDEX[table]
    key = norm_header(header)
    hit = idx.get(key)
    if hit is not None:
        return hit
    # "金额(元)" / "数量(千分之一)": strip a unit suffix and let the suffix decide the scale
    stripped = _PAREN_TAIL.sub("", key)
    if stripped != key:
        hit = idx.get(stripped)
        if hit is not None:
            if _CANONICAL_UNIT.search(key):
                return Target(hit.column, True, hit.priority + 1)
            if _SOURCE_UNIT.search(key):
                return Target(hit.column, False, hit.priority + 1)
            return hit
    return None


def map_headers(table: str, headers: list[str]) -> dict[str, list[tuple[str, bool]]]:
    """canonical column -> source headers (best first) with their scale flag."""
    found: dict[str, list[tuple[int, str, bool]]] = {}
    for h in headers:
        t = match_header(table, h)
        if t is not None:
            found.setdefault(t.column, []).append((t.priority, h, t.scaled))
    return {col: [(h, s) for _, h, s in sorted(v, key=lambda x: x[0])] for col, v in found.items()}


def _name_matches(stem: str, prefix: str) -> bool:
    return re.match(re.escape(prefix) + r"(?![a-z])", stem) is not None


def table_for_name(name: str) -> str | None:
    """Canonical table (or 'settlements' / national 'mdtrt_d' marker) a file or sheet name denotes.

    Returns ``"nat:<national table>"`` for national centre-table exports, else a canonical name.
    """
    stem = norm_header(Path(name).stem if "." in name else name)
    for nat in sorted(NATIONAL_TABLES, key=len, reverse=True):
        if _name_matches(stem, nat):
            return f"nat:{nat}"
    for tname in sorted(TABLES, key=len, reverse=True):
        if _name_matches(stem, tname):
            return tname
    for tname, t in TABLES.items():
        # "医保医师/药师" cannot be a file name: its first half ("医保医师信息.csv") names it too
        if stem.startswith(norm_header(t.zh)) or stem.startswith(norm_header(t.zh.split("/")[0])):
            return tname
    return None


def table_for_headers(headers: list[str]) -> str | None:
    """Guess the table of an unnamed file from its headers: the one whose key and most required
    columns are present. At least half the required columns must be there (derived ones aside): a
    file that shares only ids with a table (labels.parquet beside a synthetic export) is not it."""
    best: tuple[int, str] | None = None
    for tname, t in TABLES.items():
        mapped = map_headers(tname, headers)
        if not all(k in mapped for k in t.key if t.column(k).required):
            continue
        score = sum(1 for c in t.required if c in mapped)
        needed = max(2, (len([c for c in t.required if c not in DERIVED_REQUIRED]) + 1) // 2)
        if score >= needed and (best is None or score > best[0]):
            best = (score, tname)
    return best[1] if best else None
