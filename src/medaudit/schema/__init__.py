"""The canonical schema shared by every path (ingest, engines, API, synth)."""

from .arrow import SCHEMAS, arrow_schema, conform
from .columns import Column, Table
from .models import MODELS
from .tables import TABLES

__all__ = ["SCHEMAS", "MODELS", "TABLES", "Column", "Table", "arrow_schema", "conform"]
