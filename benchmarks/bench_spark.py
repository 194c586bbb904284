"""Spark (local mode) vs DuckDB: the full rule pack over the same synthetic fee lines.

Spark is the scale-out engine; on one small machine it is expected to be slower than DuckDB (JVM,
shuffles, task scheduling). What this measures is the price of that generality and that both engines
return the same findings on millions of lines. The region is the one ``bench_engine`` generates
(``medaudit.synth``, ~1M lines, cached in bench-output/), replicated to the requested size.

Env: MEDAUDIT_BENCH_SPARK_MILLIONS (default "2"), MEDAUDIT_BENCH_SPARK_MASTER (default "local[*]").
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from benchmarks.bench_engine import base_region, replicate

_CHILD = """
import json, sys
from medaudit.engine.batch import run_batch
from medaudit.knowledge import default_knowledge
from medaudit.rules import load_rulebase
folder, engine, master = sys.argv[1], sys.argv[2], sys.argv[3]
options = {"memory_limit": "4GB"} if engine == "duckdb" else {
    "master": master, "shuffle_partitions": 16, "driver_memory": "6g",
    "conf": {"spark.ui.enabled": "false", "spark.sql.adaptive.enabled": "true"}}
r = run_batch(folder, default_knowledge(), load_rulebase(), engine=engine, **options)
f = r.findings
print(json.dumps({"seconds": r.seconds, "lines": r.lines, "findings": f.num_rows,
                  "amount_fen": sum(v or 0 for v in f["amount_fen"].to_pylist()),
                  "digest": __import__("hashlib").sha1("\\n".join(sorted(
                      f"{a}|{b}|{c}" for a, b, c in zip(f["finding_id"].to_pylist(), f["amount_fen"].to_pylist(),
                                                         f["reason"].to_pylist()))).encode()).hexdigest()}))
"""


def run(folder: Path, engine: str, master: str) -> dict[str, float | int | str]:
    """One audit in a child process (own JVM / own DuckDB), so neither engine warms the other."""
    res = subprocess.run([sys.executable, "-c", _CHILD, str(folder), engine, master], check=True,
                         capture_output=True, text=True)
    return json.loads(res.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> None:
    millions = float(os.environ.get("MEDAUDIT_BENCH_SPARK_MILLIONS", "2"))
    master = os.environ.get("MEDAUDIT_BENCH_SPARK_MASTER", "local[*]")
    folder = replicate(base_region(), int(millions * 1_000_000))
    print(f"data: {folder} · Spark master {master} · {os.cpu_count()} CPUs")
    results = {}
    for engine in ("duckdb", "spark"):
        r = run(folder, engine, master)
        results[engine] = r
        print(f"{engine:7s} {r['lines']:>11,} lines  {r['seconds']:8.1f} s  "
              f"{r['lines'] / r['seconds']:>11,.0f} lines/s  findings {r['findings']:,}  "
              f"amount {r['amount_fen']:,} fen")
    d, s = results["duckdb"], results["spark"]
    same = d["digest"] == s["digest"] and d["findings"] == s["findings"]
    print(f"Spark/DuckDB time ratio: {float(s['seconds']) / float(d['seconds']):.1f}x · "
          f"findings identical: {'yes' if same else 'NO'}")
    if not same:
        raise SystemExit("Spark and DuckDB findings differ")
