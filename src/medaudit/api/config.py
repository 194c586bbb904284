"""Settings of the real-time API, read from the environment (prefix ``MEDAUDIT_``), see docs/api.md."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from medaudit.store.state import MAX_KEY_CACHE_SECONDS


class ApiSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MEDAUDIT_", extra="ignore")

    #: request body limit (413 above it)
    max_body_bytes: int = Field(default=2 * 1024 * 1024, gt=0)
    #: requests per minute one key may make (0 = unlimited), and the burst it may spend at once
    rate_limit_per_minute: int = Field(default=6000, ge=0)
    rate_limit_burst: int = Field(default=300, ge=1)
    #: audit requests per minute one key may make that read stored history of other institutions'
    #: patients, i.e. that can reveal where else a person was treated (0 = unlimited)
    lookup_limit_per_minute: int = Field(default=3000, ge=0)
    lookup_limit_burst: int = Field(default=150, ge=1)
    #: how long a worker may reuse a key check (0 … 1 s); bounds how long a revoked key still works
    key_cache_seconds: float = Field(default=0.0, ge=0.0, le=MAX_KEY_CACHE_SECONDS)
    #: the longest one audit request may compute before it is cut off (422)
    time_budget_seconds: float = Field(default=10.0, gt=0.0)
    #: bodies up to this size are audited inline on the event loop; larger ones in the worker thread
    inline_body_bytes: int = Field(default=64 * 1024, ge=0)
    #: JSON-lines request log: a file (None = standard error) and its own level
    request_log: Path | None = None
    request_log_level: str = "INFO"
    #: worker processes sharing the limits above (set by ``medaudit serve --workers``): each worker
    #: enforces its share, so the key's limit holds across the workers behind one socket
    api_workers: int = Field(default=1, ge=1)
    #: province/city rule and knowledge packs layered over the national ones (``os.pathsep``-separated;
    #: set by ``medaudit serve --rule-pack/--knowledge-pack``)
    rule_packs: str = ""
    knowledge_packs: str = ""
