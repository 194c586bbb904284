"""CLI: serve commands (placeholder until the package lands)."""
