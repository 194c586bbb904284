"""Batch audit throughput: the full starter rule pack over 1M / 10M / 30M synthetic fee lines.

A ~1M-line region is generated once by ``medaudit.synth`` and replicated with suffixed ids (patients,
encounters, lines, traceability codes) to reach larger sizes, so every size has the same violation
mix. Prints lines/s, peak RSS of the audit process, and the ratio to a plain DuckDB scan of the
same columns. Sizes: env MEDAUDIT_BENCH_SIZES (default "1,10,30" million lines).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "bench-output"

_REPLICATE = {
    "patients": "SELECT * REPLACE (psn_no || '_' || CAST(r AS VARCHAR) AS psn_no)",
    "encounters": "SELECT * REPLACE (mdtrt_id || '_' || CAST(r AS VARCHAR) AS mdtrt_id, psn_no || '_' || CAST(r AS VARCHAR) AS psn_no)",
    "fee_lines": "SELECT * REPLACE (line_id || '_' || CAST(r AS VARCHAR) AS line_id, mdtrt_id || '_' || CAST(r AS VARCHAR) AS mdtrt_id, "
                 "init_line_id || '_' || CAST(r AS VARCHAR) AS init_line_id, drug_trac_codg || '_' || CAST(r AS VARCHAR) AS drug_trac_codg)",
    "diagnoses": "SELECT * REPLACE (mdtrt_id || '_' || CAST(r AS VARCHAR) AS mdtrt_id)",
    "operations": "SELECT * REPLACE (mdtrt_id || '_' || CAST(r AS VARCHAR) AS mdtrt_id)",
}


def base_region() -> Path:
    out = CACHE / "region-1m"
    if not (out / "fee_lines.parquet").exists():
        subprocess.run([sys.executable, "-m", "medaudit", "synth", "--patients", "44000", "--months", "6",
                        "--seed", "7", "--out", str(out)], check=True, stdout=subprocess.DEVNULL)
    return out


def replicate(base: Path, target_lines: int) -> Path:
    con = duckdb.connect()
    base_lines = con.sql(f"SELECT COUNT(*) FROM '{base}/fee_lines.parquet'").fetchall()[0][0]
    factor = max(1, round(target_lines / base_lines))
    out = CACHE / f"region-x{factor}"
    if (out / "fee_lines.parquet").exists():
        return out
    out.mkdir(parents=True, exist_ok=True)
    for name in ("institutions", "staff"):
        if (base / f"{name}.parquet").exists():
            con.execute(f"COPY (SELECT * FROM '{base}/{name}.parquet') TO '{out}/{name}.parquet' (FORMAT parquet)")
    for name, select in _REPLICATE.items():
        if not (base / f"{name}.parquet").exists():
            continue
        con.execute(f"COPY ({select} FROM '{base}/{name}.parquet', range({factor}) t(r)) "
                    f"TO '{out}/{name}.parquet' (FORMAT parquet, ROW_GROUP_SIZE 1000000)")
    return out


def plain_scan_seconds(folder: Path) -> float:
    """Read and decode every fee-line column the audit reads (hashing each value defeats statistics shortcuts)."""
    from medaudit.schema import SCHEMAS

    cols = ", ".join(f"SUM(hash({c}))" for c in SCHEMAS["fee_lines"].names)
    con = duckdb.connect()
    start = time.perf_counter()
    con.sql(f"SELECT COUNT(*), {cols} FROM '{folder}/fee_lines.parquet'").fetchall()
    return time.perf_counter() - start


def audit_once(folder: Path, memory_limit: str) -> dict[str, float]:
    """Audit in a child process so peak RSS is the audit's own."""
    code = (
        "import json, resource, time;"
        "from medaudit.engine.batch import run_batch;"
        "from medaudit.knowledge import default_knowledge;"
        "from medaudit.rules import load_rulebase;"
        f"r = run_batch({str(folder)!r}, default_knowledge(), load_rulebase(), memory_limit={memory_limit!r});"
        "print(json.dumps({'seconds': r.seconds, 'lines': r.lines, 'findings': r.findings.num_rows,"
        "'peak_rss_mb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))"
    )
    res = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    return json.loads(res.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> None:
    sizes = [int(s) for s in os.environ.get("MEDAUDIT_BENCH_SIZES", "1,10,30").split(",")]
    memory_limit = os.environ.get("MEDAUDIT_BENCH_MEMORY", "6GB")
    base = base_region()
    print(f"\n== batch audit (DuckDB, memory_limit={memory_limit}, full starter pack) ==")
    print(f"{'lines':>12} {'audit s':>9} {'lines/s':>12} {'scan s':>8} {'audit/scan':>10} {'peak RSS MB':>12} {'findings':>9}")
    for millions in sizes:
        folder = base if millions <= 1 else replicate(base, millions * 1_000_000)
        scan = plain_scan_seconds(folder)
        r = audit_once(folder, memory_limit)
        print(f"{int(r['lines']):>12,} {r['seconds']:>9.2f} {r['lines'] / r['seconds']:>12,.0f} {scan:>8.2f} "
              f"{r['seconds'] / scan:>10.1f} {r['peak_rss_mb']:>12,.0f} {int(r['findings']):>9,}")


if __name__ == "__main__":
    main()
