"""The checker's statements of template families added after the core (one module per family).

Each module registers its functions in :data:`medaudit.synth.checker.LOCAL_CHECKS` (encounter-local)
or :data:`~medaudit.synth.checker.REGION_CHECKS` (across encounters) when imported; the checker
imports this package last, so every family is in force wherever the checker is.
"""
