"""Settled encounters per patient, read by the real-time path for cross-encounter rules.

A 3102 settlement call (trig_scen 6 门诊结算 / 8 住院结算) writes the audited encounter here, as the
canonical rows it was audited with (patient identity reduced to the insured-person id: names and
identity numbers are never stored). A later request for the same patient reads back the encounters
admitted within the longest look-back of the active rule templates — one indexed range read on
(psn_no, adm_time).

Rows are keyed by (institution, mdtrt_id): a ``mdtrt_id`` is an HIS-local id, so two institutions may
use the same one, and one institution must never be able to overwrite or erase another's history
(which would silently switch off cross-visit rules for the victim). Every write and delete names the
institution the caller's key is bound to and touches only that institution's rows.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Column,
    DateTime,
    Engine,
    Index,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    delete,
    func,
    inspect,
    select,
)

from .db import make_engine

metadata = MetaData()

history = Table(
    "medaudit_history", metadata,
    Column("fixmedins_code", String(50), nullable=False),
    Column("mdtrt_id", String(50), nullable=False),
    Column("psn_no", String(50), nullable=False),
    Column("adm_time", DateTime, nullable=False),
    Column("payload", Text, nullable=False),
    Column("stored_at", DateTime, nullable=False),
    PrimaryKeyConstraint("fixmedins_code", "mdtrt_id", name="pk_medaudit_history"),
)
Index("ix_medaudit_history_psn_adm", history.c.psn_no, history.c.adm_time)

#: the table of releases before history was keyed by institution (primary key mdtrt_id alone)
LEGACY_TABLE = "medaudit_history_encounters"

#: canonical tables an encounter's payload holds (rows as SQLite-ready values)
PAYLOAD_TABLES = ("institutions", "encounters", "fee_lines", "diagnoses", "operations")


@dataclass(frozen=True)
class StoredEncounter:
    """One stored encounter: who owns it, and its canonical rows."""

    fixmedins_code: str
    mdtrt_id: str
    payload: dict[str, Any]


class HistoryStore:
    """History of settled encounters (MEDAUDIT_HISTORY_URL; SQLite file or PostgreSQL)."""

    def __init__(self, url_or_engine: str | Engine) -> None:
        self.engine = make_engine(url_or_engine) if isinstance(url_or_engine, str) else url_or_engine
        metadata.create_all(self.engine)
        self._adopt_legacy()

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def _adopt_legacy(self) -> None:
        """Copy rows of the legacy table (keyed by mdtrt_id alone) once; it is left in place, unused."""
        if not inspect(self.engine).has_table(LEGACY_TABLE):
            return
        legacy = Table(LEGACY_TABLE, MetaData(), autoload_with=self.engine)
        cols = ("fixmedins_code", "mdtrt_id", "psn_no", "adm_time", "payload", "stored_at")
        with self.engine.begin() as con:
            if con.execute(select(func.count()).select_from(history)).scalar_one():
                return
            rows = [dict(r) for r in con.execute(select(*(legacy.c[c] for c in cols))).mappings()]
            if rows:
                con.execute(history.insert(), rows)

    def write(self, institution: str, mdtrt_id: str, psn_no: str, adm_time: dt.datetime,
              rows: dict[str, list[dict[str, Any]]]) -> None:
        """Store (or replace) one of ``institution``'s encounters; another institution's row with the
        same ``mdtrt_id`` is a different encounter and is left alone."""
        payload = json.dumps({t: rows.get(t, []) for t in PAYLOAD_TABLES}, ensure_ascii=False,
                             separators=(",", ":"))
        key = (history.c.fixmedins_code == institution, history.c.mdtrt_id == mdtrt_id)
        with self.engine.begin() as con:
            con.execute(delete(history).where(*key))
            con.execute(history.insert().values(fixmedins_code=institution, mdtrt_id=mdtrt_id, psn_no=psn_no,
                                                adm_time=adm_time, payload=payload,
                                                stored_at=dt.datetime.now().replace(microsecond=0)))

    def delete(self, institution: str, mdtrt_id: str) -> int:
        """Erase one of ``institution``'s encounters (0 when it has none with that id)."""
        with self.engine.begin() as con:
            n = con.execute(delete(history).where(history.c.fixmedins_code == institution,
                                                  history.c.mdtrt_id == mdtrt_id))
        return int(n.rowcount)

    def read(self, psn_no: str, since: dt.datetime, until: dt.datetime | None = None) -> list[StoredEncounter]:
        """Encounters of one patient admitted in [since, until] at any institution, oldest first."""
        q = select(history.c.fixmedins_code, history.c.mdtrt_id, history.c.payload).where(
            history.c.psn_no == psn_no, history.c.adm_time >= since)
        if until is not None:
            q = q.where(history.c.adm_time <= until)
        q = q.order_by(history.c.adm_time, history.c.fixmedins_code, history.c.mdtrt_id)
        with self.engine.connect() as con:
            rows = con.execute(q).all()
        return [StoredEncounter(inst, mid, json.loads(p)) for inst, mid, p in rows]

    def count(self, institution: str | None = None) -> int:
        q = select(func.count()).select_from(history)
        if institution is not None:
            q = q.where(history.c.fixmedins_code == institution)
        with self.engine.connect() as con:
            return int(con.execute(q).scalar_one())
