"""Run every benchmark module (or those named on the command line: `python -m benchmarks engine api`)."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path


def main() -> None:
    wanted = set(sys.argv[1:])
    for path in sorted(Path(__file__).parent.glob("bench_*.py")):
        name = path.stem.removeprefix("bench_")
        if wanted and name not in wanted:
            continue
        print(f"\n##### benchmark: {name}")
        importlib.import_module(f"benchmarks.{path.stem}").main()


if __name__ == "__main__":
    main()
