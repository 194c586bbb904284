"""Batch jobs as an operator meets them: real signals on real subprocesses, reruns, leftovers of kills.

A job's output folder must appear whole (with ``_SUCCESS``) or not at all; an interrupt must exit
130 with a message so that ``medaudit audit … && publish`` never publishes an empty result.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from medaudit.outputs import MARKER, atomic_output, recover
from medaudit.synth import SynthConfig, generate, write

SRC = Path(__file__).resolve().parents[1] / "src"


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": f"{SRC}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}


def start(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "medaudit", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=_env())


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "medaudit", *args], capture_output=True, text=True, timeout=600,
                          env=_env())


def staged(out: Path) -> list[Path]:
    """The hidden siblings a run of ``out`` works in (``.out.medaudit-<token>.tmp`` / ``.lock``)."""
    return sorted(out.parent.glob(f".{out.name}.medaudit-*"))


def wait_for(proc: subprocess.Popen[str], out: Path, inner: str, timeout: float = 300) -> Path:
    """Block until the running job has written ``inner`` inside its staging folder."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        hits = [p for d in out.parent.glob(f".{out.name}.medaudit-*.tmp") for p in d.glob(inner)]
        if hits:
            return hits[0]
        if proc.poll() is not None:
            raise AssertionError(f"job ended before writing {inner}: rc={proc.returncode} {proc.stderr and proc.stderr.read()}")
        time.sleep(0.01)
    proc.kill()
    raise AssertionError(f"{inner} never appeared")


