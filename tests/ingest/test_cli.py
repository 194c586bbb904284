"""The CLI prints the per-table accounting and writes the outputs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from .conftest import canonical_folder


def test_cli_text_and_json(tmp_path: Path, diag_codes: list[str]) -> None:
    src = canonical_folder(tmp_path / "src", diag_codes[0])
    cmd = [sys.executable, "-m", "medaudit", "ingest", str(src), "--out", str(tmp_path / "out")]
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=120, env={**os.environ, "COLUMNS": "200"})
    assert res.returncode == 0, res.stderr
    assert "read 3 = accepted 3 + quarantined 0" in res.stdout
    res = subprocess.run([*cmd, "--json"], capture_output=True, text=True, timeout=120)
    data = json.loads(res.stdout)
    assert data["tables"]["fee_lines"]["accepted"] == 3
    assert (tmp_path / "out" / "quarantine" / "fee_lines.csv").read_bytes().startswith(b"\xef\xbb\xbf")


def test_cli_missing_input_is_one_line(tmp_path: Path) -> None:
    res = subprocess.run([sys.executable, "-m", "medaudit", "ingest", str(tmp_path / "nope"), "--out",
                          str(tmp_path / "o")], capture_output=True, text=True, timeout=120)
    assert res.returncode == 2 and "不存在" in res.stderr
