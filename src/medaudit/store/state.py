"""API keys, results handed out, and 3103 feedback (事前事中服务反馈).

Keys are stored as SHA-256 digests only; the plain key is shown once when created. An HIS key is bound
to one institution (定点医药机构编码) and a request may only submit or read that institution's data; an
admin key (医保部门管理员, role ``admin``) is bound to no institution and may only read the audit trail.
A result (jr_id) is recorded when it is returned to an HIS so that the HIS's 3103 feedback can be
linked to its rule, which is what the per-rule continue rate (继续执行率) is computed from.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Engine,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    func,
    inspect,
    select,
    text,
    update,
)

from medaudit.errors import MedauditError

from .db import make_engine
from .trail import LookupTrail

metadata = MetaData()

api_keys = Table(
    "medaudit_api_keys", metadata,
    Column("key_hash", String(64), primary_key=True),
    Column("key_prefix", String(12), nullable=False),
    Column("institution", String(50), nullable=False),
    Column("label", String(200)),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", DateTime, nullable=False),
    Column("role", String(10), nullable=False, default="his", server_default="his"),
)

#: roles a key can have: an HIS bound to one institution, or a bureau administrator
ROLE_HIS = "his"
ROLE_ADMIN = "admin"
#: what an admin key is "bound to" in the institution column (never a valid institution code)
ADMIN_INSTITUTION = "*"
#: jr_id is "<institution>-<20 hex>" and must fit the national 50-character field
MAX_INSTITUTION_LEN = 29
#: the longest a verified key may stay cached in a worker (docs/api.md: revocation bound)
MAX_KEY_CACHE_SECONDS = 1.0

audit_results = Table(
    "medaudit_audit_results", metadata,
    Column("jr_id", String(50), primary_key=True),
    Column("rule_id", String(100), nullable=False),
    Column("rule_name", String(200), nullable=False),
    Column("institution", String(50), nullable=False),
    Column("mdtrt_id", String(50)),
    Column("sev_deg", String(3)),
    Column("intercept", Boolean, nullable=False, default=False),
    Column("first_seen", DateTime, nullable=False),
    Column("last_seen", DateTime, nullable=False),
    Column("times", Integer, nullable=False, default=1),
)

feedback = Table(
    "medaudit_feedback", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("jr_id", String(50), nullable=False),
    Column("rule_id", String(100), nullable=False),
    Column("institution", String(50), nullable=False),
    Column("warn_type", String(3), nullable=False),
    Column("dspo_way", String(3), nullable=False),
    Column("dspo_way_rea", Text),
    Column("created_at", DateTime, nullable=False),
)
Index("ix_medaudit_feedback_rule", feedback.c.rule_id, feedback.c.institution)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def _now() -> dt.datetime:
    return dt.datetime.now().replace(microsecond=0)


@dataclass(frozen=True)
class KeyInfo:
    """What a verified key may do: its role, institution (``*`` for admin) and display prefix."""

    prefix: str
    institution: str
    role: str

    @property
    def is_admin(self) -> bool:
        return self.role == ROLE_ADMIN


class StateStore:
    """The state database (MEDAUDIT_DATABASE_URL)."""

    def __init__(self, url_or_engine: str | Engine, key_cache_seconds: float = 0.0) -> None:
        """``key_cache_seconds`` (0 … 1) is how long a worker may reuse a key check; 0 checks the
        database on every request, so a revocation holds on the very next request in every worker."""
        if not 0.0 <= key_cache_seconds <= MAX_KEY_CACHE_SECONDS:
            raise MedauditError(f"密钥缓存时间应在0到{MAX_KEY_CACHE_SECONDS:g}秒之间：{key_cache_seconds} / "
                                f"key cache seconds must be within 0…{MAX_KEY_CACHE_SECONDS:g}: {key_cache_seconds}")
        self.engine = make_engine(url_or_engine) if isinstance(url_or_engine, str) else url_or_engine
        _add_role_column(self.engine)
        metadata.create_all(self.engine)
        self.key_cache_seconds = key_cache_seconds
        self._keys: dict[str, tuple[KeyInfo | None, float]] = {}
        self.trail = LookupTrail(self.engine)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    # -- keys ------------------------------------------------------------------------------------
    def create_key(self, institution: str | None, label: str | None = None, admin: bool = False) -> str:
        """A new key (shown once): bound to ``institution``, or an admin key bound to none."""
        if admin:
            institution = ADMIN_INSTITUTION
        elif not institution or institution == ADMIN_INSTITUTION or len(institution) > MAX_INSTITUTION_LEN:
            raise MedauditError(f"机构编码应为1到{MAX_INSTITUTION_LEN}个字符：{institution!r} / institution code must "
                                f"be 1…{MAX_INSTITUTION_LEN} characters: {institution!r}")
        key = "mk_" + secrets.token_urlsafe(32)
        with self.engine.begin() as con:
            con.execute(api_keys.insert().values(key_hash=hash_key(key), key_prefix=key[:10],
                                                 institution=institution, label=label, active=True,
                                                 created_at=_now(), role=ROLE_ADMIN if admin else ROLE_HIS))
        return key

    def key_info(self, key: str) -> KeyInfo | None:
        """The role and institution of an active key, or None for an unknown or revoked key."""
        digest = hash_key(key)
        if self.key_cache_seconds:
            cached = self._keys.get(digest)
            if cached is not None and cached[1] > time.monotonic():
                return cached[0]
        with self.engine.connect() as con:
            row = con.execute(select(api_keys.c.key_prefix, api_keys.c.institution, api_keys.c.role).where(
                api_keys.c.key_hash == digest, api_keys.c.active.is_(True))).first()
        info = KeyInfo(row[0], row[1], row[2] or ROLE_HIS) if row else None
        if self.key_cache_seconds:
            if len(self._keys) > 10000:  # unknown keys must not grow the cache without bound
                self._keys.clear()
            self._keys[digest] = (info, time.monotonic() + self.key_cache_seconds)
        return info

    def institution_for(self, key: str) -> str | None:
        """The institution an HIS key is bound to, or None for an unknown, revoked or admin key."""
        info = self.key_info(key)
        return info.institution if info is not None and not info.is_admin else None

    def revoke_key(self, key_prefix: str) -> int:
        with self.engine.begin() as con:
            n = con.execute(update(api_keys).where(api_keys.c.key_prefix == key_prefix).values(active=False))
        self._keys.clear()
        return n.rowcount

    def list_keys(self) -> list[dict[str, Any]]:
        with self.engine.connect() as con:
            rows = con.execute(select(api_keys.c.key_prefix, api_keys.c.institution, api_keys.c.label,
                                      api_keys.c.active, api_keys.c.created_at, api_keys.c.role)).mappings().all()
        return [dict(r) for r in rows]

    # -- results and feedback --------------------------------------------------------------------
    def record_results(self, rows: Iterable[dict[str, Any]]) -> None:
        """Remember results handed to an HIS (insert new jr_ids, count repeats of known ones)."""
        rows = list(rows)
        if not rows:
            return
        now = _now()
        ids = [r["jr_id"] for r in rows]
        with self.engine.begin() as con:
            known = set(con.execute(select(audit_results.c.jr_id).where(audit_results.c.jr_id.in_(ids))).scalars())
            fresh = [{**r, "first_seen": now, "last_seen": now, "times": 1} for r in rows if r["jr_id"] not in known]
            if fresh:
                con.execute(audit_results.insert(), fresh)
            if known:
                con.execute(update(audit_results).where(audit_results.c.jr_id.in_(known))
                            .values(last_seen=now, times=audit_results.c.times + 1))

    def results(self, jr_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        ids = list(jr_ids)
        with self.engine.connect() as con:
            rows = con.execute(select(audit_results).where(audit_results.c.jr_id.in_(ids))).mappings().all()
        return {r["jr_id"]: dict(r) for r in rows}

    def add_feedback(self, rows: Iterable[dict[str, Any]]) -> int:
        rows = [{**r, "created_at": _now()} for r in rows]
        if rows:
            with self.engine.begin() as con:
                con.execute(feedback.insert(), rows)
        return len(rows)

    def feedback_stats(self, institution: str) -> list[dict[str, Any]]:
        """Per rule: results handed out, feedbacks, continued (1) vs modified (2), continue rate."""
        with self.engine.connect() as con:
            issued: dict[str, int] = dict(con.execute(
                select(audit_results.c.rule_id, func.count()).where(audit_results.c.institution == institution)
                .group_by(audit_results.c.rule_id)).all())
            names: dict[str, str] = dict(con.execute(
                select(audit_results.c.rule_id, func.max(audit_results.c.rule_name))
                .where(audit_results.c.institution == institution).group_by(audit_results.c.rule_id)).all())
            fb = con.execute(
                select(feedback.c.rule_id, feedback.c.dspo_way, func.count())
                .where(feedback.c.institution == institution)
                .group_by(feedback.c.rule_id, feedback.c.dspo_way)).all()
        per: dict[str, dict[str, int]] = {}
        for rule_id, way, n in fb:
            per.setdefault(rule_id, {"1": 0, "2": 0})[str(way)] = int(n)
        out = []
        for rule_id in sorted(set(issued) | set(per)):
            cont = per.get(rule_id, {}).get("1", 0)
            modi = per.get(rule_id, {}).get("2", 0)
            total = cont + modi
            out.append({"rule_id": rule_id, "rule_name": names.get(rule_id, rule_id),
                        "results": int(issued.get(rule_id, 0)), "feedbacks": total,
                        "continued": cont, "modified": modi,
                        "continue_rate": round(cont / total, 4) if total else None})
        return out


def _add_role_column(engine: Engine) -> None:
    """Databases created before admin keys existed lack ``role``; every key in them is an HIS key."""
    insp = inspect(engine)
    if insp.has_table(api_keys.name) and "role" not in {c["name"] for c in insp.get_columns(api_keys.name)}:
        with engine.begin() as con:
            con.execute(text(f"ALTER TABLE {api_keys.name} ADD COLUMN role VARCHAR(10) NOT NULL DEFAULT 'his'"))
