"""Independent label checks of template families added after the core, one module per family.

Each module registers ``check(w, lab)`` per violation type in :data:`FAMILY_CHECKS` (``w`` is the
``World`` of tests/synth/test_labels.py: plain rows of the generated and knowledge tables). The
checks read the tables directly, never the generator's checker, so a generator bug cannot hide
behind itself.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

FAMILY_CHECKS: dict[str, Callable[[Any, dict[str, Any]], None]] = {}
#: ``offset(w, lab) -> value − N`` per violation type with near-miss / boundary labels: how far the
#: labelled line or stay is from the rule's parameter (0 or −1 for a near-miss, 1 for a boundary)
FAMILY_OFFSETS: dict[str, Callable[[Any, dict[str, Any]], int]] = {}


def label_check(*vtypes: str) -> Callable[[Callable[[Any, dict[str, Any]], None]], Callable[[Any, dict[str, Any]], None]]:
    def deco(fn: Callable[[Any, dict[str, Any]], None]) -> Callable[[Any, dict[str, Any]], None]:
        for v in vtypes:
            FAMILY_CHECKS[v] = fn
        return fn
    return deco


def label_offset(*vtypes: str) -> Callable[[Callable[[Any, dict[str, Any]], int]], Callable[[Any, dict[str, Any]], int]]:
    def deco(fn: Callable[[Any, dict[str, Any]], int]) -> Callable[[Any, dict[str, Any]], int]:
        for v in vtypes:
            FAMILY_OFFSETS[v] = fn
        return fn
    return deco


def _import_families() -> None:
    """Import every module of this package: a family registers itself, no list to keep in step."""
    import importlib
    import pkgutil

    for m in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{m.name}")


_import_families()
