"""The knowledge and rule layers a run audits with: national, then the province/city packs given.

One loader for every entry point (batch audit, fraud detection, knowledge coverage, the real-time API),
so a regional pack means the same thing whichever command reads it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any


def load_knowledge_layers(packs: list[Path] | None) -> Any:
    """National knowledge, with ``packs`` layered over it in order (none: the cached national base)."""
    from medaudit.knowledge import load_layers, national_knowledge, national_pack_path
    from medaudit.knowledge.liangku import liangku_dir

    if not packs:
        return national_knowledge()
    return load_layers([national_pack_path(), *packs], national_points=liangku_dir().is_dir())


def load_rules(packs: list[Path] | None) -> Any:
    """The national rule pack with ``packs`` layered over it in order."""
    from medaudit.rules.loader import NATIONAL_PACK, load_rulebase

    return load_rulebase([NATIONAL_PACK, *(packs or [])])


def pack_list(text: str | None) -> list[Path]:
    """Packs named in an environment value (``os.pathsep``-separated, as PATH): how ``medaudit serve``
    hands its ``--rule-pack`` / ``--knowledge-pack`` to the uvicorn workers it starts."""
    return [Path(p) for p in (text or "").split(os.pathsep) if p.strip()]
