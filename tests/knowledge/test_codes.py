from __future__ import annotations

import time
from pathlib import Path

import pytest
from openpyxl import Workbook

from medaudit.knowledge import KnowledgeError, load_layers, national_pack_path
from medaudit.knowledge.codes import ReferenceDataWarning, import_codes, load_codes
from medaudit.settings import reference_dir


def test_full_reference_lists_load_with_exact_counts() -> None:
    dx = load_codes("diagnosis")
    px = load_codes("procedure")
    assert dx.complete and px.complete
    assert len(dx) == 33_304
    assert len(px) == 13_686
    assert dx.name_of("E11.900") == "2型糖尿病"
    assert px.name_of("51.2300") == "腹腔镜下胆囊切除术"
    assert dx.table().num_rows == 33_304


def test_loading_is_cached_and_fast() -> None:
    load_codes("diagnosis")
    t0 = time.perf_counter()
    for _ in range(100):
        load_codes("diagnosis").table()
    assert time.perf_counter() - t0 < 0.5


def test_fallback_when_reference_folder_is_empty(empty_reference: Path) -> None:
    assert reference_dir() == empty_reference
    with pytest.warns(ReferenceDataWarning, match="未找到完整的"):
        dx = load_codes("diagnosis", empty_reference)
    with pytest.warns(ReferenceDataWarning, match="手术操作"):
        px = load_codes("procedure", empty_reference)
    assert not dx.complete and dx.source is None
    assert 40 <= len(dx) <= 100
    assert dx.notice is not None and "import-codes" in dx.notice and "未找到完整的" in dx.notice
    assert not px.complete and 15 <= len(px) <= 40
    kb = load_layers([national_pack_path()])
    assert len(kb.notices) == 2
    assert kb.tables["kb_diagnosis"].num_rows == len(dx)


def test_builtin_codes_are_real_codes() -> None:
    from medaudit.knowledge.builtin_codes import BUILTIN_DIAGNOSES, BUILTIN_PROCEDURES

    dx, px = load_codes("diagnosis"), load_codes("procedure")
    assert all(dx.name_of(c) == n for c, n in BUILTIN_DIAGNOSES)
    assert all(px.name_of(c) == n for c, n in BUILTIN_PROCEDURES)


def test_import_csv_in_gbk_with_title_row(tmp_path: Path) -> None:
    src = tmp_path / "zd.csv"
    src.write_bytes("医保版疾病诊断代码表（下载）\n诊断代码,诊断名称,备注\nE11.900,2型糖尿病,\nI10.x00,特发性（原发性）高血压,\n"
                    .encode("gb18030"))
    dest = tmp_path / "ref"
    target, n = import_codes(src, "diagnosis", dest)
    assert n == 2 and target == dest / "ZD_INFO.dat"
    assert target.read_text(encoding="utf-8").splitlines() == ["E11.900 2型糖尿病", "I10.x00 特发性（原发性）高血压"]
    dx = load_codes("diagnosis", dest)
    assert dx.complete and len(dx) == 2


def test_import_xlsx_and_dat(tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["手术操作代码", "手术操作名称"])
    ws.append(["51.2300", "腹腔镜下胆囊切除术"])
    ws.append(["47.0900", "其他阑尾切除术"])
    xlsx = tmp_path / "ss.xlsx"
    wb.save(xlsx)
    target, n = import_codes(xlsx, "procedure", tmp_path / "ref")
    assert n == 2 and target.name == "SS_INFO.dat"
    dat = tmp_path / "ZD.dat"
    dat.write_text("A00.000 霍乱\nA00.100 霍乱，埃尔托\n", encoding="utf-8")
    assert import_codes(dat, "diagnosis", tmp_path / "ref")[1] == 2


def test_import_reports_every_bad_line(tmp_path: Path) -> None:
    src = tmp_path / "bad.csv"
    src.write_text("code,name\nE11.900,2型糖尿病\n,无编码\nE11 9,有空格\nI10.x00,\nE11.900,重复\n", encoding="utf-8")
    with pytest.raises(KnowledgeError) as exc:
        import_codes(src, "diagnosis", tmp_path / "ref")
    lines = sorted(p.line for p in exc.value.problems if p.line is not None)
    assert lines == [3, 4, 5]
    assert any("duplicate" in p.reason for p in exc.value.problems)
    assert not (tmp_path / "ref" / "ZD_INFO.dat").exists()


def test_import_without_recognised_headers(tmp_path: Path) -> None:
    src = tmp_path / "x.csv"
    src.write_text("foo,bar\n1,2\n", encoding="utf-8")
    with pytest.raises(KnowledgeError, match="找不到编码/名称列"):
        import_codes(src, "diagnosis", tmp_path / "ref")
