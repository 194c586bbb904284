"""Synth throughput: a ~1M fee-line region (44,000 patients × 6 months) with default violation rates.

Prints fee lines/s for ``generate`` (and the Parquet write separately), CPU seconds beside wall
seconds because the build machine is shared.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

PATIENTS = 44_000
MONTHS = 6


def main() -> None:
    from medaudit.synth import SynthConfig, generate, write

    t0, c0 = time.perf_counter(), time.process_time()
    result = generate(SynthConfig(patients=PATIENTS, months=MONTHS, seed=7))
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    lines = result.tables["fee_lines"].num_rows
    print(f"synth generate: {lines:,} fee lines, {result.tables['encounters'].num_rows:,} encounters, "
          f"{result.labels.num_rows:,} labels in {wall:.1f} s wall / {cpu:.1f} s CPU "
          f"-> {lines / wall:,.0f} lines/s")
    out = Path(tempfile.mkdtemp(prefix="bench-synth-"))
    try:
        t1 = time.perf_counter()
        write(result, out, "parquet")
        print(f"synth write parquet: {time.perf_counter() - t1:.1f} s")
    finally:
        shutil.rmtree(out, ignore_errors=True)


if __name__ == "__main__":
    main()
