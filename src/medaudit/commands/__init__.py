"""CLI command modules, one per package, each adding its commands to ``medaudit.cli.app``.

Keeping one module per package lets packages evolve their commands without touching a shared file.
"""

from medaudit.commands import audit, demo, detect, drg, export, ingest, knowledge, rules, serve, synth  # noqa: F401
