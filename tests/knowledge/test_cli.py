from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

import medaudit.commands  # noqa: F401  (registers the commands)
from medaudit.cli import app
from medaudit.knowledge import KnowledgeError, national_pack_path
from tests.knowledge.conftest import write_pack

runner = CliRunner()


def test_search_by_chinese_name_prints_restrictions() -> None:
    res = runner.invoke(app, ["knowledge", "search", "奥司他韦"])
    assert res.exit_code == 0, res.output
    assert "奥司他韦" in res.output and "J09|J10|J11" in res.output


def test_search_json_by_name_and_code() -> None:
    res = runner.invoke(app, ["knowledge", "search", "阿莫西林", "--json"])
    assert res.exit_code == 0, res.output
    hits = json.loads(res.output)
    drugs = [h for h in hits if h["kind"] == "drug"]
    assert len(drugs) >= 3 and all("阿莫西林" in h["name"] for h in drugs)
    code = drugs[0]["code"]
    # a full 23-character national code finds the knowledge row whose prefix it starts with
    res = runner.invoke(app, ["knowledge", "search", code + "01010104127", "--json"])
    assert [h["code"] for h in json.loads(res.output) if h["kind"] == "drug"] == [code]
    res = runner.invoke(app, ["knowledge", "search", "血常规", "--json"])
    assert any(h["kind"] == "item" and "血细胞分析" in h["name"] for h in json.loads(res.output))
    res = runner.invoke(app, ["knowledge", "search", "E11.9", "--json"])
    assert any(h["kind"] == "diagnosis" and h["code"] == "E11.900" for h in json.loads(res.output))
    res = runner.invoke(app, ["knowledge", "search", "51.23", "--json"])
    assert any(h["kind"] == "procedure" and h["code"] == "51.2300" for h in json.loads(res.output))


def test_search_no_match() -> None:
    res = runner.invoke(app, ["knowledge", "search", "不存在的东西"])
    assert res.exit_code == 0 and "未找到" in res.output


def test_show_pack_counts() -> None:
    res = runner.invoke(app, ["knowledge", "show-pack", "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert data["counts"]["kb_drug"] >= 300 and data["counts"]["kb_diagnosis"] == 33_304
    assert data["layers"][0]["illustrative"] is True
    res = runner.invoke(app, ["knowledge", "show-pack", str(national_pack_path())])
    assert res.exit_code == 0 and "kb_item_relation" in res.output


def test_validate_ok_and_bad(tmp_path: Path) -> None:
    res = runner.invoke(app, ["knowledge", "validate", str(national_pack_path())])
    assert res.exit_code == 0, res.output
    assert "校验通过" in res.output
    bad = write_pack(tmp_path / "bad", name="bad", layer="province", files={
        "items.csv": "code_prefix,name,category,gender\n001,x,99,3\n",
        "item_relations.csv": "code_a,code_b,relation,time_window\n001,999,included,day\n",
    })
    res = runner.invoke(app, ["knowledge", "validate", str(national_pack_path()), str(bad)])
    assert res.exit_code != 0
    assert isinstance(res.exception, KnowledgeError)
    cols = {p.column for p in res.exception.problems}
    assert {"category", "gender"} <= cols
    # dangling references are reported too once the rows themselves are valid
    (bad / "items.csv").write_text("code_prefix,name,category\n001,x,05\n", encoding="utf-8")
    res = runner.invoke(app, ["knowledge", "validate", str(national_pack_path()), str(bad)])
    assert isinstance(res.exception, KnowledgeError)
    assert [(Path(p.file).name, p.line, p.column) for p in res.exception.problems] == [
        ("item_relations.csv", 2, "code_b")]


def test_import_codes_cli(tmp_path: Path) -> None:
    src = tmp_path / "ss.csv"
    src.write_text("code,name\n51.2300,腹腔镜下胆囊切除术\n", encoding="utf-8")
    res = runner.invoke(app, ["knowledge", "import-codes", str(src), "--kind", "procedure",
                              "--dest", str(tmp_path / "ref")])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "ref" / "SS_INFO.dat").read_text(encoding="utf-8") == "51.2300 腹腔镜下胆囊切除术\n"
    res = runner.invoke(app, ["knowledge", "import-codes", str(src), "--kind", "drug", "--dest", str(tmp_path)])
    assert res.exit_code != 0
