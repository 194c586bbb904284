"""`medaudit drg group` on a plain CSV and on a canonical dataset, as a user runs it."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq

from tests.drg.canonical_fixture import EXPECTED, write


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "medaudit", *args], capture_output=True, text=True, timeout=600)


def test_csv_layout(tmp_path: Path) -> None:
    src = tmp_path / "stays.csv"
    src.write_text("id,gender,age,age_days,weight,dx,proc\n"
                   "a,1,60,,,G45.000|A01.100,\n"
                   "b,女,0,3,1700,P07.200,\n"
                   "c,2,70,,,N40.x00,\n"
                   "d,1,x,,,G45.000,\n", encoding="utf-8")
    res = run("drg", "group", str(src), "--out", str(tmp_path / "out.csv"), "--reason")
    assert res.returncode == 0, res.stderr
    rows = list(csv.DictReader((tmp_path / "out.csv").open(encoding="utf-8")))
    assert [r["id"] for r in rows] == ["a", "b", "c", "d"]
    assert list(rows[0]) == ["id", "mdc", "adrg", "drg", "status", "reason"]
    assert (rows[0]["mdc"], rows[0]["adrg"], rows[0]["drg"], rows[0]["status"]) == ("MDCB", "BR2", "BR21", "分组成功")
    assert (rows[1]["adrg"], rows[1]["drg"]) == ("PS2", "PS25")
    assert rows[2]["drg"] == "0000" and "性别冲突" in rows[2]["reason"]
    assert rows[3]["status"] == "无法入组" and "年龄不是数字" in rows[3]["reason"]
    plain = run("drg", "group", str(src), "--out", str(tmp_path / "plain.csv"))
    assert (tmp_path / "plain.csv").read_text(encoding="utf-8").splitlines()[0] == "id,mdc,adrg,drg,status"
    assert plain.returncode == 0


def test_csv_missing_column_is_a_clear_error(tmp_path: Path) -> None:
    src = tmp_path / "bad.csv"
    src.write_text("id,gender,age\n1,1,50\n", encoding="utf-8")
    res = run("drg", "group", str(src), "--out", str(tmp_path / "o.csv"))
    assert res.returncode != 0 and "missing columns" in res.stderr and "Traceback" not in res.stderr
    assert not (tmp_path / "o.csv").exists()


def test_dataset(tmp_path: Path) -> None:
    data = write(tmp_path / "data")
    res = run("drg", "group", str(data), "--out", str(tmp_path / "groups"), "--json")
    assert res.returncode == 0, res.stderr
    summary = json.loads(res.stdout)
    assert summary["stays"] == len(EXPECTED) and summary["status"] == {"分组成功": 4, "无法入组": 2}
    assert (tmp_path / "groups" / "_SUCCESS").exists()
    groups = pq.read_table(tmp_path / "groups" / "drg_groups.parquet")
    assert {r["mdtrt_id"]: (r["drg"], r["status"]) for r in groups.to_pylist()} == EXPECTED
