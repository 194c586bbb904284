"""CPU-heavy audit work off the event loop, with a per-request time budget.

Each worker owns one in-memory SQLite engine, which can serve one audit at a time. A small request is
cheapest audited inline (a thread hop costs more than its whole audit, DESIGN.md), but only while no
other audit holds the engine; a large body, or any request arriving while the engine is busy, is
audited in the worker's single audit thread. The loop stays free either way, so ``/healthz`` and the
401/413/429 answers keep their latency while a maximal request is in flight.

The budget is enforced where the time goes. SQLite's progress handler aborts a query once the
deadline has passed. Python steps (turning many raw rows into findings can dominate: rules that pair
lines grow quadratically with a request's orders) are stopped by a watchdog thread that raises an
exception asynchronously in the auditing thread (``PyThreadState_SetAsyncExc``). The watchdog is armed
only around pure computation (rules and rendering) and never while a store is read or written, so it
cannot interrupt database code. The request is answered 422 telling the HIS to split it; the engine reloads
every claim table on the next request, so nothing of the aborted audit survives.
"""

from __future__ import annotations

import asyncio
import ctypes
import sqlite3
import sys
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


class _Overrun(Exception):
    """Raised asynchronously in the auditing thread by the watchdog (must take no arguments)."""


class _Watchdog:
    """One thread per engine that interrupts the audit holding it once its deadline passes."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._armed: tuple[int, float] | None = None
        threading.Thread(target=self._run, name="medaudit-watchdog", daemon=True).start()

    def arm(self, deadline_at: float) -> None:
        with self._cond:
            self._armed = (threading.get_ident(), deadline_at)
            self._cond.notify()

    def disarm(self) -> None:
        with self._cond:
            if self._armed is not None and self._armed[0] == threading.get_ident():
                self._armed = None
            # a raise already requested but not yet delivered is withdrawn
            ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(threading.get_ident()), None)

    def _run(self) -> None:
        while True:
            with self._cond:
                if self._armed is None:
                    self._cond.wait()
                    continue
                tid, at = self._armed
                wait = at - time.monotonic()
                if wait > 0:
                    self._cond.wait(wait)
                    continue
                self._armed = None
                ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(tid), ctypes.py_object(_Overrun))


class Deadline:
    """The moment a request's audit must stop; checked by Python steps, SQLite and the watchdog."""

    def __init__(self, budget: float) -> None:
        self.budget = budget
        self.at = time.monotonic() + budget
        self._watchdog: _Watchdog | None = None

    def check(self) -> None:
        if time.monotonic() > self.at:
            raise BudgetExceeded(self.budget)

    def arm(self) -> None:
        """Start the part the watchdog may interrupt: pure computation, no store access."""
        if self._watchdog is not None:
            self._watchdog.arm(self.at)

    def disarm(self) -> None:
        """End the interruptible part (before any store is read or written)."""
        if self._watchdog is not None:
            self._watchdog.disarm()


#: one lock, audit thread and watchdog per SQLite connection, however many apps share the engine
_PER_CONNECTION: dict[int, tuple[threading.Lock, ThreadPoolExecutor, _Watchdog]] = {}
_REGISTRY_LOCK = threading.Lock()


def _for_connection(con: sqlite3.Connection) -> tuple[threading.Lock, ThreadPoolExecutor, _Watchdog]:
    with _REGISTRY_LOCK:
        got = _PER_CONNECTION.get(id(con))
        if got is None:
            got = _PER_CONNECTION[id(con)] = (
                threading.Lock(), ThreadPoolExecutor(max_workers=1, thread_name_prefix="medaudit-audit"), _Watchdog())
        return got


#: the GIL hand-over interval while an audit thread runs beside the event loop (CPython default 5 ms):
#: the loop needs the GIL several times per answer, so each wait would otherwise add up to 5 ms
GIL_SLICE_SECONDS = 0.0005


def _short_gil_slices() -> None:
    if sys.getswitchinterval() > GIL_SLICE_SECONDS:
        sys.setswitchinterval(GIL_SLICE_SECONDS)


class AuditRunner:
    """Runs ``fn`` holding the engine: inline when small and free, else in the audit thread."""

    def __init__(self, con: sqlite3.Connection, budget: float, inline_bytes: int) -> None:
        self.con = con
        self.budget = budget
        self.inline_bytes = inline_bytes
        self.lock, self.pool, self.watchdog = _for_connection(con)
        self._deadline: Deadline | None = None

    def _progress(self) -> int:
        d = self._deadline
        return 1 if d is not None and time.monotonic() > d.at else 0

    def _holding(self, fn: Callable[[Deadline], T], deadline: Deadline) -> T:
        """Run ``fn``; the caller holds :attr:`lock`, released here on every path."""
        try:
            try:
                deadline.check()  # it may have waited its whole budget for the engine
                self._deadline = deadline
                self.con.set_progress_handler(self._progress, _PROGRESS_STEPS)
                deadline._watchdog = self.watchdog
                return fn(deadline)
            finally:
                deadline.disarm()  # an overrun delivered in here still reaches the outer handlers
        except _Overrun as exc:
            raise BudgetExceeded(deadline.budget) from exc
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
        _short_gil_slices()
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.pool, self._in_thread, fn, deadline)
