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


def label_check(*vtypes: str) -> Callable[[Callable[[Any, dict[str, Any]], None]], Callable[[Any, dict[str, Any]], None]]:
    def deco(fn: Callable[[Any, dict[str, Any]], None]) -> Callable[[Any, dict[str, Any]], None]:
        for v in vtypes:
            FAMILY_CHECKS[v] = fn
        return fn
    return deco
