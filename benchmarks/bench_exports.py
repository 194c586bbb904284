"""A region exported the way a platform exports it (issue 13), ~1M fee lines: ingest and audit time,
and the share quarantined (which must be 0: nothing in a platform export is unauditable).

``BENCH_EXPORTS_PATIENTS`` scales the region (default 85,000 insured × 3 months ≈ 1M fee lines).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path


def main() -> None:
    from medaudit.engine.batch import run_batch
    from medaudit.ingest import ingest
    from medaudit.knowledge import default_knowledge
    from medaudit.rules.loader import NATIONAL_PACK, load_rulebase
    from medaudit.synth import SynthConfig, generate, write

    patients = int(os.environ.get("BENCH_EXPORTS_PATIENTS", 85_000))
    tmp = Path(tempfile.mkdtemp(prefix="bench-exports-"))
    try:
        t0 = time.perf_counter()
        result = generate(SynthConfig(patients=patients, months=3, seed=1))
        write(result, tmp / "export", "platform")
        gen = time.perf_counter() - t0
        t0 = time.perf_counter()
        report = ingest(tmp / "export", tmp / "canonical", progress=False)
        ingest_s = time.perf_counter() - t0
        read = sum(t.read for n, t in report.tables.items() if n != "settlements")
        quarantined = sum(t.quarantined for n, t in report.tables.items() if n != "settlements")
        assert report.ok
        res = run_batch(str(tmp / "canonical"), default_knowledge(), load_rulebase([NATIONAL_PACK]))
        lines = report.tables["fee_lines"].accepted
        print(f"bench_exports: {lines:,} fee lines, {report.tables['encounters'].accepted:,} encounters "
              f"(platform export written in {gen:.1f} s); ingest {ingest_s:.1f} s "
              f"({read / ingest_s:,.0f} rows/s); audit {res.seconds:.1f} s ({res.lines / res.seconds:,.0f} lines/s, "
              f"{res.findings.num_rows:,} findings); quarantined {quarantined:,} of {read:,} rows "
              f"({quarantined / read:.4%})")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
