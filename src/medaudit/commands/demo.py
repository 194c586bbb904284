"""CLI: demo commands (placeholder until the package lands)."""