@pytest.fixture(scope="module")
def regions(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Two different canonical regions (different seeds, months and so different partitions)."""
    base = tmp_path_factory.mktemp("jobs")
    write(generate(SynthConfig(patients=800, months=1, seed=3)), base / "a")
    write(generate(SynthConfig(patients=300, months=2, seed=9)), base / "b")
    return base / "a", base / "b"


def test_sigint_on_audit_exits_130_with_message_and_publishes_nothing(regions: tuple[Path, Path],
                                                                      tmp_path: Path) -> None:
    out = tmp_path / "audit"
    proc = start("audit", str(regions[0]), "--out", str(out), "--json")
    wait_for(proc, out, "_scratch/audit.duckdb")  # DuckDB is working
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "已中断 / interrupted" in err and "Traceback" not in err
    assert not out.exists() and staged(out) == []


def test_sigterm_on_ingest_exits_143_and_removes_its_scratch(regions: tuple[Path, Path], tmp_path: Path) -> None:
    out = tmp_path / "canonical"
    proc = start("ingest", str(regions[0]), "--out", str(out))
    wait_for(proc, out, "medaudit-ingest-*/ingest.duckdb")
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 143, err
    assert "已中断 / interrupted" in err
    assert not out.exists() and staged(out) == []


def test_sigint_on_ingest_keeps_the_previous_output_whole(regions: tuple[Path, Path], tmp_path: Path) -> None:
    out = tmp_path / "canonical"
    res = run("ingest", str(regions[1]), "--out", str(out), "--json")
    assert res.returncode == 0, res.stderr
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    proc = start("ingest", str(regions[0]), "--out", str(out))
    wait_for(proc, out, "patients.parquet")
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    assert staged(out) == []


def test_sigkill_mid_write_then_rerun_with_other_input(regions: tuple[Path, Path], tmp_path: Path) -> None:
    """A kill while findings are written leaves the previous output whole and no marker on the partial
    one; the next run removes the dead run's folder and replaces every partition of the old output."""
    out = tmp_path / "audit"
    assert run("audit", str(regions[0]), "--out", str(out), "--no-excel").returncode == 0
    first = (out / MARKER).read_bytes()
    proc = start("audit", str(regions[1]), "--out", str(out))
    partial = wait_for(proc, out, "findings.parquet")
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    work = partial.parent
    assert (out / MARKER).read_bytes() == first  # --out still holds the first run, whole
    assert work.is_dir() and not (work / MARKER).exists()
    assert staged(out)  # the dead run's folder and lock are still there ...

    res = run("audit", str(regions[1]), "--out", str(out), "--json", "--no-excel")
    assert res.returncode == 0, res.stderr
    assert staged(out) == []  # ... until the next run removes them
    marker = json.loads((out / MARKER).read_text(encoding="utf-8"))
    expected = pq.read_table(out / "findings.parquet")
    assert marker["command"] == "audit" and marker["counts"]["findings"] == expected.num_rows > 0
    assert any(k.startswith("rules:") for k in marker["versions"])
    parts = {p.parent.relative_to(out / "findings").as_posix() for p in (out / "findings").rglob("*.parquet")}
    months = {f"medins_admdvs={r['medins_admdvs']}/setl_month={r['setl_date'].strftime('%Y-%m')}"
              for r in expected.select(["medins_admdvs", "setl_date"]).to_pylist()}
    assert parts == months  # no partition of the first run survives
    partitioned = pq.read_table(out / "findings")
    assert sorted(partitioned.column("finding_id").to_pylist()) == sorted(expected.column("finding_id").to_pylist())
    assert not (out / "report.xlsx").exists()


def test_ingest_killed_then_rerun_cleans_the_scratch_folder(regions: tuple[Path, Path], tmp_path: Path) -> None:
    out = tmp_path / "canonical"
    proc = start("ingest", str(regions[0]), "--out", str(out))
    wait_for(proc, out, "encounters.parquet")
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    assert not out.exists() and staged(out)
    res = run("ingest", str(regions[1]), "--out", str(out), "--json")
    assert res.returncode == 0, res.stderr
    assert staged(out) == []
    assert not list(out.glob("medaudit-ingest-*"))
    report = json.loads(res.stdout)
    marker = json.loads((out / MARKER).read_text(encoding="utf-8"))
    assert marker["counts"]["tables"]["fee_lines"]["accepted"] == report["tables"]["fee_lines"]["accepted"] > 0
    assert report["tables"]["fee_lines"]["output"] == str(out.absolute() / "fee_lines.parquet")


def test_a_folder_that_is_not_a_medaudit_output_is_never_replaced(regions: tuple[Path, Path], tmp_path: Path) -> None:
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me", encoding="utf-8")
    res = run("ingest", str(regions[1]), "--out", str(out))
    assert res.returncode == 2 and "_SUCCESS" in res.stderr and "Traceback" not in res.stderr
    assert (out / "notes.txt").read_text(encoding="utf-8") == "keep me" and staged(out) == []
    res = run("export", str(regions[1]), "--out", str(regions[1].parent))  # would delete its own input
    assert res.returncode == 2 and "input lies inside --out" in res.stderr
    assert (regions[1] / "fee_lines.parquet").is_file()


def test_failure_inside_a_job_removes_the_staging_folder(tmp_path: Path) -> None:
    out = tmp_path / "o"
    with pytest.raises(ZeroDivisionError), atomic_output(out, "test") as stage:
        (stage.path / "half.parquet").write_bytes(b"PAR1")
        (stage.scratch / "spill.tmp").write_bytes(b"x" * 1000)
        raise ZeroDivisionError
    assert not out.exists() and staged(out) == []
    with atomic_output(out, "test") as stage:
        (stage.scratch / "spill.tmp").write_bytes(b"x")
        stage.counts["rows"] = 1
    assert sorted(p.name for p in out.iterdir()) == [MARKER]  # scratch never published
    assert json.loads((out / MARKER).read_text(encoding="utf-8"))["counts"] == {"rows": 1}


def test_a_run_killed_between_its_two_renames_is_completed_by_the_next(tmp_path: Path) -> None:
    out = tmp_path / "o"
    with atomic_output(out, "test") as stage:
        (stage.path / "v").write_text("1")
    # what a kill between "out → .old" and ".tmp → out" leaves: a dead lock, the old and the finished new
    prefix = tmp_path / ".o.medaudit-999999-dead"
    out.rename(prefix.with_name(prefix.name + ".old"))
    new = prefix.with_name(prefix.name + ".tmp")
    new.mkdir()
    (new / "v").write_text("2")
    (new / MARKER).write_text("{}")
    prefix.with_name(prefix.name + ".lock").touch()
    recover(out)
    assert (out / "v").read_text() == "2" and staged(out) == []


def test_failure_exit_codes_and_debug_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "fee_lines.parquet").write_bytes(b"not parquet at all")
    (bad / "encounters.parquet").write_bytes(b"not parquet at all")
    res = run("export", str(bad), "--out", str(tmp_path / "o"))
    assert res.returncode == 1, res.stderr
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "错误 / error" in lines[0] and "--debug" in lines[0], res.stderr
    assert "Traceback" not in res.stderr and not (tmp_path / "o").exists()
    res = run("--debug", "export", str(bad), "--out", str(tmp_path / "o"))
    assert res.returncode == 1 and "Traceback" in res.stderr
    res = run("audit", str(bad), "--bogus-option")
    assert res.returncode == 2 and "Traceback" not in res.stderr


def test_memory_limit_is_split_between_the_process_and_duckdb() -> None:
    from medaudit.errors import InputError
    from medaudit.memory import MIB, engine_share, parse_size

    assert parse_size("4GB") == 4 << 30 and parse_size("512mb") == 512 * MIB and parse_size("1.5GiB") == 3 << 29
    with pytest.raises(InputError, match="invalid --memory-limit"):
        parse_size("lots")
    # 1 GiB limit, 300 MiB already resident: DuckDB gets the rest less a 10 % reserve
    assert engine_share(1 << 30, rss=300 * MIB) == (1 << 30) - 300 * MIB - (1 << 30) // 10
    with pytest.raises(InputError, match="too low"):
        engine_share(256 * MIB, rss=250 * MIB)


def test_audit_refuses_a_memory_limit_below_what_it_already_holds(regions: tuple[Path, Path], tmp_path: Path) -> None:
    res = run("audit", str(regions[1]), "--out", str(tmp_path / "o"), "--memory-limit", "64MB")
    assert res.returncode == 2 and "--memory-limit too low" in res.stderr, res.stderr
    assert not (tmp_path / "o").exists() and staged(tmp_path / "o") == []
