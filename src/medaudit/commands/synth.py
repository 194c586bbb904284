"""CLI: synth commands (placeholder until the package lands)."""
