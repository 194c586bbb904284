"""`medaudit detect` and `medaudit fraud …` as a user meets them: clue table, contract, docs, errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq

from medaudit.fraud.model import CLUES_SCHEMA, clue_id
from tests.fraud import test_ring


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "medaudit", *args], capture_output=True, text=True, timeout=600)


def test_detect_writes_the_clue_contract(tmp_path: Path) -> None:
    region, ring, _ = test_ring._region()
    data = tmp_path / "region"
    data.mkdir()
    for name, table in region.tables().items():
        pq.write_table(table, data / f"{name}.parquet")
    res = run("detect", str(data), "--out", str(tmp_path / "out"), "--models", "care_ring", "--json")
    assert res.returncode == 0, res.stderr
    info = json.loads(res.stdout)
    assert info["clues"] == 1 and (tmp_path / "out" / "_SUCCESS").is_file()
    clues = pq.read_table(tmp_path / "out" / "clues.parquet")
    assert clues.schema == CLUES_SCHEMA
    row = clues.to_pylist()[0]
    assert row["clue_id"] == clue_id("care_ring", ring) and row["subject_ids"] == sorted(ring)
    assert row["subject_type"] == "group" and row["rank"] == 1 and 0 < row["score"] <= 1
    assert row["model_version"] == 1 and row["review_status"] == "待核查"
    assert json.loads(row["evidence"])["size"] == 6 and len(row["encounter_ids"]) == 30
    assert (tmp_path / "out" / "clues.xlsx").stat().st_size > 0


def test_unknown_model_is_a_one_line_error(tmp_path: Path) -> None:
    res = run("fraud", "show", "no_such_model")
    assert res.returncode == 2 and "no_such_model" in res.stderr and "Traceback" not in res.stderr


def test_docs_cover_every_model() -> None:
    res = run("fraud", "docs")
    assert res.returncode == 0
    for mid in ("drug_resale", "card_cashout", "phantom_stay", "care_ring", "peer_outlier", "key_drug",
                "institution_pattern", "suspicion_index"):
        assert f"## {mid} " in res.stdout
    assert Path("docs/fraud.md").read_text(encoding="utf-8") == res.stdout  # regenerated, not hand-edited
