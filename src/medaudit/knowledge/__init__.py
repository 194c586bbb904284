"""The knowledge base (知识库): catalogues and restrictions that rule SQL joins against.

Public API::

    load_pack(path) -> Pack                       # one validated pack folder
    load_layers([national, province, city], as_of=None) -> KnowledgeBase
    default_knowledge() -> KnowledgeBase          # shipped national pack + diagnosis/procedure codes
    national_knowledge(as_of=None) -> KnowledgeBase   # + the NHSA knowledge points (两库), when present
    national_pack_path() -> Path

``KnowledgeBase.tables`` maps every name of :data:`KB_TABLES` to a ``pyarrow.Table`` with exactly the
schema derived from :mod:`medaudit.knowledge.tables`. See docs/knowledge.md.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from pathlib import Path

from medaudit.knowledge.errors import KnowledgeError, Problem
from medaudit.knowledge.pack import KnowledgeBase, Manifest, Pack, load_layers, load_pack
from medaudit.knowledge.tables import KB_TABLES

PACKS_DIR = Path(__file__).resolve().parent / "packs"

__all__ = [
    "KB_TABLES", "KnowledgeBase", "KnowledgeError", "Manifest", "Pack", "Problem", "PACKS_DIR",
    "default_knowledge", "load_layers", "load_pack", "national_knowledge", "national_pack_path",
]


def national_pack_path() -> Path:
    return PACKS_DIR / "national"


def _codes_stamp() -> tuple[str, ...]:
    from medaudit.knowledge.codes import KINDS, code_file

    out: list[str] = []
    for kind in KINDS:
        p = code_file(kind)
        try:
            st = p.stat()
            out.append(f"{p}:{st.st_mtime_ns}:{st.st_size}")
        except OSError:
            out.append(f"{p}:absent")
    return tuple(out)


@lru_cache(maxsize=4)
def _default(stamp: tuple[str, ...]) -> KnowledgeBase:
    return load_layers([national_pack_path()])


def default_knowledge() -> KnowledgeBase:
    """The starter national pack plus the configured code lists; cached (tables are immutable)."""
    return _default(_codes_stamp())


def _liangku_stamp() -> str:
    from medaudit.knowledge.liangku import INDICATION_MAP, POINTS_FILE, liangku_dir

    out = []
    for p in (liangku_dir() / POINTS_FILE, INDICATION_MAP):
        try:
            st = p.stat()
            out.append(f"{p}:{st.st_mtime_ns}:{st.st_size}")
        except OSError:
            out.append(f"{p}:absent")
    return "|".join(out)


@lru_cache(maxsize=4)
def _national(stamp: tuple[str, ...], liangku: str, as_of: dt.date | None) -> KnowledgeBase:
    from medaudit.knowledge.liangku import liangku_dir

    if not liangku_dir().is_dir():
        kb = load_layers([national_pack_path()])
        kb.notices.append(f"未找到国家两库知识点目录 {liangku_dir()}，仅使用示例性国家包 / NHSA knowledge points not found; "
                          "illustrative pack only (set MEDAUDIT_REFERENCE_DATA or MEDAUDIT_LIANGKU_DATA)")
        return kb
    return load_layers([national_pack_path()], national_points=True, as_of=as_of)


def national_knowledge(as_of: dt.date | None = None) -> KnowledgeBase:
    """The national layer: the NHSA knowledge points over the illustrative pack (whose entries stay
    only for codes no national point covers), plus the code lists; cached per day.

    ``default_knowledge`` stays the illustrative pack alone, which the synthetic generator is built on.
    """
    return _national(_codes_stamp(), _liangku_stamp(), as_of)
