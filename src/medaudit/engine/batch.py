"""Batch audit (事后审核) of a folder of canonical Parquet: the job behind `medaudit audit`."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from medaudit.engine.backends import get_backend
from medaudit.engine.runner import CompiledRuleSet, KnowledgeLike, ProgressFn, audit
from medaudit.errors import InputError
from medaudit.rules.loader import RuleBase
from medaudit.schema import SCHEMAS


def canonical_inputs(folder: str) -> dict[str, list[Path]]:
    """Canonical tables in ``folder``: ``<table>.parquet`` or a ``<table>/`` folder of Parquet parts."""
    if "://" in folder and not folder.startswith("file://"):
        # Hadoop-compatible URIs are handed to the engine as they are (Spark reads them).
        return {name: [Path(f"{folder.rstrip('/')}/{name}")] for name in SCHEMAS}
    base = Path(folder.removeprefix("file://"))
    found: dict[str, list[Path]] = {}
    for name in SCHEMAS:
        single = base / f"{name}.parquet"
        if single.is_file():
            found[name] = [single]
        elif (base / name).is_dir():
            parts = sorted((base / name).rglob("*.parquet"))
            if parts:
                found[name] = parts
    return found


def is_canonical(folder: Path) -> bool:
    return folder.is_dir() and (folder / "fee_lines.parquet").exists() and (folder / "encounters.parquet").exists()


@dataclass
class AuditResult:
    findings: pa.Table
    lines: int
    encounters: int
    seconds: float
    engine: str


def count_rows(paths: list[Path]) -> int:
    return sum(pq.ParquetFile(p).metadata.num_rows for p in paths if p.is_file())


def run_batch(folder: str, kb: KnowledgeLike | None, rulebase: RuleBase, engine: str = "duckdb",
              template_ids: list[str] | None = None, progress: ProgressFn | None = None,
              **engine_options: object) -> AuditResult:
    inputs = canonical_inputs(folder)
    for required in ("encounters", "fee_lines"):
        if required not in inputs:
            raise InputError(f"输入目录缺少 {required}.parquet / missing canonical table {required} in {folder}")
    backend = get_backend(engine, **engine_options)
    try:
        compiled = CompiledRuleSet.build(rulebase, backend.dialect, template_ids)
        backend.check_rules(compiled)  # load time: fail before reading a province's data
        start = time.perf_counter()
        claims: Mapping[str, pa.Table | list[Path]] = inputs
        findings = audit(backend, claims, kb, rulebase, progress=progress, compiled=compiled)
        seconds = time.perf_counter() - start
    finally:
        backend.close()
    lines = count_rows(inputs["fee_lines"]) if "://" not in folder else -1
    encs = count_rows(inputs["encounters"]) if "://" not in folder else -1
    return AuditResult(findings, lines, encs, seconds, engine)


def write_findings(findings: pa.Table, out: Path) -> None:
    """``findings.parquet`` plus a copy partitioned by pooling region and settlement month."""
    out.mkdir(parents=True, exist_ok=True)
    pq.write_table(findings, out / "findings.parquet")
    month = pc.strftime(findings.column("setl_date").cast(pa.timestamp("s")), format="%Y-%m")
    parted = findings.append_column("setl_month", month)
    ds.write_dataset(parted, out / "findings", format="parquet", partitioning=["medins_admdvs", "setl_month"],
                     partitioning_flavor="hive", existing_data_behavior="delete_matching")
