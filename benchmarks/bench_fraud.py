"""Run time of every fraud model on a synthetic region (features on the engine, scoring in Python).

    PYTHONPATH=src python benchmarks/bench_fraud.py --patients 20000 --months 3 [--engine duckdb]

Prints one JSON line: region size, seconds per model and in all. Keep runs short on shared machines;
the 1M-patient figure the issue asks for is `--patients 1000000` on a machine of its own.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--patients", type=int, default=20000)
    ap.add_argument("--months", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--engine", default="duckdb")
    args = ap.parse_args()
    from medaudit.engine.batch import canonical_inputs, count_rows
    from medaudit.fraud.runner import run_detect
    from medaudit.knowledge import default_knowledge
    from medaudit.synth import SynthConfig, generate, write

    with tempfile.TemporaryDirectory(prefix="bench-fraud-") as tmp:
        region = Path(tmp) / "region"
        write(generate(SynthConfig(patients=args.patients, months=args.months, seed=args.seed)), region)
        inputs = canonical_inputs(str(region))
        start = time.perf_counter()
        result = run_detect(str(region), default_knowledge(), engine=args.engine)
        total = time.perf_counter() - start
        print(json.dumps({"patients": args.patients, "months": args.months, "engine": args.engine,
                          "fee_lines": count_rows(inputs["fee_lines"]), "encounters": count_rows(inputs["encounters"]),
                          "clues": result.clues.num_rows, "seconds_total": round(total, 2),
                          "seconds_by_model": result.seconds}))


if __name__ == "__main__":
    main()
