"""Synthetic pooling region with labelled, injected violations (``medaudit synth``).

Public API::

    generate(SynthConfig(patients=2000, months=3, seed=1)) -> SynthResult
    write(result, out_dir, fmt="parquet")                    # canonical tables + labels.parquet
    SCHEMES                                                   # violation id -> Scheme (rate, phase, inject)

See docs/synth.md.
"""

from . import boundary  # noqa: F401 - registers the near-miss / boundary / co-occurrence schemes (after the types)
from .generate import LABEL_SCHEMA, TABLE_NAMES, SynthConfig, SynthResult, generate, write
from .schemes import SCHEMES, Scheme, scheme

__all__ = ["LABEL_SCHEMA", "SCHEMES", "TABLE_NAMES", "Scheme", "SynthConfig", "SynthResult", "generate", "scheme", "write"]



def _import_scheme_modules() -> None:
    """Import every ``schemes_*`` module (each template family registers its own schemes there)."""
    import importlib
    import pkgutil

    for m in pkgutil.iter_modules(__path__):
        if m.name.startswith("schemes_"):
            importlib.import_module(f"{__name__}.{m.name}")


_import_scheme_modules()
