"""The audit trail of cross-visit look-ups (跨就诊历史查询留痕).

Every real-time request that reads a patient's stored history leaves one row here: which key (by
prefix) and institution asked, through which endpoint, about which insured person, over which
window, and the visit's time, and how many stored encounters — own and other institutions' — it used. A key holder who
probes where and when a person was in hospital therefore leaves a trace that a bureau administrator
(an admin key) can query; the HIS itself never sees other institutions' details.

The insured-person id (psn_no) is kept because the bureau needs it to investigate; the trail is
readable through the admin role only and is never written to a log.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Column, DateTime, Engine, Index, Integer, MetaData, String, Table, select

metadata = MetaData()

lookups = Table(
    "medaudit_history_lookups", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime, nullable=False),
    Column("request_id", String(40), nullable=False),
    Column("key_prefix", String(12), nullable=False),
    Column("institution", String(50), nullable=False),
    Column("endpoint", String(20), nullable=False),
    Column("psn_no", String(50), nullable=False),
    Column("since", DateTime, nullable=False),
    Column("visit_time", DateTime, nullable=False),
    Column("own_found", Integer, nullable=False),
    Column("other_found", Integer, nullable=False),
    Column("results_other", Integer, nullable=False),
)
Index("ix_medaudit_lookups_key_at", lookups.c.key_prefix, lookups.c.at)
Index("ix_medaudit_lookups_psn_at", lookups.c.psn_no, lookups.c.at)

#: the most rows one query returns (an admin pages with ``before``)
MAX_ROWS = 1000


class LookupTrail:
    """Append-only look-up rows in the state database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        metadata.create_all(engine)

    def record(self, rows: Iterable[dict[str, Any]]) -> None:
        rows = list(rows)
        if rows:
            with self.engine.begin() as con:
                con.execute(lookups.insert(), rows)

    def query(self, key_prefix: str | None = None, institution: str | None = None, psn_no: str | None = None,
              since: dt.datetime | None = None, before: dt.datetime | None = None,
              limit: int = MAX_ROWS) -> list[dict[str, Any]]:
        """Look-ups matching every filter given, newest first."""
        q = select(lookups)
        if key_prefix:
            q = q.where(lookups.c.key_prefix == key_prefix)
        if institution:
            q = q.where(lookups.c.institution == institution)
        if psn_no:
            q = q.where(lookups.c.psn_no == psn_no)
        if since is not None:
            q = q.where(lookups.c.at >= since)
        if before is not None:
            q = q.where(lookups.c.at < before)
        q = q.order_by(lookups.c.at.desc(), lookups.c.id.desc()).limit(max(1, min(limit, MAX_ROWS)))
        with self.engine.connect() as con:
            return [dict(r) for r in con.execute(q).mappings()]
