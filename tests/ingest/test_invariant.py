"""Row accounting: for any junk input, read == accepted + quarantined, per table, and nothing crashes."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from medaudit.ingest import ingest

from .conftest import ENC_HDR, FEE_HDR, PATIENT_HDR, encounter_rows, patients_rows, write_csv

cell = st.one_of(
    st.sampled_from(["", "E1", "E2", "L1", "09", "1000", "-1000", "100", "1e308", "１２３", "1,234.50", "2025-01-04",
                     "2025年1月5日", "\"", ",", "\n", "NaN", "x" * 50]),
    st.text(max_size=8),
)
row = st.lists(cell, min_size=0, max_size=len(FEE_HDR) + 2)
junk_bytes = st.binary(max_size=40)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(row, max_size=12), tail=junk_bytes, gbk=st.booleans())
def test_read_equals_accepted_plus_quarantined(rows: list[list[str]], tail: bytes, gbk: bool) -> None:
    with tempfile.TemporaryDirectory() as d:
        src = Path(d) / "src"
        src.mkdir()
        write_csv(src / "patients.csv", PATIENT_HDR, patients_rows())
        write_csv(src / "encounters.csv", ENC_HDR, encounter_rows())
        path = write_csv(src / "fee_lines.csv", FEE_HDR, rows, encoding="gb18030" if gbk else "utf-8")
        with path.open("ab") as fh:
            fh.write(tail)
        rep = ingest(src, Path(d) / "out", progress=False)
        for t in rep.tables.values():
            assert t.read == t.accepted + t.quarantined, t
        fee = rep.tables["fee_lines"]
        nonblank = sum(1 for r in rows if any(c.strip() for c in r) or len(r) > 1)
        assert fee.read >= nonblank - sum(1 for r in rows for c in r if "\"" in c or "\n" in c)
