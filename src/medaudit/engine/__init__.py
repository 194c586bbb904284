"""Engines: run the rule base's SQL on DuckDB (batch), SQLite (real time) or Spark (scale-out)."""

from .findings import FINDINGS_SCHEMA
from .runner import CompiledRuleSet, audit

__all__ = ["FINDINGS_SCHEMA", "CompiledRuleSet", "audit"]
