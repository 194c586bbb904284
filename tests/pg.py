"""A real PostgreSQL for the tests: the local server when one answers on 127.0.0.1:5432, otherwise a
throwaway server started from Debian's binaries (tests/setup_system.sh installs them where missing).

Each user gets a fresh database, dropped afterwards, so parallel test workers never share state.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

LOCAL = ("127.0.0.1", 5432)


def answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _throwaway_server() -> tuple[tuple[str, int], Callable[[], None]]:
    bins = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    assert bins, "no PostgreSQL binaries under /usr/lib/postgresql/*/bin (run: bash tests/setup_system.sh)"
    bindir = bins[-1].parent
    tmp = Path(tempfile.mkdtemp(prefix="medaudit-pg-"))
    port = _free_port()
    run_as: list[str] = []
    if os.geteuid() == 0:  # initdb refuses to run as root
        shutil.chown(tmp, "postgres", "postgres")
        run_as = ["runuser", "-u", "postgres", "--"]
    data = tmp / "data"
    subprocess.run([*run_as, str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres"],
                   check=True, capture_output=True)
    subprocess.run([*run_as, str(bindir / "pg_ctl"), "-D", str(data), "-l", str(tmp / "log"), "-w", "-o",
                    f"-p {port} -k {tmp} -c listen_addresses=127.0.0.1", "start"], check=True, capture_output=True)
    for _ in range(50):
        if answers("127.0.0.1", port):
            break
        time.sleep(0.1)
    subprocess.run([*run_as, str(bindir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "test"],
                   check=True, capture_output=True)

    def stop() -> None:
        subprocess.run([*run_as, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
                       capture_output=True)
        shutil.rmtree(tmp, ignore_errors=True)

    return ("127.0.0.1", port), stop


@contextmanager
def server() -> Iterator[tuple[str, int]]:
    """(host, port) of a PostgreSQL server with trust auth and a database named ``test``."""
    if answers(*LOCAL):
        yield LOCAL
        return
    address, stop = _throwaway_server()
    try:
        yield address
    finally:
        stop()


@contextmanager
def fresh_database(address: tuple[str, int], prefix: str = "medaudit") -> Iterator[str]:
    """A new, empty database on ``address`` as an SQLAlchemy URL; dropped on exit."""
    import psycopg

    host, port = address
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(host=host, port=port, user="postgres", dbname="test", autocommit=True) as con:
        con.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://postgres@{host}:{port}/{name}"
    finally:
        with psycopg.connect(host=host, port=port, user="postgres", dbname="test", autocommit=True) as con:
            con.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
