"""Atomic output folders: a job's output appears whole, with a ``_SUCCESS`` marker, or not at all.

Why: a job killed while writing used to leave a truncated ``findings.parquet`` that looked finished,
and a rerun to the same folder mixed stale partitions with new ones. Every command that writes an
output folder therefore builds it in a hidden sibling (same filesystem, so ``rename`` is atomic),
writes ``_SUCCESS`` last and only then swaps it into place. The sibling is tied to a lock file held
with ``flock`` for the life of the process: the kernel releases it on any death (SIGKILL included),
so the next run can tell a dead run's leftovers from a live concurrent run's and remove only those.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from medaudit.errors import InputError

MARKER = "_SUCCESS"
SCRATCH = "_scratch"
_TAG = ".medaudit-"


@dataclass
class Staging:
    """The folder being built (``path``) and what ``_SUCCESS`` will record about it."""

    path: Path
    final: Path
    command: str
    counts: dict[str, Any] = field(default_factory=dict)
    versions: dict[str, str] = field(default_factory=dict)

    @property
    def scratch(self) -> Path:
        """Spill and temporary files of the run; removed before the output is published."""
        p = self.path / SCRATCH
        p.mkdir(exist_ok=True)
        return p

    def final_path(self, p: Path | str) -> Path:
        """Where a file written under ``path`` will be once the output is in place."""
        return self.final / Path(p).relative_to(self.path)


def _siblings(out: Path, token: str) -> tuple[Path, Path, Path]:
    stem = out.parent / f".{out.name}{_TAG}{token}"
    return stem.with_name(stem.name + ".lock"), stem.with_name(stem.name + ".tmp"), stem.with_name(stem.name + ".old")


def _remove(p: Path) -> None:
    if p.is_dir() and not p.is_symlink():
        shutil.rmtree(p, ignore_errors=True)
    elif p.exists() or p.is_symlink():
        p.unlink(missing_ok=True)


def recover(out: Path) -> list[Path]:
    """Remove what dead runs left beside ``out``; returns the paths removed.

    A run killed between its two renames leaves ``out`` missing: its finished ``.tmp`` (with
    ``_SUCCESS``) is published, else the previous output (``.old``) is put back.
    """
    removed: list[Path] = []
    if not out.parent.is_dir():
        return removed
    prefix = f".{out.name}{_TAG}"
    for lock in sorted(out.parent.glob(f"{prefix}*.lock")):
        token = lock.name[len(prefix):-len(".lock")]
        try:
            fd = os.open(lock, os.O_RDWR)
        except FileNotFoundError:
            continue
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue  # a live run owns it
            _, tmp, old = _siblings(out, token)
            if not out.exists():
                if (tmp / MARKER).is_file():
                    tmp.rename(out)
                elif old.is_dir():
                    old.rename(out)
            for p in (tmp, old, lock):
                if p.exists():
                    _remove(p)
                    removed.append(p)
        finally:
            os.close(fd)
    return removed


def _check_replaceable(out: Path) -> None:
    """Refuse to replace anything that is not an earlier medaudit output (or an empty folder)."""
    if not out.exists() and not out.is_symlink():
        return
    if not out.is_dir() or out.is_symlink():
        raise InputError(f"输出路径已存在且不是目录 / --out exists and is not a folder: {out}")
    if (out / MARKER).is_file() or not any(out.iterdir()):
        return
    raise InputError(f"输出目录已存在且不是完整的 medaudit 输出(无 {MARKER})，为免误删不予覆盖；请删除或换一个目录 / "
                     f"--out exists and is not a finished medaudit output (no {MARKER}); "
                     f"not replacing it, remove it or choose another folder: {out}")


def _inside(child: Path, parent: Path) -> bool:
    c, p = child.resolve(), parent.resolve()
    return c == p or p in c.parents


def check_input_outside(src: Path | str, out: Path) -> None:
    """An output replaced whole must not contain the job's own input."""
    if "://" in str(src):
        return
    if _inside(Path(src), out):
        raise InputError(f"输入位于输出目录之内，重跑会删除输入 / the input lies inside --out and would be deleted: {src}")


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("medaudit")
    except PackageNotFoundError:
        return "unknown"


@contextmanager
def atomic_output(out: Path, command: str) -> Iterator[Staging]:
    """Build ``out`` in a locked hidden sibling; on success write ``_SUCCESS`` and swap it in.

    On any exception (KeyboardInterrupt included) the sibling is removed and ``out`` is untouched.
    """
    out = Path(out).absolute()
    out.parent.mkdir(parents=True, exist_ok=True)
    recover(out)
    _check_replaceable(out)
    token = f"{os.getpid()}-{secrets.token_hex(4)}"
    lock, tmp, old = _siblings(out, token)
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    started = dt.datetime.now(dt.UTC)
    try:
        tmp.mkdir()
        stage = Staging(tmp, out, command)
        yield stage
        _remove(tmp / SCRATCH)
        marker = {"command": command, "medaudit": _version(), "started": started.isoformat(timespec="seconds"),
                  "finished": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), "counts": stage.counts,
                  "versions": stage.versions}
        with (tmp / MARKER).open("w", encoding="utf-8") as fh:
            json.dump(marker, fh, ensure_ascii=False, indent=2, default=str)
            fh.flush()
            os.fsync(fh.fileno())
        _check_replaceable(out)  # another run may have written a foreign folder meanwhile
        if out.exists():
            out.rename(old)
        try:
            tmp.rename(out)
        except BaseException:
            if old.is_dir() and not out.exists():
                old.rename(out)
            raise
    finally:
        _remove(tmp)
        _remove(old)
        lock.unlink(missing_ok=True)
        os.close(fd)


def read_marker(out: Path) -> dict[str, Any] | None:
    """The ``_SUCCESS`` record of a finished output, or None when ``out`` is not one."""
    p = Path(out) / MARKER
    if not p.is_file():
        return None
    data: dict[str, Any] = json.loads(p.read_text(encoding="utf-8"))
    return data


def rebase(data: Any, staged: Path, final: Path) -> Any:
    """``data`` (a report's JSON form) with paths inside the staging folder pointing to ``final``."""
    old, new = str(staged), str(final)
    if isinstance(data, str):
        return new + data[len(old):] if data == old or data.startswith(old + os.sep) else data
    if isinstance(data, dict):
        return {k: rebase(v, staged, final) for k, v in data.items()}
    if isinstance(data, list):
        return [rebase(v, staged, final) for v in data]
    return data
