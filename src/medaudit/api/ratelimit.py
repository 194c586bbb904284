"""Per-key rate limits (token buckets), answered with 429 and ``Retry-After``.

A bucket per key and purpose holds up to ``burst`` tokens and refills at ``per_minute / 60`` tokens a
second. Buckets live in the worker: ``medaudit serve --workers N`` gives each worker 1/N of the
configured rate, so the key's total holds across the workers of one server (uvicorn shares one
socket, so the split is approximate under uneven connection spread). The limit on cross-institution
history look-ups is what stops a key holder from probing, day by day, where a person was in hospital.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass

from .errors import ApiError

#: buckets untouched for this long are full again and can be forgotten
_IDLE_SECONDS = 600.0


@dataclass
class _Bucket:
    tokens: float
    at: float


class RateLimiter:
    """Token buckets keyed by an opaque string (the key prefix)."""

    def __init__(self, per_minute: float, burst: int, what_zh: str, what_en: str) -> None:
        self.rate = per_minute / 60.0
        self.burst = float(burst)
        self.what_zh = what_zh
        self.what_en = what_en
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.rate > 0

    def _bucket(self, key: str, now: float) -> _Bucket:
        b = self._buckets.get(key)
        if b is None:
            if len(self._buckets) > 10000:
                self._buckets = {k: v for k, v in self._buckets.items() if now - v.at < _IDLE_SECONDS}
            b = self._buckets[key] = _Bucket(self.burst, now)
        else:
            b.tokens = min(self.burst, b.tokens + (now - b.at) * self.rate)
            b.at = now
        return b

    def check(self, key: str) -> None:
        """Spend one token or raise 429 saying when the next one is due."""
        if not self.enabled:
            return
        now = time.monotonic()
        with self._lock:
            b = self._bucket(key, now)
            if b.tokens >= 1.0:
                b.tokens -= 1.0
                return
            wait = math.ceil((1.0 - b.tokens) / self.rate)
        per_minute = round(self.rate * 60, 2)
        raise ApiError(429, "rate_limited",
                       f"{self.what_zh}过于频繁（每分钟上限{per_minute:g}次），请{wait}秒后重试",
                       f"too many {self.what_en} (limit {per_minute:g} per minute); retry in {wait} s",
                       headers={"Retry-After": str(wait)})

    def would_allow(self, key: str) -> bool:
        """Whether :meth:`check` would pass now, without spending a token."""
        if not self.enabled:
            return True
        with self._lock:
            return self._bucket(key, time.monotonic()).tokens >= 1.0
