"""Application state through SQLAlchemy 2 Core: SQLite file by default, PostgreSQL in production.

- :mod:`medaudit.store.state` — API keys (hashed), the results handed to an HIS (jr_id → rule) and the
  3103 feedback on them (MEDAUDIT_DATABASE_URL).
- :mod:`medaudit.store.history` — settled encounters per patient for the real-time cross-encounter
  rules (MEDAUDIT_HISTORY_URL), keyed by (institution, mdtrt_id).
- :mod:`medaudit.store.trail` — who looked up which patient's history (read by admin keys only).
"""

from .db import make_engine
from .history import HistoryStore, StoredEncounter
from .state import KeyInfo, StateStore
from .trail import LookupTrail

__all__ = ["HistoryStore", "KeyInfo", "LookupTrail", "StateStore", "StoredEncounter", "make_engine"]
