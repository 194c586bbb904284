"""Shared builders for ingest tests: real reference codes and small canonical datasets written in code."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from medaudit.settings import reference_dir


def read_codes(name: str, n: int) -> list[str]:
    """The first ``n`` codes of a reference list (never invented codes)."""
    codes = []
    with (reference_dir() / name).open(encoding="utf-8") as fh:
        for line in fh:
            codes.append(line.split(" ", 1)[0])
            if len(codes) >= n:
                break
    return codes


@pytest.fixture(scope="session")
def diag_codes() -> list[str]:
    return read_codes("ZD_INFO.dat", 5)


@pytest.fixture(scope="session")
def oprn_codes() -> list[str]:
    return read_codes("SS_INFO.dat", 3)


PATIENT_HDR = ["psn_no", "psn_name", "gend", "brdy", "insutype", "insu_admdvs"]
ENC_HDR = ["mdtrt_id", "psn_no", "fixmedins_code", "med_type", "adm_time", "dscg_time", "psn_admdvs",
           "medins_admdvs", "insutype", "setl_time", "medfee_sumamt_fen", "fund_pay_fen", "psn_pay_fen"]
FEE_HDR = ["line_id", "mdtrt_id", "hilist_code", "hilist_name", "med_chrgitm_type", "cnt_milli", "pric_fen",
           "amt_fen", "fee_ocur_time"]


def patients_rows() -> list[list[str]]:
    return [["P1", "张三", "1", "1960-05-01", "310", "440100"], ["P2", "李四", "2", "1972-11-30", "390", "440100"]]


def encounter_rows() -> list[list[str]]:
    return [
        ["E1", "P1", "H44010000001", "21", "2025-01-03 08:00:00", "2025-01-08 10:00:00", "440100", "440100", "310",
         "2025-01-08 11:00:00", "123456", "100000", "23456"],
        ["E2", "P2", "H44010000001", "11", "2025-02-03 08:00:00", "", "440100", "440100", "390",
         "2025-02-03 09:00:00", "2050", "1000", "1050"],
    ]


def fee_rows() -> list[list[str]]:
    return [
        ["L1", "E1", "XA11DAW036A001010104127", "维生素B1片", "09", "2000", "60000", "120000", "2025-01-04 09:00:00"],
        ["L2", "E1", "XA11DAW036A001010104127", "维生素B1片", "09", "-1000", "60000", "-60000", "2025-01-05 09:00:00"],
        ["L3", "E2", "001103000010000", "急诊监护费", "05", "1500", "1367", "2050", "2025-02-03 08:30:00"],
    ]


def write_csv(path: Path, header: list[str], rows: list[list[str]], encoding: str = "utf-8") -> Path:
    with path.open("w", encoding=encoding, newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return path


def canonical_folder(folder: Path, diag: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    write_csv(folder / "patients.csv", PATIENT_HDR, patients_rows())
    write_csv(folder / "encounters.csv", ENC_HDR, encounter_rows())
    write_csv(folder / "fee_lines.csv", FEE_HDR, fee_rows())
    write_csv(folder / "diagnoses.csv", ["mdtrt_id", "diag_code", "maindiag_flag", "diag_type"],
              [["E1", diag, "1", "2"]])
    return folder


def rows(out: Path, table: str) -> list[dict]:
    return pq.read_table(out / f"{table}.parquet").to_pylist()


def quarantine(out: Path, table: str) -> list[dict[str, str]]:
    path = out / "quarantine" / f"{table}.csv"
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


T = dt.datetime
