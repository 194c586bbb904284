"""Settled encounters per patient, read by the real-time path for cross-encounter rules.

A 3102 settlement call (trig_scen 6 门诊结算 / 8 住院结算) writes the audited encounter here, as the
canonical rows it was audited with (patient identity reduced to the insured-person id: names and
identity numbers are never stored). A later request for the same patient reads back the encounters
admitted within the longest look-back of the active rule templates — one indexed range read on
(psn_no, adm_time).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import Column, DateTime, Engine, Index, MetaData, String, Table, Text, delete, select

from .db import make_engine

metadata = MetaData()

history = Table(
    "medaudit_history_encounters", metadata,
    Column("mdtrt_id", String(50), primary_key=True),
    Column("psn_no", String(50), nullable=False),
    Column("fixmedins_code", String(50), nullable=False),
    Column("adm_time", DateTime, nullable=False),
    Column("payload", Text, nullable=False),
    Column("stored_at", DateTime, nullable=False),
)
Index("ix_medaudit_history_psn_adm", history.c.psn_no, history.c.adm_time)

#: canonical tables an encounter's payload holds (rows as SQLite-ready values)
PAYLOAD_TABLES = ("institutions", "encounters", "fee_lines", "diagnoses", "operations")


class HistoryStore:
    """History of settled encounters (MEDAUDIT_HISTORY_URL; SQLite file or PostgreSQL)."""

    def __init__(self, url_or_engine: str | Engine) -> None:
        self.engine = make_engine(url_or_engine) if isinstance(url_or_engine, str) else url_or_engine
        metadata.create_all(self.engine)

    def write(self, psn_no: str, mdtrt_id: str, fixmedins_code: str, adm_time: dt.datetime,
              rows: dict[str, list[dict[str, Any]]]) -> None:
        """Store (or replace) one encounter's canonical rows."""
        payload = json.dumps({t: rows.get(t, []) for t in PAYLOAD_TABLES}, ensure_ascii=False,
                             separators=(",", ":"))
        with self.engine.begin() as con:
            con.execute(delete(history).where(history.c.mdtrt_id == mdtrt_id))
            con.execute(history.insert().values(mdtrt_id=mdtrt_id, psn_no=psn_no, fixmedins_code=fixmedins_code,
                                                adm_time=adm_time, payload=payload,
                                                stored_at=dt.datetime.now().replace(microsecond=0)))

    def read(self, psn_no: str, since: dt.datetime, until: dt.datetime | None = None) -> list[dict[str, Any]]:
        """Encounters of one patient admitted in [since, until], oldest first (payload dicts)."""
        q = select(history.c.payload).where(history.c.psn_no == psn_no, history.c.adm_time >= since)
        if until is not None:
            q = q.where(history.c.adm_time <= until)
        with self.engine.connect() as con:
            payloads = con.execute(q.order_by(history.c.adm_time, history.c.mdtrt_id)).scalars().all()
        return [json.loads(p) for p in payloads]

    def count(self) -> int:
        from sqlalchemy import func

        with self.engine.connect() as con:
            return int(con.execute(select(func.count()).select_from(history)).scalar_one())
