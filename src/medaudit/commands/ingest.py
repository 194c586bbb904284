"""CLI: ingest commands (placeholder until the package lands)."""
