"""The checker's statements of template families added after the core (one module per family).

Each module registers its functions in :data:`medaudit.synth.checker.LOCAL_CHECKS` (encounter-local)
or :data:`~medaudit.synth.checker.REGION_CHECKS` (across encounters) when imported; the checker
imports this package last, so every family is in force wherever the checker is.
"""


def _import_families() -> None:
    """Import every module of this package: a family registers itself, no list to keep in step."""
    import importlib
    import pkgutil

    for m in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{m.name}")


_import_families()
