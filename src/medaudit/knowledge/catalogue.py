"""The national catalogue layouts (药品 1301 / 医保药品分类与代码, 医疗服务项目 1305 with price by level,
医用耗材 1306 / 医保医用耗材分类与代码) as a bureau downloads them, turned into a knowledge-pack layer.

A bureau audits with its own catalogues; hand-writing a pack from a 50,000-row download is not a
real option. The layouts below accept the interface field names (``med_list_codg`` …) and the column
names the published downloads use (药品代码, 注册名称, 甲乙类 …); the header row is found among the
first 20 rows (downloads start with title rows). Nothing is validated twice: the converted rows are
written as a candidate pack and read back through :mod:`medaudit.knowledge.pack`, and every problem
that reader finds is mapped back to the source file and line, so the layer written is valid by
construction and every row left out is listed with its reason.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from medaudit.knowledge.errors import KnowledgeError, Problem
from medaudit.knowledge.pack import FILE_BY_FILE, KB_TABLES, LAYERS, _read_pack, csv_column_for
from medaudit.schema.codes import CHRGITM_TYPE_ZH
from medaudit.schema.values import parse_date, parse_flag, two_digit_code

KINDS = ("drug", "item", "consumable")
KIND_ZH = {"drug": "药品", "item": "医疗服务项目", "consumable": "医用耗材"}
HEADER_SCAN_ROWS = 20
#: written into the layer folder (not a ``.csv``, so the pack reader does not treat it as a table)
REPORT_FILE = "import-report.json"


@dataclass(frozen=True)
class FieldSpec:
    """One pack column and the source headers that may carry it, most specific first."""

    target: str
    headers: tuple[str, ...]


@dataclass(frozen=True)
class Layout:
    kind: str
    file: str
    code: FieldSpec
    name: FieldSpec
    fields: tuple[FieldSpec, ...]


_COMMON = (
    FieldSpec("begndate", ("begndate", "开始日期", "生效日期", "启用日期")),
    FieldSpec("enddate", ("enddate", "结束日期", "失效日期", "停用日期")),
    FieldSpec("ver", ("ver", "版本号", "版本")),
    FieldSpec("vali_flag", ("vali_flag", "有效标志")),
)

LAYOUTS: dict[str, Layout] = {
    "drug": Layout(
        "drug", "drugs.csv",
        FieldSpec("code_prefix", ("med_list_codg", "hilist_code", "药品代码", "医保药品代码", "国家医保药品代码",
                                  "药品编码", "医保药品编码", "国家药品代码")),
        FieldSpec("generic_name", ("drug_genname", "药品通用名", "通用名", "通用名称", "注册名称", "药品名称",
                                   "hilist_name")),
        (
            FieldSpec("dosage_form", ("dosform_name", "dosform", "剂型", "注册剂型", "实际剂型")),
            FieldSpec("category", ("drug_type", "药品类别", "药品类型")),
            FieldSpec("chrgitm_lv", ("chrgitm_lv", "hilist_lv", "甲乙类", "甲乙类别", "医保类别", "目录类别")),
            FieldSpec("restriction_text", ("hilist_memo", "memo", "限定支付范围", "备注", "医保备注")),
            FieldSpec("unit", ("min_pacunt", "最小包装单位")),
            FieldSpec("ref_price", ("hilist_pric", "医保支付标准", "支付标准", "参考价格")),
            *_COMMON,
        ),
    ),
    "item": Layout(
        "item", "items.csv",
        FieldSpec("code_prefix", ("med_list_codg", "hilist_code", "项目代码", "项目编码", "医疗服务项目代码",
                                  "医疗服务项目编码", "医保项目编码", "国家编码")),
        FieldSpec("name", ("item_name", "项目名称", "医疗服务项目名称", "hilist_name")),
        (
            FieldSpec("category", ("med_chrgitm_type", "收费类别", "收费项目类别", "医疗收费项目类别", "财务分类")),
            FieldSpec("unit", ("prcunt_name", "prcunt", "计价单位")),
            FieldSpec("price_cap_lv1", ("lv1_hosp_item_pric", "一级价格", "一级医院价格", "一级医疗机构价格", "一级")),
            FieldSpec("price_cap_lv2", ("lv2_hosp_item_pric", "二级价格", "二级医院价格", "二级医疗机构价格", "二级")),
            FieldSpec("price_cap_lv3", ("lv3_hosp_item_pric", "三级价格", "三级医院价格", "三级医疗机构价格", "三级")),
            FieldSpec("price", ("hilist_pric", "价格", "最高限价", "限价", "政府指导价")),
            FieldSpec("connotation", ("item_connotation", "项目内涵")),
            *_COMMON,
        ),
    ),
    "consumable": Layout(
        "consumable", "consumables.csv",
        FieldSpec("code_prefix", ("med_list_codg", "hilist_code", "耗材代码", "医保耗材代码", "医用耗材代码",
                                  "医保医用耗材代码", "耗材编码", "医保耗材编码")),
        FieldSpec("name", ("cons_name", "耗材名称", "医用耗材名称", "单件产品名称", "注册备案产品名称", "hilist_name")),
        (
            FieldSpec("generic_name", ("genname", "医保通用名", "通用名")),
            FieldSpec("spec", ("spec", "规格")),
            FieldSpec("model", ("prod_model", "型号")),
            FieldSpec("unit", ("min_useunt", "最小使用单位")),
            FieldSpec("high_value", ("hi_value_flag", "高值耗材标志", "是否高值耗材", "高值耗材")),
            FieldSpec("ref_price", ("hilist_pric", "参考价格", "医保支付标准", "价格")),
            *_COMMON,
        ),
    ),
}

_LV = {"甲": "甲", "甲类": "甲", "01": "甲", "1": "甲", "乙": "乙", "乙类": "乙", "02": "乙", "2": "乙",
       "丙": "丙", "丙类": "丙", "03": "丙", "3": "丙"}
_DRUG_CATEGORY_BY_LETTER = {"X": "西药", "Z": "中成药", "T": "中药饮片"}
_DRUG_CATEGORY_TEXT = {"西药": "西药", "化学药品": "西药", "中成药": "中成药", "中药饮片": "中药饮片", "饮片": "中药饮片"}
_CHRGITM_BY_NAME = {**{v: k for k, v in CHRGITM_TYPE_ZH.items()}, **{v.removesuffix("费"): k for k, v in CHRGITM_TYPE_ZH.items()}}
#: the category of an item row when the download does not carry one (the 1305 catalogue has no
#: 收费类别; no rule reads ``kb_item.category``): 14 其他
DEFAULT_ITEM_CATEGORY = "14"


def _norm(header: str) -> str:
    """Header as compared: no blanks, no unit suffix such as （元）, ASCII lower case."""
    h = "".join(str(header).split()).lower()
    for suffix in ("（元）", "(元)", "（元/次）", "(元/次)"):
        h = h.removesuffix(suffix)
    return h


# --------------------------------------------------------------------------------------------------
# reading a source table


def _table_rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    """(physical line or sheet row, cells as text) of the first sheet / the CSV, GBK or UTF-8."""
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        import openpyxl

        from medaudit.ingest.readers import iter_filled_rows

        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
        try:
            yield from iter_filled_rows(wb.worksheets[0])
        finally:
            wb.close()
    elif suffix in (".csv", ".txt"):
        from medaudit.knowledge.codes import decode_download

        reader = csv.reader(io.StringIO(decode_download(path.read_bytes(), str(path))))
        line = 0
        for record in reader:
            start = line + 1
            line = reader.line_num
            yield start, record
    else:
        raise KnowledgeError([Problem(str(path), None, None, "仅支持 .csv 和 .xlsx / only .csv and .xlsx are supported")])


@dataclass
class SourceRow:
    file: str
    line: int
    cells: dict[str, str]


@dataclass
class SourceTable:
    path: Path
    layout: Layout
    header_line: int
    columns: dict[str, str]  # pack column -> source header used
    rows: list[SourceRow]


def _match_layout(header: list[str], kind: str | None) -> tuple[Layout, dict[str, int]] | None:
    norm = [_norm(h) for h in header]
    candidates = [LAYOUTS[kind]] if kind else list(LAYOUTS.values())
    found: list[tuple[Layout, dict[str, int]]] = []
    for layout in candidates:
        idx: dict[str, int] = {}
        for spec in (layout.code, layout.name, *layout.fields):
            for h in spec.headers:
                if _norm(h) in norm:
                    idx[spec.target] = norm.index(_norm(h))
                    break
        if layout.code.target in idx and layout.name.target in idx:
            found.append((layout, idx))
    if len(found) == 1:
        return found[0]
    return None


def read_source(path: Path, kind: str | None = None) -> SourceTable:
    """Find the header row and the layout (or use ``kind``) and read every non-empty row as text."""
    path = Path(path)
    if not path.is_file():
        raise KnowledgeError([Problem(str(path), None, None, "文件不存在 / file not found")])
    if kind is not None and kind not in KINDS:
        raise KnowledgeError([Problem("--kind", None, None, f"应为 {'/'.join(KINDS)} / kind must be one of {KINDS}")])
    rows = _table_rows(path)
    head: list[tuple[int, list[str]]] = []
    match = None
    for line, record in rows:
        head.append((line, record))
        match = _match_layout(record, kind)
        if match or len(head) >= HEADER_SCAN_ROWS:
            break
    if match is None:
        names = "；".join(f"{KIND_ZH[k]}: {LAYOUTS[k].code.headers[2]}+{LAYOUTS[k].name.headers[1]}" for k in KINDS)
        raise KnowledgeError([Problem(str(path), None, None,
                                      f"前 {HEADER_SCAN_ROWS} 行中找不到目录表头（应含编码列和名称列，如 {names}），"
                                      f"或无法判定目录类别（可用 --kind 指定）/ no catalogue header found; use --kind")])
    layout, idx = match
    header_line, header = head[-1]
    columns = {target: header[i].strip() for target, i in idx.items()}
    out: list[SourceRow] = []
    for line, record in rows:
        if not any(str(c).strip() for c in record):
            continue
        # one pack CSV line per source row (line breaks inside 限定支付范围 text become spaces), so a
        # problem the pack reader reports by line maps back to exactly one source row
        cells = {target: " ".join(str(record[i]).splitlines()).strip() if i < len(record) else ""
                 for target, i in idx.items()}
        out.append(SourceRow(str(path), line, cells))
    return SourceTable(path, layout, header_line, columns, out)


# --------------------------------------------------------------------------------------------------
# converting to pack rows


def _date(text: str) -> str:
    """Downloads write 20250101, 2025/1/1 or 2025-01-01 00:00:00 (the national date grammar,
    schema.values); the pack wants YYYY-MM-DD."""
    try:
        return parse_date(text).isoformat()
    except ValueError:
        return text  # left for the pack reader to reject with its own message


def _invalid(flag: str) -> bool:
    """有效标志 0/否/无效 (any yes/no word of the shared grammar; a blank flag is valid)."""
    if flag == "无效":
        return True
    try:
        return bool(flag) and not parse_flag(flag)
    except ValueError:
        return False


def convert(table: SourceTable) -> tuple[list[tuple[SourceRow, dict[str, str]]], list[Problem], int]:
    """Source rows → pack CSV cells; rows that cannot be used here become problems.

    Returns the rows, the problems and how many item rows got the default category.
    """
    layout = table.layout
    out: list[tuple[SourceRow, dict[str, str]]] = []
    problems: list[Problem] = []
    defaulted = 0
    for row in table.rows:
        c = dict(row.cells)

        def bad(target: str, reason: str, _row: SourceRow = row) -> None:
            problems.append(Problem(_row.file, _row.line, table.columns.get(target, target), reason))

        if _invalid(c.get("vali_flag", "")):
            bad("vali_flag", "有效标志为0（已失效），未导入 / row marked invalid (vali_flag=0)")
            continue
        c.pop("vali_flag", None)
        code = c.get("code_prefix", "")
        if not code:
            bad("code_prefix", "编码为空 / empty code")
            continue
        for d in ("begndate", "enddate"):
            if c.get(d):
                c[d] = _date(c[d])
        if layout.kind == "drug":
            lv = c.get("chrgitm_lv", "")
            if not lv:
                bad("chrgitm_lv", "未标明甲乙类，不是医保目录内药品 / no 甲/乙/丙 class: not a catalogue drug")
                continue
            if lv not in _LV:
                bad("chrgitm_lv", f"甲乙类应为 甲/乙/丙（或 01/02/03）/ bad class: {lv!r}")
                continue
            c["chrgitm_lv"] = _LV[lv]
            category = _DRUG_CATEGORY_TEXT.get(c.get("category", "")) or _DRUG_CATEGORY_BY_LETTER.get(code[:1].upper())
            if category is None:
                bad("category", "无法判定药品类别（编码应以 X/Z/T 开头，或给出药品类别列）/ cannot tell 西药/中成药/中药饮片")
                continue
            c["category"] = category
        elif layout.kind == "item":
            cat = c.get("category", "")
            if not cat:
                c["category"] = DEFAULT_ITEM_CATEGORY
                defaulted += 1
            elif two_digit_code(cat) in CHRGITM_TYPE_ZH:
                c["category"] = two_digit_code(cat)
            elif cat in _CHRGITM_BY_NAME:
                c["category"] = _CHRGITM_BY_NAME[cat]
            else:
                bad("category", f"收费类别应为 01–14 或其名称 / bad med_chrgitm_type: {cat!r}")
                continue
            price = c.pop("price", "")
            for lv in ("price_cap_lv1", "price_cap_lv2", "price_cap_lv3"):
                if not c.get(lv) and price:
                    c[lv] = price
        out.append((row, {k: v for k, v in c.items() if v != ""}))
    return out, problems, defaulted


# --------------------------------------------------------------------------------------------------
# writing the layer


@dataclass
class ImportResult:
    out: Path
    manifest: dict[str, Any]
    imported: dict[str, int]  # pack file -> rows written
    read: dict[str, int]  # source file -> rows read
    rejected: list[Problem] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"out": str(self.out), "manifest": self.manifest, "read": self.read, "imported": self.imported,
                "rejected": [{"file": p.file, "line": p.line, "column": p.column, "reason": p.reason}
                             for p in self.rejected],
                "notices": self.notices}


def _write_csv(path: Path, file: str, rows: list[dict[str, str]]) -> None:
    spec = FILE_BY_FILE[file]
    columns = [csv_column_for(c) for c in KB_TABLES[spec.table].columns] + ["ver", "begndate", "enddate"]
    used = [c for c in columns if any(c in r for r in rows)]
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=used, extrasaction="raise")
        w.writeheader()
        w.writerows(rows)


def _write_layer(folder: Path, manifest: dict[str, Any], by_file: dict[str, list[dict[str, str]]]) -> None:
    folder.mkdir(parents=True)
    (folder / "manifest.yaml").write_text(yaml.safe_dump(manifest, allow_unicode=True, sort_keys=False),
                                          encoding="utf-8")
    for file, rows in by_file.items():
        _write_csv(folder / file, file, rows)


def import_catalogues(sources: Sequence[Path], out: Path, *, name: str, region: str, layer: str = "city",
                      version: str | None = None, kind: str | None = None, merge: bool = False,
                      description: str = "") -> ImportResult:
    """Read national-layout catalogues into one pack layer at ``out`` (replaced atomically).

    Unless ``merge``, the layer ``replaces`` the tables it carries, so the codes of the layers below
    (the illustrative starter pack) stop counting as known. Raises if no row at all is usable.
    """
    if layer not in LAYERS:
        raise KnowledgeError([Problem("--layer", None, None, f"应为 {'/'.join(LAYERS)} / bad layer: {layer!r}")])
    if not sources:
        raise KnowledgeError([Problem("<files>", None, None, "未指定目录文件 / no catalogue file given")])
    tables = [read_source(Path(s), kind) for s in sources]
    rejected: list[Problem] = []
    notices: list[str] = []
    candidates: dict[str, list[tuple[SourceRow, dict[str, str]]]] = {}
    for t in tables:
        rows, unusable, defaulted = convert(t)
        rejected += unusable
        candidates.setdefault(t.layout.file, []).extend(rows)
        if defaulted:
            notices.append(f"{t.path.name}: {defaulted:,} 行未给出收费类别，记为 14 其他 / "
                           f"{defaulted} rows without med_chrgitm_type set to 14")
    manifest: dict[str, Any] = {
        "name": name, "version": version or dt.date.today().isoformat(), "region": region, "layer": layer,
        "description": description or "导入的医保目录 / imported catalogue: " + ", ".join(t.path.name for t in tables),
        "illustrative": False,
    }
    candidates = {f: rows for f, rows in candidates.items() if rows}
    if not candidates:
        raise KnowledgeError(rejected or [Problem("<files>", None, None, "没有可用的目录行 / no usable row")],
                             title="目录导入失败：没有可用的行 / catalogue import failed: no usable row")
    if not merge:
        manifest["replaces"] = sorted(candidates)
    # Read the candidate back through the pack reader until it is clean: its problems name the CSV
    # line, which maps to one source row; that row is left out with the reader's reason.
    with tempfile.TemporaryDirectory(prefix="medaudit-import-") as tmp:
        for attempt in range(3):
            folder = Path(tmp) / f"try{attempt}"
            by_file = {f: [cells for _, cells in rows] for f, rows in candidates.items()}
            _write_layer(folder, manifest, by_file)
            problems: list[Problem] = []
            _read_pack(folder, problems)
            if not problems:
                break
            drop: dict[str, set[int]] = {}
            for p in problems:
                file = Path(p.file).name
                if file not in candidates or p.line is None or p.line < 2:
                    raise KnowledgeError([p], title="目录导入失败 / catalogue import failed")
                src, _ = candidates[file][p.line - 2]
                column = _source_column(tables, file, src.file, p.column)
                rejected.append(Problem(src.file, src.line, column, p.reason))
                drop.setdefault(file, set()).add(p.line - 2)
            candidates = {f: [r for i, r in enumerate(rows) if i not in drop.get(f, set())]
                          for f, rows in candidates.items()}
        else:
            raise KnowledgeError(problems, title="目录导入失败 / catalogue import failed")
        imported = {f: len(rows) for f, rows in candidates.items()}
        if not sum(imported.values()):
            raise KnowledgeError(rejected or [Problem("<files>", None, None, "没有可用的目录行 / no usable row")],
                                 title="目录导入失败：没有可用的行 / catalogue import failed: no usable row")
        rejected.sort(key=lambda p: (p.file, p.line or 0))
        result = ImportResult(Path(out), manifest, imported,
                              {str(t.path): len(t.rows) for t in tables}, rejected, notices)
        (folder / REPORT_FILE).write_text(json.dumps(result.as_dict(), ensure_ascii=False, indent=2),
                                          encoding="utf-8")
        _replace_dir(folder, Path(out))
    return result


def _source_column(tables: list[SourceTable], file: str, source: str, column: str | None) -> str | None:
    """The source header a pack column came from (a level price may come from the single 价格 column)."""
    for t in tables:
        if t.layout.file == file and str(t.path) == source and column:
            if column in t.columns:
                return t.columns[column]
            if column.startswith("price_cap_lv") and "price" in t.columns:
                return t.columns["price"]
    return column


def _replace_dir(src: Path, dest: Path) -> None:
    """Move the finished layer into place; an earlier layer at ``dest`` is kept until the move is done."""
    dest = dest.resolve()
    dest.parent.mkdir(parents=True, exist_ok=True)
    staged = dest.with_name(f".{dest.name}.new")
    if staged.exists():
        shutil.rmtree(staged)
    shutil.copytree(src, staged)
    old = dest.with_name(f".{dest.name}.old")
    if dest.exists():
        if old.exists():
            shutil.rmtree(old)
        os.replace(dest, old)
    os.replace(staged, dest)
    if old.exists():
        shutil.rmtree(old)
