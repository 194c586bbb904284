"""CLI: knowledge commands (placeholder until the package lands)."""
