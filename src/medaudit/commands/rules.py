"""CLI: rules commands (placeholder until the package lands)."""
