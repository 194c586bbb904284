"""Report writing vs audit time with about a million findings (issue 13: report ≤ 10 % of the audit).

The findings come from a real audit, not a fabricated table: the synthetic region of
``bench_engine`` (replicated to enough lines) is audited with an empty knowledge pack and every
template on, as ``audit --force`` would run on a region whose catalogue the pack does not know —
the situation that produced the 200k-finding, 49-second report. The audit is timed, then the
Excel report (summaries + capped detail), the full-detail CSV and the findings Parquet are each
timed on those findings. Env: MEDAUDIT_BENCH_REPORT_LINES (default 2,000,000 fee lines),
MEDAUDIT_BENCH_MEMORY (default 6GB).
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path

import pyarrow as pa

from benchmarks.bench_engine import base_region, replicate


class _EmptyPack:
    """A pack that knows no code (the engines register every knowledge table empty)."""

    tables: Mapping[str, pa.Table] = {}
    versions: Mapping[str, str] = {"empty": "0"}


def main() -> None:
    from medaudit.engine.batch import run_batch, write_findings
    from medaudit.report import DETAIL_ROWS, write_detail_csv, write_excel
    from medaudit.rules import load_rulebase

    target = int(os.environ.get("MEDAUDIT_BENCH_REPORT_LINES", "2000000"))
    memory_limit = os.environ.get("MEDAUDIT_BENCH_MEMORY", "6GB")
    base = base_region()
    folder = base if target <= 1_000_000 else replicate(base, target)
    result = run_batch(str(folder), _EmptyPack(), load_rulebase(), memory_limit=memory_limit)
    findings = result.findings
    print(f"\n== report writing vs audit ({result.lines:,} fee lines, empty pack, all templates) ==")
    print(f"audit: {result.seconds:.2f} s, {findings.num_rows:,} findings")
    with tempfile.TemporaryDirectory(prefix="medaudit-bench-report-") as tmp:
        out = Path(tmp)
        timings: dict[str, float] = {}
        start = time.perf_counter()
        write_excel(findings, out / "report.xlsx", {})
        timings[f"Excel report (summaries + {DETAIL_ROWS:,} detail rows)"] = time.perf_counter() - start
        start = time.perf_counter()
        write_detail_csv(findings, out / "findings.csv")
        timings["findings.csv (--csv, full detail)"] = time.perf_counter() - start
        start = time.perf_counter()
        write_findings(findings, out)
        timings["findings.parquet + partitioned copy"] = time.perf_counter() - start
        sizes = {"report.xlsx": (out / "report.xlsx").stat().st_size, "findings.csv": (out / "findings.csv").stat().st_size}
    print(f"{'output':<48} {'seconds':>8} {'% of audit':>10}")
    for name, sec in timings.items():
        print(f"{name:<48} {sec:>8.2f} {sec / result.seconds * 100:>9.1f}%")
    print("sizes: " + ", ".join(f"{k} {v / 1e6:.1f} MB" for k, v in sizes.items()))


if __name__ == "__main__":
    main()
