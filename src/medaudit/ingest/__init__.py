"""Ingest: any supported input shape → canonical Parquet tables + quarantine of rejected rows.

Use :func:`ingest`; see docs/ingest.md for the accepted shapes and the validation rules.
"""

from .pipeline import IngestReport, TableReport, ingest

__all__ = ["IngestReport", "TableReport", "ingest"]
