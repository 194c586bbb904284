"""``--memory-limit`` as a bound on the whole process, not on DuckDB alone.

Why: DuckDB's ``memory_limit`` covers only its buffer manager; the interpreter, pyarrow, the loaded
knowledge and rule bases and the findings handed back to Python come on top (measured 110–250 MB on
the 2-core build machine). So DuckDB is given the limit minus what the process already holds when the
engine starts, minus a reserve for the Arrow results it returns; the resulting bound is documented in
docs/ingest.md ("Memory").
"""

from __future__ import annotations

import os
import re
import resource

from medaudit.errors import InputError

MIB = 1 << 20
#: floor for DuckDB's share: below this it cannot hold a hash table for one rule's join
MIN_ENGINE = 64 * MIB
#: share of the limit kept for results (findings) returned into Python while DuckDB still runs
RESERVE_SHARE = 0.10
MIN_RESERVE = 32 * MIB

_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([KMGT]?)(I?B)?\s*$", re.IGNORECASE)
_UNIT = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}


def parse_size(text: str) -> int:
    """``4GB``, ``512MB``, ``1.5GiB``, ``300M`` → bytes (binary units: DuckDB reads ``GB`` as 10^9,
    but a limit people type is meant as 'this much RAM', so both spellings are taken as powers of 2)."""
    m = _SIZE.match(text or "")
    if not m:
        raise InputError(f"内存上限格式错误，应如 4GB、512MB / invalid --memory-limit {text!r}, expected e.g. 4GB")
    return int(float(m.group(1)) * _UNIT[m.group(2).upper()])


def current_rss() -> int:
    """Resident set size of this process now (Linux /proc), else its peak so far."""
    try:
        with open("/proc/self/statm", encoding="ascii") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def engine_share(limit: int, rss: int | None = None) -> int:
    """DuckDB's memory limit so that the process as a whole stays within ``limit``."""
    held = current_rss() if rss is None else rss
    reserve = max(MIN_RESERVE, int(limit * RESERVE_SHARE))
    share = limit - held - reserve
    if share < MIN_ENGINE:
        raise InputError(f"内存上限过低：进程已占用 {held // MIB} MB，另需预留 {reserve // MIB} MB 与引擎最少 "
                         f"{MIN_ENGINE // MIB} MB / --memory-limit too low: the process already holds {held // MIB} MB; "
                         f"need at least {(held + reserve + MIN_ENGINE) // MIB + 1} MB")
    return share


def duckdb_size(n: int) -> str:
    """A byte count as DuckDB reads it (``MiB`` is binary there, unlike ``MB``)."""
    return f"{max(1, n // MIB)}MiB"
