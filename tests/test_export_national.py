"""The first thing a real user tries: national centre-table exports (GBK CSV, money in yuan) →
`medaudit ingest` → `medaudit audit`. A synthetic region exported in that shape must come back
identical, and its audit must equal the audit of the canonical tables."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from medaudit.engine.batch import run_batch
from medaudit.export import export_national
from medaudit.ingest import ingest
from medaudit.knowledge import default_knowledge
from medaudit.rules import load_rulebase
from medaudit.synth import SynthConfig, generate, write

KEYS = {"patients": "psn_no", "institutions": "fixmedins_code", "encounters": "mdtrt_id", "fee_lines": "line_id",
        "staff": "staff_code"}


@pytest.fixture(scope="module")
def region(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict[str, pa.Table]]:
    base = tmp_path_factory.mktemp("national")
    result = generate(SynthConfig(patients=400, months=1, seed=11))
    write(result, base / "canonical")
    export_national(result.tables, base / "exports", encoding="gbk")
    return base, base / "exports", result.tables


def test_exports_are_gbk_with_national_field_names(region: tuple[Path, Path, dict[str, pa.Table]]) -> None:
    _, exports, _ = region
    head = (exports / "FEE_LIST_D.csv").read_bytes().split(b"\r\n")[0].decode("ascii")
    assert head.startswith("bkkp_sn,mdtrt_id,fee_ocur_time,hilist_code,hilist_name,med_chrgitm_type,cnt,pric,")
    text = (exports / "MDTRT_D.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        text.decode("utf-8")  # Chinese names really are GBK-encoded
    assert "fixmedins_name" in text.decode("gbk").splitlines()[0]


def test_national_round_trip_is_exact(region: tuple[Path, Path, dict[str, pa.Table]]) -> None:
    base, exports, tables = region
    report = ingest(exports, base / "ingested")
    for name, rep in report.tables.items():
        assert rep.read == rep.accepted + rep.quarantined, name
        assert rep.quarantined == 0, (name, rep.quarantine)
    for name, key in KEYS.items():
        got = pq.read_table(base / "ingested" / f"{name}.parquet").sort_by(key)
        want = tables[name].sort_by(key)
        assert got.num_rows == want.num_rows, name
        assert got.to_pylist() == want.to_pylist(), name


def test_audit_of_exports_equals_audit_of_canonical(region: tuple[Path, Path, dict[str, pa.Table]]) -> None:
    base, exports, _ = region
    ingest(exports, base / "ingested2")
    kb, rb = default_knowledge(), load_rulebase()
    a = run_batch(str(base / "canonical"), kb, rb).findings
    b = run_batch(str(base / "ingested2"), kb, rb).findings
    assert a.num_rows > 0
    cols = [c for c in a.column_names if c != "versions"]
    assert a.select(cols).sort_by("finding_id").to_pylist() == b.select(cols).sort_by("finding_id").to_pylist()
