from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from pathlib import Path

import openpyxl
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from medaudit.schema import SCHEMAS, conform
from medaudit.synth import TABLE_NAMES, SynthConfig, SynthResult, generate, write
from medaudit.synth.refcodes import diagnoses, procedures


def _age(brdy: dt.date, day: dt.date) -> int:
    return day.year - brdy.year - ((day.month, day.day) < (brdy.month, brdy.day))


def test_deterministic_for_a_seed(tmp_path: Path) -> None:
    a = generate(SynthConfig(patients=200, months=2, seed=3))
    b = generate(SynthConfig(patients=200, months=2, seed=3))
    c = generate(SynthConfig(patients=200, months=2, seed=4))
    for name in TABLE_NAMES:
        assert a.tables[name].equals(b.tables[name]), name
    assert a.labels.equals(b.labels)
    assert not a.tables["fee_lines"].equals(c.tables["fee_lines"])
    write(a, tmp_path / "a", "parquet")
    write(b, tmp_path / "b", "parquet")
    for f in sorted((tmp_path / "a").iterdir()):
        assert f.read_bytes() == (tmp_path / "b" / f.name).read_bytes(), f.name


def test_schemas_are_canonical(region: SynthResult) -> None:
    for name in TABLE_NAMES:
        assert region.tables[name].schema.equals(SCHEMAS[name]), name
        assert region.tables[name].num_rows > 0, name
    keys = {"patients": "psn_no", "institutions": "fixmedins_code", "staff": "staff_code",
            "encounters": "mdtrt_id", "fee_lines": "line_id"}
    for name, key in keys.items():
        col = region.tables[name].column(key).to_pylist()
        assert len(set(col)) == len(col), name


def _corrupted(region: SynthResult, *types: str) -> set[str]:
    """Encounters whose fields a data-quality scheme corrupted on purpose (labelled with ``types``)."""
    return {r["mdtrt_id"] for r in region.labels.to_pylist() if r["violation_type"] in types}


def test_money_is_consistent(region: SynthResult) -> None:
    fee = region.tables["fee_lines"].to_pylist()
    off = _corrupted(region, "dq_settle_total")
    total: dict[str, int] = defaultdict(int)
    for r in fee:
        exact = abs(r["cnt_milli"]) * r["pric_fen"]
        rounded = (exact + 500) // 1000
        assert r["amt_fen"] == (rounded if r["cnt_milli"] > 0 else -rounded)
        total[r["mdtrt_id"]] += r["amt_fen"]
        if r["refund_flag"]:
            assert r["cnt_milli"] < 0 and r["init_line_id"]
    assert any(r["refund_flag"] for r in fee)
    assert off
    for e in region.tables["encounters"].to_pylist():
        if e["mdtrt_id"] in off:
            assert e["medfee_sumamt_fen"] != total[e["mdtrt_id"]]
            continue
        assert e["medfee_sumamt_fen"] == total[e["mdtrt_id"]]
        assert e["fund_pay_fen"] + e["psn_pay_fen"] == e["medfee_sumamt_fen"]
        assert 0 < e["fund_pay_fen"] < e["medfee_sumamt_fen"]
        assert e["setl_time"] == e["dscg_time"] >= e["adm_time"]


def test_clean_region_has_no_labels(clean_region: SynthResult) -> None:
    assert clean_region.labels.num_rows == 0
    assert clean_region.tables["fee_lines"].num_rows > 500
    lines = clean_region.tables["fee_lines"].select(["drug_trac_codg", "cnt_milli", "trdn_flag"]).to_pylist()
    codes = [b for r in lines if r["drug_trac_codg"] for b in r["drug_trac_codg"].split(",")]
    assert len(codes) == len(set(codes)) and all(len(c) == 20 and c.isdigit() for c in codes)
    # one code per box on a whole-box sale
    whole = [r for r in lines if r["drug_trac_codg"] and not r["trdn_flag"] and r["cnt_milli"] % 1000 == 0]
    assert whole and all(len(r["drug_trac_codg"].split(",")) * 1000 == r["cnt_milli"] for r in whole)
    assert any(r["cnt_milli"] > 1000 for r in whole)


def test_realism(region: SynthResult) -> None:
    inst = region.tables["institutions"].to_pylist()
    assert {i["medins_lv"] for i in inst} >= {0, 1, 2, 3}
    assert {i["fixmedins_type"] for i in inst} == {"hospital", "clinic", "pharmacy"}
    assert any(i["guidance_flag"] for i in inst) and sum(i["regional_center_flag"] for i in inst) == 1
    staff = region.tables["staff"].column("staff_code").to_pylist()
    assert all(len(s) == 12 and s[0] == "D" and s[1:].isdigit() for s in staff)
    pats = region.tables["patients"].to_pylist()
    assert {p["insutype"] for p in pats} == {"310", "390"}
    assert any(p["die_date"] for p in pats) and any(p["insu_admdvs"] != "440100" for p in pats)
    enc = region.tables["encounters"].to_pylist()
    assert {e["visit_type"] for e in enc} == {"outpatient", "emergency", "chronic", "inpatient", "pharmacy"}
    assert any(e["dise_no"] for e in enc if e["visit_type"] == "chronic")
    weekday = sum(1 for e in enc if e["adm_time"].weekday() < 5) / 5
    weekend = sum(1 for e in enc if e["adm_time"].weekday() >= 5) / 2
    assert weekend < weekday
    # inpatient stays carry one bed-type line per day
    fee = region.tables["fee_lines"].to_pylist()
    beds: dict[str, int] = defaultdict(int)
    for r in fee:
        if r["med_chrgitm_type"] == "01" and not r["refund_flag"]:
            beds[r["mdtrt_id"]] += 1
    stays = [e for e in enc if e["visit_type"] == "inpatient"]
    assert stays and all(beds[e["mdtrt_id"]] >= (e["dscg_time"].date() - e["adm_time"].date()).days for e in stays)


