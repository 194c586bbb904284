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

from . import schemes_fraud  # noqa: E402, F401  (registers the fraud-model schemes)
