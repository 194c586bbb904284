"""National-layout catalogues (GBK CSV, xlsx) → a pack layer → coverage, with every unusable row listed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import medaudit.commands  # noqa: F401  (registers the commands)
from medaudit.cli import app
from medaudit.knowledge import KnowledgeError, load_layers, national_pack_path
from medaudit.knowledge.catalogue import REPORT_FILE, import_catalogues
from medaudit.knowledge.coverage import coverage_of
from medaudit.rules.golden import build_case
from tests.knowledge.catalogue_files import (
    CONSUMABLES,
    real_codes,
    write_consumables_utf8,
    write_drugs_gbk,
    write_items_xlsx,
)

runner = CliRunner()


def _import(tmp_path: Path, *, bad_rows: bool, merge: bool = False) -> tuple[Path, object]:
    files = [write_drugs_gbk(tmp_path / "西药中成药.csv", bad_rows=bad_rows),
             write_items_xlsx(tmp_path / "医疗服务项目.xlsx", bad_rows=bad_rows),
             write_consumables_utf8(tmp_path / "医用耗材.csv")]
    out = tmp_path / "gz-catalogue"
    result = import_catalogues(files, out, name="gz-catalogue", region="440100", version="2026.1", merge=merge)
    return out, result


def test_import_layout_to_layer_rows_and_values(tmp_path: Path) -> None:
    out, result = _import(tmp_path, bad_rows=False)
    assert result.rejected == []  # type: ignore[attr-defined]
    assert result.imported == {"drugs.csv": 6, "items.csv": 4, "consumables.csv": 2}  # type: ignore[attr-defined]
    kb = load_layers([national_pack_path(), out], with_codes=False)
    codes = real_codes()
    drugs = {r["code_prefix"]: r for r in kb.rows("kb_drug")}
    # the layer replaces the illustrative drug catalogue: only the imported codes are left
    assert set(drugs) == {c for c, _ in codes.western[:4]} | {c for c, _ in codes.patent[:2]}
    first = drugs[codes.western[0][0]]
    assert (first["generic_name"], first["category"], first["chrgitm_lv"], first["dosage_form"],
            first["restriction_text"], first["unit"]) == (codes.western[0][1], "西药", "乙", "片剂", "限成人", "盒")
    assert drugs[codes.western[1][0]]["chrgitm_lv"] == "甲"
    assert drugs[codes.patent[0][0]]["category"] == "中成药"
    items = {r["code_prefix"]: r for r in kb.rows("kb_item")}
    assert set(items) == {c for c, _ in codes.items[:4]}
    it = items[codes.items[0][0]]
    assert (it["price_cap_lv1_fen"], it["price_cap_lv2_fen"], it["price_cap_lv3_fen"]) == (1000, 1200, 1550)
    assert it["connotation"] == "含耗材" and it["unit"] == "次" and it["category"] == "14"
    cons = {r["code_prefix"]: r for r in kb.rows("kb_consumable")}
    assert set(cons) == {c[0] for c in CONSUMABLES}
    assert cons[CONSUMABLES[1][0]]["high_value"] is True and cons[CONSUMABLES[1][0]]["spec"] == "3.0*18mm"
    report = json.loads((out / REPORT_FILE).read_text(encoding="utf-8"))
    assert report["imported"]["drugs.csv"] == 6 and report["manifest"]["replaces"] == [
        "consumables.csv", "drugs.csv", "items.csv"]


def test_import_lists_every_unusable_row(tmp_path: Path) -> None:
    out, result = _import(tmp_path, bad_rows=True)
    got = sorted((Path(p.file).name, p.line, p.column) for p in result.rejected)  # type: ignore[attr-defined]
    # drugs: header on line 2, good rows 3–8, bad rows 9–12; items: header on row 2, good rows 3–6
    assert got == [
        ("医疗服务项目.xlsx", 7, "一级价格（元）"),
        ("医疗服务项目.xlsx", 8, "二级价格（元）"),
        ("西药中成药.csv", 9, "甲乙类"),
        ("西药中成药.csv", 10, "甲乙类"),
        ("西药中成药.csv", 11, "药品代码"),
        ("西药中成药.csv", 12, "药品代码"),
    ]
    reasons = {(Path(p.file).name, p.line): p.reason for p in result.rejected}  # type: ignore[attr-defined]
    assert "不是医保目录内药品" in reasons[("西药中成药.csv", 9)]
    assert "重复" in reasons[("西药中成药.csv", 11)]
    assert "编码为空" in reasons[("西药中成药.csv", 12)]
    assert "最多 2 位小数" in reasons[("医疗服务项目.xlsx", 7)]
    # the good rows are all there; the pack written is valid
    assert result.imported == {"drugs.csv": 6, "items.csv": 4, "consumables.csv": 2}  # type: ignore[attr-defined]
    kb = load_layers([out], with_codes=False)
    assert kb.counts()["kb_drug"] == 6 and kb.counts()["kb_item"] == 4


def test_import_cli_prints_rejected_rows_and_fails_when_nothing_usable(tmp_path: Path) -> None:
    drugs = write_drugs_gbk(tmp_path / "drugs.csv", bad_rows=True)
    res = runner.invoke(app, ["knowledge", "import", str(drugs), "--out", str(tmp_path / "p"), "--name", "x",
                              "--region", "440100", "--json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)
    assert [r["line"] for r in doc["rejected"]] == [9, 10, 11, 12]
    empty = tmp_path / "empty.csv"
    empty.write_text("药品代码,注册名称,甲乙类\nX1,某药,\n", encoding="utf-8")
    res = runner.invoke(app, ["knowledge", "import", str(empty), "--out", str(tmp_path / "q"), "--name", "y",
                              "--region", "440100"])
    assert res.exit_code != 0
    assert "empty.csv:2 (甲乙类)" in str(res.exception)
    assert not (tmp_path / "q").exists()


def test_unrecognised_header_is_one_clear_error(tmp_path: Path) -> None:
    f = tmp_path / "x.csv"
    f.write_text("编号,名字\n1,a\n", encoding="utf-8")
    with pytest.raises(KnowledgeError, match="找不到目录表头"):
        import_catalogues([f], tmp_path / "o", name="x", region="440100")


def _fee_lines(rows: list[dict[str, object]]):  # type: ignore[no-untyped-def]
    return build_case("coverage", {"name": "c", "claims": {"fee_lines": rows}}).claims["fee_lines"]


def test_coverage_figures_exact(tmp_path: Path) -> None:
    out, _ = _import(tmp_path, bad_rows=False)
    kb = load_layers([national_pack_path(), out], with_codes=False)
    codes = real_codes()
    known_drug, known_item = codes.western[0][0], codes.items[0][0]
    lines = _fee_lines([
        {"line_id": "L1", "hilist_code": known_drug, "cnt_milli": 2000, "pric_fen": 1500},           # 3000 known
        {"line_id": "L2", "hilist_code": "XA99ZZZ999A001010100001", "pric_fen": 1000},               # 1000 unknown
        {"line_id": "L3", "hilist_code": "XA99ZZZ999A001010100001", "pric_fen": 1000},               # 1000 unknown
        {"line_id": "L4", "hilist_code": "XB88ZZZ888A001010100001", "pric_fen": 500, "selfpay_flag": True},  # ignored
        {"line_id": "L5", "hilist_code": known_item, "med_chrgitm_type": "05", "pric_fen": 9000},     # 9000 known
        {"line_id": "L6", "hilist_code": "009999999990000", "med_chrgitm_type": "05", "pric_fen": 1000},  # unknown
        {"line_id": "R6", "hilist_code": "009999999990000", "med_chrgitm_type": "05", "cnt_milli": -1000,
         "amt_fen": -400, "refund_flag": True, "init_line_id": "L6"},                                # net 600
        {"line_id": "L7", "hilist_code": CONSUMABLES[0][0], "med_chrgitm_type": "08", "pric_fen": 250},
        {"line_id": "L8", "hilist_code": "C99999999999999999999999999", "med_chrgitm_type": "08", "pric_fen": 750},
    ])
    cov = coverage_of(lines, kb, pack=kb.version_label)
    d, i, c = cov.classes["drug"], cov.classes["item"], cov.classes["consumable"]
    assert (d.lines, d.known_lines, d.amount_fen, d.known_amount_fen) == (3, 1, 5000, 3000)
    assert d.amount_share == pytest.approx(0.6) and d.line_share == pytest.approx(1 / 3)
    assert (i.lines, i.known_lines, i.amount_fen, i.known_amount_fen) == (2, 1, 9600, 9000)
    assert (c.lines, c.known_lines, c.amount_fen, c.known_amount_fen) == (2, 1, 1000, 250)
    assert [(u.code, u.lines, u.amount_fen) for u in cov.top_unknown(3)] == [
        ("XA99ZZZ999A001010100001", 2, 2000), ("C99999999999999999999999999", 1, 750), ("009999999990000", 1, 600)]
    assert not cov.fits and [f.cls for f in cov.failing()] == ["drug"]
    msg = cov.misfit_message()
    assert "药品金额覆盖率 60.0%" in msg and "XA99ZZZ999A001010100001" in msg and "--force" in msg


def test_coverage_cli_json(tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    case = build_case("coverage", {"name": "c", "claims": {"fee_lines": [
        {"line_id": "L1", "hilist_code": "XA99ZZZ999A001010100001", "pric_fen": 1000}]}})
    data = tmp_path / "data"
    data.mkdir()
    for name, t in case.claims.items():
        pq.write_table(t, data / f"{name}.parquet")
    res = runner.invoke(app, ["knowledge", "coverage", str(data), "--json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)
    drug = next(c for c in doc["classes"] if c["class"] == "drug")
    assert (drug["lines"], drug["known_lines"], drug["amount_fen"]) == (1, 0, 1000)
    assert doc["fits"] is False and doc["top_unknown"][0]["code"] == "XA99ZZZ999A001010100001"
