"""CPU-heavy audit work off the event loop, with a per-request time budget.

Each worker owns one in-memory SQLite engine, which can serve one audit at a time. A small request is
cheapest audited inline (a thread hop costs more than its whole audit, DESIGN.md), but only while no
other audit holds the engine; a large body, or any request arriving while the engine is busy, is
audited in the worker's single audit thread. The loop stays free either way, so ``/healthz`` and the
401/413/429 answers keep their latency while a maximal request is in flight.

The budget is enforced where the time goes: SQLite's progress handler aborts a query once the
request's deadline has passed, and the Python steps between queries check the same deadline; the
request is answered 422 with a message telling the HIS to split it.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from .errors import ApiError

T = TypeVar("T")

#: SQLite VM instructions between two deadline checks (~1 ms of work)
_PROGRESS_STEPS = 20000


class BudgetExceeded(ApiError):
    def __init__(self, budget: float) -> None:
        super().__init__(422, "time_budget",
                         f"请求审核超出时间预算（{budget:g}秒），请减少单次请求的就诊或明细数量后重试",
                         f"the audit exceeded its time budget ({budget:g} s); send fewer encounters or orders per request")


class Deadline:
    """The moment a request's audit must stop; checked by Python steps and by SQLite."""

    def __init__(self, budget: float) -> None:
        self.budget = budget
        self.at = time.monotonic() + budget

    def check(self) -> None:
        if time.monotonic() > self.at:
            raise BudgetExceeded(self.budget)


#: one lock and one audit thread per SQLite connection, however many apps share the engine
_PER_CONNECTION: dict[int, tuple[threading.Lock, ThreadPoolExecutor]] = {}
_REGISTRY_LOCK = threading.Lock()


def _for_connection(con: sqlite3.Connection) -> tuple[threading.Lock, ThreadPoolExecutor]:
    with _REGISTRY_LOCK:
        got = _PER_CONNECTION.get(id(con))
        if got is None:
            got = _PER_CONNECTION[id(con)] = (threading.Lock(),
                                              ThreadPoolExecutor(max_workers=1, thread_name_prefix="medaudit-audit"))
        return got


class AuditRunner:
    """Runs ``fn`` holding the engine: inline when small and free, else in the audit thread."""

    def __init__(self, con: sqlite3.Connection, budget: float, inline_bytes: int) -> None:
        self.con = con
        self.budget = budget
        self.inline_bytes = inline_bytes
        self.lock, self.pool = _for_connection(con)
        self._deadline: Deadline | None = None

    def _progress(self) -> int:
        d = self._deadline
        return 1 if d is not None and time.monotonic() > d.at else 0

    def _holding(self, fn: Callable[[Deadline], T], deadline: Deadline) -> T:
        """Run ``fn``; the caller holds :attr:`lock`."""
        try:
            deadline.check()  # it may have waited its whole budget for the engine
            self._deadline = deadline
            self.con.set_progress_handler(self._progress, _PROGRESS_STEPS)
            return fn(deadline)
        except sqlite3.OperationalError as exc:
            if "interrupted" in str(exc):
                raise BudgetExceeded(deadline.budget) from exc
            raise
        finally:
            self.con.set_progress_handler(None, 0)
            self._deadline = None
            self.lock.release()

    def _in_thread(self, fn: Callable[[Deadline], T], deadline: Deadline) -> T:
        self.lock.acquire()
        return self._holding(fn, deadline)

    async def run(self, fn: Callable[[Deadline], T], size: int) -> T:
        deadline = Deadline(self.budget)
        if size <= self.inline_bytes and self.lock.acquire(blocking=False):
            return self._holding(fn, deadline)
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.pool, self._in_thread, fn, deadline)