def test_diagnoses_are_real_and_fit_the_patient(region: SynthResult) -> None:
    dx = set(diagnoses().codes)
    px = set(procedures().codes)
    enc = {e["mdtrt_id"]: e for e in region.tables["encounters"].to_pylist()}
    pat = {p["psn_no"]: p for p in region.tables["patients"].to_pylist()}
    rows = region.tables["diagnoses"].to_pylist()
    assert len(rows) > 100
    bad = _corrupted(region, "dq_diag_code", "dq_oprn_code")
    # 冒名就医 injections bill a visit to the card of a person of the other sex or age, on purpose
    impostor = {r["mdtrt_id"] for r in region.labels.to_pylist()
                if r["violation_type"] in ("diagnosis_gender", "diagnosis_age")}
    for d in rows:
        code = d["diag_code"]
        if d["mdtrt_id"] in bad:
            continue
        assert code in dx, code
        if d["mdtrt_id"] in impostor:
            continue
        e = enc[d["mdtrt_id"]]
        p = pat[e["psn_no"]]
        age = _age(p["brdy"], e["adm_time"].date())
        if code[0] == "O":
            assert p["gend"] == "2" and 15 <= age < 50, code
        if code.startswith(("N40", "C61")):
            assert p["gend"] == "1", code
        if code[0] == "P":
            assert age < 1, code
        if code.startswith("C50"):
            assert p["gend"] == "2"
    for o in region.tables["operations"].to_pylist():
        assert o["oprn_code"] in px or o["mdtrt_id"] in bad


@pytest.mark.parametrize("fmt", ["parquet", "csv", "xlsx"])
def test_formats_written_and_readable(tmp_path: Path, fmt: str) -> None:
    res = generate(SynthConfig(patients=60, months=1, seed=2))
    paths = write(res, tmp_path, fmt)
    assert (tmp_path / "labels.parquet") in paths
    for name in TABLE_NAMES:
        path = tmp_path / f"{name}.{fmt}"
        n = res.tables[name].num_rows
        if fmt == "parquet":
            # Parquet has no second-resolution timestamps: read back as ms, cast to the canonical schema
            assert conform(pq.read_table(path), name).equals(res.tables[name])
        elif fmt == "csv":
            back = pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(column_types=res.tables[name].schema))
            assert back.num_rows == n
            assert back.column(0).to_pylist() == res.tables[name].column(0).to_pylist()
        else:
            ws = openpyxl.load_workbook(path, read_only=True).active
            rows = list(ws.iter_rows(values_only=True))
            assert list(rows[0]) == res.tables[name].column_names
            assert len(rows) - 1 == n
            assert [r[0] for r in rows[1:]] == res.tables[name].column(0).to_pylist()


def test_cli_writes_region(tmp_path: Path) -> None:
    from medaudit.cli import _register, app

    _register()
    out = tmp_path / "r"
    res = CliRunner().invoke(app, ["synth", "--patients", "80", "--months", "1", "--seed", "1", "--out", str(out),
                                   "--rate", "drug_gender=0.2", "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert data["counts"]["patients"] == 80
    assert (out / "fee_lines.parquet").exists() and (out / "labels.parquet").exists()
    bad = CliRunner().invoke(app, ["synth", "--out", str(out), "--rate", "nope=0.1"])
    assert bad.exit_code != 0


def test_scheme_registry_is_complete() -> None:
    spec = Path(__file__).resolve().parents[2] / "docs" / "rule-semantics.md"
    ids = {line.split("|")[1].strip().strip("`") for line in spec.read_text(encoding="utf-8").splitlines()
           if line.startswith("| `")}
    from medaudit.synth.schemes import boundary_schemes, violation_types

    # boundary / near-miss / co-occurrence schemes label the documented types, they add none
    assert ids == violation_types()  # opt-in: docs/fraud.md
    boundary = boundary_schemes()
    assert {k for k in boundary if k.startswith("near_")} and {k for k in boundary if k.startswith("co_")}


@pytest.mark.parametrize(("patients", "months", "seed"), [(20, 1, 2), (50, 1, 0)])
def test_tiny_region_without_a_stay_generates(patients: int, months: int, seed: int) -> None:
    """A region so small that no stay is scheduled used to raise IndexError in the schedule's
    visit-during-stay filter (these seeds did, on an empty stay index)."""
    res = generate(SynthConfig(patients=patients, months=months, seed=seed))
    enc = res.tables["encounters"]
    assert enc.num_rows > 0
    assert "inpatient" not in enc.column("visit_type").to_pylist()  # the case that failed: no stay at all
    assert res.tables["fee_lines"].num_rows > 0


def test_synth_cli_small_region(tmp_path: Path) -> None:
    from medaudit.cli import _register, app

    _register()
    out = tmp_path / "r"
    result = CliRunner().invoke(app, ["synth", "--patients", "200", "--months", "2", "--out", str(out), "--json"])
    assert result.exit_code == 0, result.output
    assert (out / "labels.parquet").exists() and (out / "fee_lines.parquet").exists()
