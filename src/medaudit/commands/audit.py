"""CLI: audit commands (placeholder until the package lands)."""
