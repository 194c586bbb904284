"""`medaudit audit --engine spark` end to end: same findings as DuckDB, partitioned by region and month."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq

from medaudit.synth import SynthConfig, generate, write


def _audit(region: Path, out: Path, *engine: str) -> dict[str, object]:
    res = subprocess.run([sys.executable, "-m", "medaudit", "audit", str(region), "--out", str(out), "--json",
                          "--no-excel", *engine], capture_output=True, text=True, timeout=900)
    assert res.returncode == 0, res.stderr[-2000:]
    return json.loads(res.stdout[res.stdout.index("{"):])  # type: ignore[no-any-return]


def test_cli_audit_on_spark_equals_duckdb(tmp_path: Path) -> None:
    """The whole national pack through the product path, on a region dense with injected violations (the
    one whole-pack Spark comparison: the golden region covers each template's cases)."""
    from medaudit.knowledge import default_knowledge
    from medaudit.synth import SCHEMES

    kb = default_knowledge()
    write(generate(SynthConfig(patients=200, months=1, seed=7, rates=dict.fromkeys(SCHEMES, 0.5),
                               knowledge=dict(kb.tables))), tmp_path / "region")
    spark = _audit(tmp_path / "region", tmp_path / "spark", "--engine", "spark", "--master", "local[2]")
    duck = _audit(tmp_path / "region", tmp_path / "duck")
    assert spark["engine"] == "spark" and spark["findings"] == duck["findings"] and spark["amount_fen"] == duck["amount_fen"]
    a = pq.read_table(tmp_path / "spark" / "findings.parquet").drop_columns(["versions"]).sort_by("finding_id")
    b = pq.read_table(tmp_path / "duck" / "findings.parquet").drop_columns(["versions"]).sort_by("finding_id")
    assert a.num_rows > 0 and a.equals(b)
    assert len(set(b.column("rule_id").to_pylist())) >= 10, "too few templates fired to compare engines"
    parts = sorted(p.relative_to(tmp_path / "spark" / "findings").parts[:2]
                   for p in (tmp_path / "spark" / "findings").rglob("*.parquet"))
    assert parts and all(p[0].startswith("medins_admdvs=") and p[1].startswith("setl_month=") for p in parts)
