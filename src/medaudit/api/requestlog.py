"""The structured request log: one JSON line per request, on its own logger, level and file.

Fields are chosen, never copied from the request: time (UTC), request id, institution, method,
endpoint, status, latency, rules run and results returned. Names, identity numbers and insured-person
ids are never among them, so the log can be shipped to any log system. The request id is echoed in
the ``X-Request-ID`` header (an HIS may send its own, 1–64 letters, digits, ``-`` or ``_``).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import time
import uuid
from pathlib import Path
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

LOGGER = "medaudit.api.requests"
log = logging.getLogger(LOGGER)
_REQUEST_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class _JsonLines(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = getattr(record, "entry", None)
        return json.dumps(entry if isinstance(entry, dict) else {"message": record.getMessage()},
                          ensure_ascii=False, separators=(",", ":"))


def configure(path: Path | None, level: str) -> logging.Logger:
    """Give the request log its own handler (a file, or standard error) and level; it no longer
    propagates into the application log."""
    lvl = logging.getLevelName(level.upper())
    if not isinstance(lvl, int):
        raise ValueError(f"unknown log level {level!r}")
    for h in list(log.handlers):
        if getattr(h, "_medaudit_request_log", False):
            log.removeHandler(h)
            h.close()
    handler: logging.Handler = logging.FileHandler(path, encoding="utf-8") if path else logging.StreamHandler()
    handler.setFormatter(_JsonLines())
    handler._medaudit_request_log = True  # type: ignore[attr-defined]
    log.addHandler(handler)
    log.setLevel(lvl)
    log.propagate = False
    return log


def request_id(scope: Scope) -> str:
    rid: str = scope.get("state", {}).get("request_id", "")
    return rid


def _endpoint(scope: Scope) -> str:
    """The matched route's template: a raw path is the client's text and may hold anything."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else "(unmatched)"


class RequestLogMiddleware:
    """ASGI middleware: assigns the request id, times the request, writes the log line."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        t0 = time.perf_counter()
        sent = dict(scope.get("headers") or ()).get(b"x-request-id", b"").decode("latin-1")
        rid = sent if _REQUEST_ID.match(sent) else uuid.uuid4().hex
        state: dict[str, Any] = scope.setdefault("state", {})
        state["request_id"] = rid
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", rid.encode("latin-1"))]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            if log.isEnabledFor(logging.INFO):
                level = logging.WARNING if status >= 500 else logging.INFO
                log.log(level, "request", extra={"entry": {
                    "time": dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds"),
                    "request_id": rid, "institution": state.get("institution"), "method": scope.get("method"),
                    "endpoint": _endpoint(scope), "status": status,
                    "latency_ms": round((time.perf_counter() - t0) * 1000, 3),
                    "rules": state.get("rules_run"), "results": state.get("results"),
                }})
