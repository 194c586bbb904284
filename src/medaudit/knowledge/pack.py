"""Knowledge packs: a folder with ``manifest.yaml`` and CSV files, layered national → province → city.

The CSVs are written for humans (prices in yuan, ``|``-separated lists); the loader converts them
into the exact Arrow tables of :mod:`medaudit.knowledge.tables`, exploding the list columns into the
child tables, so rule SQL only ever sees normalised rows. Every problem in a pack is collected with
its file, line and column before anything is raised, so an editor can fix a pack in one pass.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import hashlib
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import yaml

from medaudit.knowledge.errors import KnowledgeError, Problem
from medaudit.knowledge.tables import KB_TABLES
from medaudit.knowledge.tables_policy import HERB_RULES
from medaudit.knowledge.tables_swaps import SWAP_DIAG, SWAP_SIGNALS
from medaudit.schema.arrow import arrow_schema
from medaudit.schema.codes import CHRGITM_TYPE_ZH, VISIT_TYPE_ZH
from medaudit.schema.columns import Column
from medaudit.schema.money import FEN_PER_YUAN, MILLI_PER_UNIT, units_to_milli, yuan_to_fen
from medaudit.schema.values import parse_flag

LAYERS = ("national", "province", "city")
LAYER_ZH = {"national": "国家", "province": "省级", "city": "市级"}

#: extra columns any CSV row may carry (besides the table columns)
META_COLUMNS = ("disabled", "ver", "begndate", "enddate")

RELATIONS = ("exclusive", "included", "requires", "decomposed")
TIME_WINDOWS = ("day", "encounter")
DRUG_CATEGORIES = ("西药", "中成药", "中药饮片")
CHRGITM_LVS = ("甲", "乙", "丙")
INSURANCE_ONLY = ("工伤", "生育")
SEVERITIES = ("禁忌", "严重", "中等", "轻微")
GENDERS = ("1", "2")

_ICD_PREFIX = re.compile(r"^[A-Z]([0-9]{1,2}(\.[0-9A-Za-z]{0,8})?)?$")
_CODE = re.compile(r"^[0-9A-Za-z.\-]{1,40}$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class ListSpec:
    """A ``|``-separated CSV column exploded into a child table (parent key + one value per row)."""

    csv_column: str
    table: str
    value_column: str
    check: Callable[[str], str | None]


@dataclass(frozen=True)
class FileSpec:
    file: str
    table: str
    lists: tuple[ListSpec, ...] = ()


def _check_icd(v: str) -> str | None:
    return None if _ICD_PREFIX.match(v) else f"不是ICD-10编码前缀 / not an ICD-10 prefix: {v!r}"


def _check_visit(v: str) -> str | None:
    return None if v in VISIT_TYPE_ZH else f"就诊类型应为 {'/'.join(VISIT_TYPE_ZH)} / bad visit type: {v!r}"


def _check_dept(v: str) -> str | None:
    return None if _CODE.match(v) else f"科室代码格式错误 / bad department code: {v!r}"


FILES: tuple[FileSpec, ...] = (
    FileSpec("drugs.csv", "kb_drug", (
        ListSpec("indications", "kb_drug_indication", "icd_prefix", _check_icd),
        ListSpec("visit_types", "kb_drug_visit", "visit_type", _check_visit),
    )),
    FileSpec("items.csv", "kb_item", (
        ListSpec("departments", "kb_item_dept", "dept_code", _check_dept),
        ListSpec("indications", "kb_item_indication", "icd_prefix", _check_icd),
    )),
    FileSpec("item_relations.csv", "kb_item_relation"),
    FileSpec("contraindications.csv", "kb_contraindication"),
    FileSpec("chronic_drugs.csv", "kb_chronic_drug"),
    FileSpec("key_drugs.csv", "kb_key_drug"),
    FileSpec("gender_exceptions.csv", "kb_gender_exception"),
    FileSpec("consumables.csv", "kb_consumable"),
    FileSpec("item_levels.csv", "kb_item_level"),
    FileSpec("consumable_limits.csv", "kb_consumable_limit"),
    FileSpec("surgeries.csv", "kb_surgery"),
    FileSpec("diag_genders.csv", "kb_diag_gender"),
    FileSpec("diag_ages.csv", "kb_diag_age"),
    FileSpec("item_insurance.csv", "kb_item_insurance"),
    FileSpec("herb_policy.csv", "kb_herb_policy"),
    FileSpec("course_limits.csv", "kb_course_limit"),
    FileSpec("item_cycles.csv", "kb_item_cycle"),
    FileSpec("item_charge_limits.csv", "kb_item_charge_limit"),
    FileSpec("item_panels.csv", "kb_item_panel"),
    FileSpec("item_surcharges.csv", "kb_item_surcharge"),
    FileSpec("item_swaps.csv", "kb_item_swap"),
)
FILE_BY_TABLE = {f.table: f for f in FILES}
FILE_BY_FILE = {f.file: f for f in FILES}
#: child table -> (parent table, list spec)
CHILD_TABLES: dict[str, tuple[str, ListSpec]] = {ls.table: (f.table, ls) for f in FILES for ls in f.lists}
PACK_TABLES = tuple(f.table for f in FILES)

#: allowed values per (table, column)
_ENUMS: dict[tuple[str, str], tuple[str, ...]] = {
    ("kb_drug", "category"): DRUG_CATEGORIES,
    ("kb_drug", "chrgitm_lv"): CHRGITM_LVS,
    ("kb_drug", "gender"): GENDERS,
    ("kb_drug", "insurance_only"): INSURANCE_ONLY,
    ("kb_item", "gender"): GENDERS,
    ("kb_item", "category"): tuple(CHRGITM_TYPE_ZH),
    ("kb_item_relation", "relation"): RELATIONS,
    ("kb_item_relation", "time_window"): TIME_WINDOWS,
    ("kb_contraindication", "severity"): SEVERITIES,
    ("kb_diag_gender", "gender"): GENDERS,
    ("kb_item_insurance", "insurance_only"): INSURANCE_ONLY,
    ("kb_herb_policy", "pay_rule"): HERB_RULES,
    ("kb_item_swap", "signal"): SWAP_SIGNALS,
}
#: columns a pack CSV must fill although the table allows NULL (a national knowledge-point row
#: built by :mod:`medaudit.knowledge.liangku` does not know them)
CSV_REQUIRED = {("kb_drug", "chrgitm_lv"), ("kb_item", "category")}
#: code-like columns (no spaces, ASCII)
_CODE_COLUMNS = {"code_prefix", "code_a", "code_b", "prefix_a", "prefix_b", "drug_prefix", "dise_no"}


def csv_column_for(col: Column) -> str:
    """CSV header of a table column: money in yuan (``ref_price``), doses in units (``max_daily_dose``)."""
    if col.kind == "fen" and col.name.endswith("_fen"):
        return col.name[: -len("_fen")]
    if col.kind == "milli" and col.name.endswith("_milli"):
        return col.name[: -len("_milli")]
    return col.name


@dataclass(frozen=True)
class Manifest:
    name: str
    version: str
    region: str
    layer: str
    effective_from: dt.date | None = None
    effective_to: dt.date | None = None
    description: str = ""
    illustrative: bool = False
    #: tables (by file name, e.g. ``drugs.csv``) this layer restates in full: earlier layers' rows of
    #: those tables are dropped, so an official catalogue replaces an illustrative one instead of
    #: leaving its codes "known" underneath
    replaces: tuple[str, ...] = ()
    path: Path | None = None

    def effective_on(self, day: dt.date) -> bool:
        return (self.effective_from is None or self.effective_from <= day) and (
            self.effective_to is None or day <= self.effective_to
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name, "version": self.version, "region": self.region, "layer": self.layer,
            "effective_from": self.effective_from.isoformat() if self.effective_from else None,
            "effective_to": self.effective_to.isoformat() if self.effective_to else None,
            "description": self.description, "illustrative": self.illustrative,
            "replaces": list(self.replaces), "path": str(self.path) if self.path else None,
        }


@dataclass
class PackRow:
    """One CSV record, converted: table values, exploded list values, and its provenance."""

    table: str
    key: tuple[str, ...]
    values: dict[str, Any]
    children: dict[str, list[str]]
    disabled: bool
    file: str
    line: int
    ver: str | None = None
    begndate: dt.date | None = None
    enddate: dt.date | None = None

    def valid_on(self, day: dt.date) -> bool:
        return (self.begndate is None or self.begndate <= day) and (self.enddate is None or day <= self.enddate)


@dataclass
class Pack:
    """One layer as read from disk: its manifest and its rows per table, keyed by the table key."""

    manifest: Manifest
    rows: dict[str, dict[tuple[str, ...], PackRow]]

    def count(self, table: str) -> int:
        return sum(1 for r in self.rows.get(table, {}).values() if not r.disabled)


# --------------------------------------------------------------------------------------------------
# value parsing


def _parse_date(text: str) -> dt.date:
    if not _DATE.match(text):
        raise ValueError(f"日期应为 YYYY-MM-DD / date must be YYYY-MM-DD: {text!r}")
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"无效日期 / invalid date: {text!r}") from None


def _decimal_scaled(text: str, scale: int, what: str) -> int:
    """Exact decimal → integer (yuan→fen, units→milli) by the shared money rules; no float ever, and
    a pack value may not be finer than the unit nor negative."""
    value = yuan_to_fen(text) if scale == FEN_PER_YUAN else units_to_milli(text, exact=True)
    if value < 0:
        raise ValueError(f"{what}不能为负 / must not be negative: {text}")
    return value


def _parse_value(col: Column, text: str) -> Any:
    if col.kind == "str":
        return text
    if col.kind == "int":
        if not re.fullmatch(r"\d+", text):
            raise ValueError(f"应为非负整数 / expected a non-negative integer: {text!r}")
        return int(text)
    if col.kind == "bool":
        return parse_flag(text)
    if col.kind == "fen":
        return _decimal_scaled(text, FEN_PER_YUAN, "金额(元)")
    if col.kind == "milli":
        return _decimal_scaled(text, MILLI_PER_UNIT, "数量")
    if col.kind == "date":
        return _parse_date(text)
    raise ValueError(f"unsupported column kind {col.kind}")


def _row_checks(table: str, v: dict[str, Any]) -> list[tuple[str, str]]:
    """Cross-column checks of one row: (column, reason)."""
    out: list[tuple[str, str]] = []
    amin, amax = v.get("age_min"), v.get("age_max")
    if amin is not None and amax is not None and amin >= amax:
        out.append(("age_max", f"age_max({amax}) 必须大于 age_min({amin}) / must exceed age_min (exclusive bound)"))
    if v.get("min_level") is not None and v["min_level"] not in (1, 2, 3):
        out.append(("min_level", f"医院级别应为 1/2/3 / level must be 1, 2 or 3: {v['min_level']}"))
    if table == "kb_drug":
        if v.get("max_daily_dose_milli") is not None and not v.get("dose_unit"):
            out.append(("dose_unit", "填写了每日最大剂量时必须给出剂量单位 / max_daily_dose needs dose_unit"))
        if v.get("max_daily_dose_milli") == 0:
            out.append(("max_daily_dose", "每日最大剂量必须大于0 / must be > 0"))
        if v.get("max_days") == 0:
            out.append(("max_days", "最大开药天数必须大于0 / must be > 0"))
    if table == "kb_item":
        caps = [v.get(f"price_cap_lv{i}_fen") for i in (1, 2, 3)]
        for i in range(2):
            lo, hi = caps[i], caps[i + 1]
            if lo is not None and hi is not None and lo > hi:
                out.append((f"price_cap_lv{i + 2}",
                            f"{i + 2}级限价低于{i + 1}级 / level-{i + 2} cap below level-{i + 1} cap"))
        for c in ("max_per_day", "max_per_encounter"):
            if v.get(c) == 0:
                out.append((c, "次数上限必须大于0 / must be > 0"))
    if table == "kb_item_relation" and v.get("code_a") and v.get("code_a") == v.get("code_b"):
        out.append(("code_b", "主项与从项相同 / code_a equals code_b"))
    if table == "kb_contraindication" and v.get("prefix_a") and v.get("prefix_a") == v.get("prefix_b"):
        out.append(("prefix_b", "药品A与药品B相同 / prefix_a equals prefix_b"))
    if table == "kb_item_swap":
        if v.get("billed_prefix") and v.get("billed_prefix") == v.get("actual_prefix"):
            out.append(("actual_prefix", "实际项目与收费项目相同 / actual_prefix equals billed_prefix"))
        if v.get("signal") == SWAP_DIAG and not v.get("icd_prefix"):
            out.append(("icd_prefix", "诊断信号须给出诊断编码前缀 / a 诊断 signal needs icd_prefix"))
    return out


# --------------------------------------------------------------------------------------------------
# reading


def read_manifest(folder: Path, problems: list[Problem]) -> Manifest | None:
    path = folder / "manifest.yaml"
    fname = str(path)
    if not path.is_file():
        problems.append(Problem(fname, None, None, "缺少 manifest.yaml / manifest.yaml missing"))
        return None
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError, ValueError) as exc:
        problems.append(Problem(fname, None, None, f"无法解析 YAML / cannot parse YAML: {exc}"))
        return None
    if not isinstance(data, dict):
        problems.append(Problem(fname, None, None, "manifest 必须是键值映射 / manifest must be a mapping"))
        return None
    n0 = len(problems)
    for key in ("name", "version", "region", "layer"):
        if not str(data.get(key) or "").strip():
            problems.append(Problem(fname, None, key, f"缺少必填字段 / required field missing: {key}"))
    layer = str(data.get("layer") or "")
    if layer and layer not in LAYERS:
        problems.append(Problem(fname, None, "layer", f"layer 应为 {'|'.join(LAYERS)} / bad layer: {layer!r}"))
    dates: dict[str, dt.date | None] = {}
    for key in ("effective_from", "effective_to"):
        raw = data.get(key)
        if raw in (None, ""):
            dates[key] = None
        elif isinstance(raw, dt.date):
            dates[key] = raw
        else:
            try:
                dates[key] = _parse_date(str(raw))
            except ValueError as exc:
                problems.append(Problem(fname, None, key, str(exc)))
                dates[key] = None
    ef, et = dates["effective_from"], dates["effective_to"]
    if ef and et and ef > et:
        problems.append(Problem(fname, None, "effective_to", "effective_to 早于 effective_from / ends before it starts"))
    replaces = data.get("replaces") or []
    if isinstance(replaces, str):
        replaces = [replaces]
    files = {f.file for f in FILES}
    if not isinstance(replaces, list) or any(r not in files for r in replaces):
        problems.append(Problem(fname, None, "replaces",
                                f"replaces 应为文件名列表，取值 {', '.join(sorted(files))} / must list pack file names: "
                                f"{replaces!r}"))
    if len(problems) > n0:
        return None
    return Manifest(
        name=str(data["name"]).strip(), version=str(data["version"]).strip(), region=str(data["region"]).strip(),
        layer=layer, effective_from=ef, effective_to=et, description=str(data.get("description") or "").strip(),
        illustrative=bool(data.get("illustrative", False)), replaces=tuple(replaces), path=folder,
    )


def _read_csv(path: Path, spec: FileSpec, problems: list[Problem]) -> dict[tuple[str, ...], PackRow]:
    table = KB_TABLES[spec.table]
    fname = str(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        problems.append(Problem(fname, None, None, f"文件不是 UTF-8 编码 / file is not UTF-8: {exc}"))
        return {}
    reader = csv.reader(text.splitlines(keepends=True))
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        problems.append(Problem(fname, 1, None, "文件为空，缺少表头 / empty file, header missing"))
        return {}
    col_by_csv = {csv_column_for(c): c for c in table.columns}
    list_by_csv = {ls.csv_column: ls for ls in spec.lists}
    allowed = set(col_by_csv) | set(list_by_csv) | set(META_COLUMNS)
    bad_header = False
    seen: set[str] = set()
    for h in header:
        if h in seen:
            problems.append(Problem(fname, 1, h, "表头重复 / duplicate header"))
            bad_header = True
        seen.add(h)
        if h not in allowed:
            hint = ""
            if h.endswith("_fen") or h.endswith("_milli"):
                hint = "（金额以元填写，列名不带 _fen；剂量列名不带 _milli / money in yuan without _fen, doses without _milli）"
            problems.append(Problem(fname, 1, h, f"未知列 / unknown column{hint}"))
            bad_header = True
    def required(c: Column) -> bool:
        return c.required or (spec.table, c.name) in CSV_REQUIRED

    for c in table.columns:
        if required(c) and csv_column_for(c) not in seen:
            problems.append(Problem(fname, 1, csv_column_for(c), "缺少必填列 / required column missing"))
            bad_header = True
    if bad_header:
        return {}

    rows: dict[tuple[str, ...], PackRow] = {}
    line = reader.line_num
    for record in reader:
        start = line + 1
        line = reader.line_num
        if not any(cell.strip() for cell in record):
            continue
        if len(record) != len(header):
            problems.append(Problem(fname, start, None,
                                    f"字段数 {len(record)} 与表头 {len(header)} 不一致 / field count differs from header"))
            continue
        cells = {h: cell.strip() for h, cell in zip(header, record, strict=True)}
        n0 = len(problems)

        def bad(column: str, reason: str, _start: int = start) -> None:
            problems.append(Problem(fname, _start, column, reason))

        disabled = False
        if cells.get("disabled"):
            if cells["disabled"] in ("1", "0"):
                disabled = cells["disabled"] == "1"
            else:
                bad("disabled", f"应为 0 或 1 / must be 0 or 1: {cells['disabled']!r}")
        values: dict[str, Any] = {}
        for csv_name, col in col_by_csv.items():
            raw = cells.get(csv_name, "")
            if raw == "":
                values[col.name] = None
                if required(col) and (not disabled or col.name in table.key):
                    bad(csv_name, "必填项为空 / required value empty")
                continue
            if disabled and col.name not in table.key:
                values[col.name] = None
                continue
            try:
                val = _parse_value(col, raw)
            except ValueError as exc:
                bad(csv_name, str(exc))
                continue
            allowed_vals = _ENUMS.get((spec.table, col.name))
            if allowed_vals is not None and val not in allowed_vals:
                bad(csv_name, f"取值应为 {'/'.join(allowed_vals)} / not an allowed value: {raw!r}")
                continue
            if col.name in _CODE_COLUMNS and not _CODE.match(str(val)):
                bad(csv_name, f"编码只能含字母数字及 . - / code has invalid characters: {raw!r}")
                continue
            values[col.name] = val
        children: dict[str, list[str]] = {}
        for ls in spec.lists:
            raw = "" if disabled else cells.get(ls.csv_column, "")
            items = [p.strip() for p in raw.split("|")] if raw else []
            vals: list[str] = []
            for p in items:
                if not p:
                    bad(ls.csv_column, "列表中有空项 / empty list element (check the | separators)")
                    continue
                reason = ls.check(p)
                if reason:
                    bad(ls.csv_column, reason)
                elif p in vals:
                    bad(ls.csv_column, f"列表项重复 / duplicate list element: {p}")
                else:
                    vals.append(p)
            children[ls.table] = vals
        if not disabled:
            for column, reason in _row_checks(spec.table, values):
                bad(column, reason)
        begn = end = None
        for meta in ("begndate", "enddate"):
            if cells.get(meta):
                try:
                    d = _parse_date(cells[meta])
                except ValueError as exc:
                    bad(meta, str(exc))
                    continue
                if meta == "begndate":
                    begn = d
                else:
                    end = d
        if begn and end and begn > end:
            bad("enddate", "enddate 早于 begndate / ends before it starts")
        if len(problems) > n0:
            continue
        key = tuple(str(values[k]) for k in table.key)
        if key in rows:
            first = rows[key]
            bad(",".join(csv_column_for(table.column(k)) for k in table.key),
                f"主键 {'/'.join(key)} 重复（首次出现在第 {first.line} 行）/ duplicate key, first on line {first.line}")
            continue
        rows[key] = PackRow(spec.table, key, values, children, disabled, fname, start,
                            cells.get("ver") or None, begn, end)
    return rows


def _read_pack(folder: Path, problems: list[Problem]) -> Pack | None:
    folder = Path(folder)
    if not folder.is_dir():
        problems.append(Problem(str(folder), None, None, "知识包目录不存在 / pack folder not found"))
        return None
    manifest = read_manifest(folder, problems)
    known = {f.file for f in FILES}
    for p in sorted(folder.glob("*.csv")):
        if p.name not in known:
            problems.append(Problem(str(p), None, None,
                                    f"未知文件，应为 {', '.join(sorted(known))} 之一 / unknown file"))
    rows: dict[str, dict[tuple[str, ...], PackRow]] = {}
    for spec in FILES:
        path = folder / spec.file
        rows[spec.table] = _read_csv(path, spec, problems) if path.is_file() else {}
    if manifest is None:
        return None
    return Pack(manifest, rows)


def load_pack(path: Path | str) -> Pack:
    """Read and validate one pack folder; raises :class:`KnowledgeError` listing every problem."""
    problems: list[Problem] = []
    pack = _read_pack(Path(path), problems)
    if problems or pack is None:
        raise KnowledgeError(problems)
    return pack


# --------------------------------------------------------------------------------------------------
# layering


@dataclass
class KnowledgeBase:
    """Merged layers as Arrow tables conforming exactly to :data:`KB_TABLES` schemas."""

    tables: dict[str, pa.Table]
    versions: dict[str, str]
    manifest: Manifest | None
    layers: list[Manifest] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    sources: dict[tuple[str, tuple[str, ...]], tuple[str, int]] = field(default_factory=dict, repr=False)
    #: the national knowledge points behind rows (``None`` without the 两库 layer); see liangku.py
    national: Any = field(default=None, repr=False)

    def cite(self, kb_ref: str | None, gz_codes: Sequence[str], classes: Sequence[str]) -> str | None:
        """``kb_ref`` extended with the national point(s) of those rule classes behind it, else ``None``."""
        return None if self.national is None else self.national.cite(kb_ref, gz_codes, classes)

    def table(self, name: str) -> pa.Table:
        return self.tables[name]

    def rows(self, name: str) -> list[dict[str, Any]]:
        return self.tables[name].to_pylist()

    def counts(self) -> dict[str, int]:
        return {name: t.num_rows for name, t in self.tables.items()}

    @property
    def version_label(self) -> str:
        """``national@2025.1+province-x@1``: recorded by batch runs and findings."""
        return "+".join(f"{n}@{v}" for n, v in self.versions.items())

    def fingerprint(self) -> str:
        """Content hash of the pack tables (not the code lists), to tell two builds apart."""
        h = hashlib.sha256()
        for name in PACK_TABLES + tuple(CHILD_TABLES):
            h.update(name.encode())
            for row in self.tables[name].to_pylist():
                h.update(repr(sorted(row.items())).encode())
        return h.hexdigest()[:16]


def _empty(name: str) -> pa.Table:
    return arrow_schema(KB_TABLES[name]).empty_table()


def _to_arrow(name: str, records: Iterable[dict[str, Any]]) -> pa.Table:
    schema = arrow_schema(KB_TABLES[name])
    recs = list(records)
    # from_arrays, not from_pydict: the latter imports pandas (seconds on a cold start)
    arrays = [pa.array([r.get(f.name) for r in recs], type=f.type) for f in schema]
    return pa.Table.from_arrays(arrays, schema=schema)


def merge_packs(packs: Sequence[Pack], *, as_of: dt.date | None = None) -> tuple[
        dict[str, dict[tuple[str, ...], PackRow]], list[Pack]]:
    """Apply layers in order: a later row with the same key replaces the earlier one (children too);
    ``disabled=1`` removes it; a manifest's ``replaces`` drops every earlier row of those tables. Rows (and whole packs) not valid on ``as_of`` are skipped first, so an
    expired provincial row lets the national row show through."""
    merged: dict[str, dict[tuple[str, ...], PackRow]] = {t: {} for t in PACK_TABLES}
    used: list[Pack] = []
    illustrative_keys: dict[str, set[tuple[str, ...]]] = {t: set() for t in PACK_TABLES}
    for pack in packs:
        if as_of is not None and not pack.manifest.effective_on(as_of):
            continue
        used.append(pack)
        replaced = {FILE_BY_FILE[f].table for f in pack.manifest.replaces}
        for table in PACK_TABLES:
            target = merged[table]
            if table in replaced:
                target.clear()
            for key, row in pack.rows.get(table, {}).items():
                if as_of is not None and not row.valid_on(as_of):
                    continue
                if row.disabled:
                    target.pop(key, None)
                elif key in target and key in illustrative_keys[table] and not pack.manifest.illustrative \
                        and pack.manifest.layer == "national":
                    # a national knowledge point over an illustrative row of the same code states only
                    # its own limit: the illustrative attributes it leaves blank (price caps, daily
                    # limits …) stay, so the point adds a restriction instead of erasing the others
                    old_row = target[key]
                    values = {**old_row.values, **{k: v for k, v in row.values.items() if v is not None}}
                    children = {**old_row.children, **{k: v for k, v in row.children.items() if v}}
                    target[key] = dataclasses.replace(row, values=values, children=children)
                else:
                    target[key] = row
                if pack.manifest.illustrative:
                    illustrative_keys[table].add(key)
                else:
                    illustrative_keys[table].discard(key)
    return merged, used


def build_tables(merged: dict[str, dict[tuple[str, ...], PackRow]]) -> dict[str, pa.Table]:
    tables: dict[str, pa.Table] = {}
    for table in PACK_TABLES:
        rows = [merged[table][k] for k in sorted(merged[table])]
        tables[table] = _to_arrow(table, (r.values for r in rows))
        for ls in FILE_BY_TABLE[table].lists:
            key_col = KB_TABLES[table].key[0]
            child = [{key_col: r.values[key_col], ls.value_column: v}
                     for r in rows for v in sorted(r.children.get(ls.table, []))]
            tables[ls.table] = _to_arrow(ls.table, child)
    return tables


def load_layers(paths: Sequence[Path | str], *, as_of: dt.date | None = None,
                with_codes: bool = True, national_points: bool | Path = False) -> KnowledgeBase:
    """Load packs in order national → province → city and merge them into one knowledge base.

    ``national_points`` (True: the configured folder, or a folder) adds the NHSA knowledge-point
    layer after the national packs, built for ``as_of`` (``None``: the latest points).
    ``as_of`` keeps only packs and rows effective on that day (``None``: all). Problems in any pack
    are gathered across all packs before :class:`KnowledgeError` is raised. Cross-references
    (relation codes, chronic-drug prefixes…) that a layer left dangling become ``warnings``.
    """
    if not paths:
        raise KnowledgeError([Problem("<layers>", None, None, "未指定任何知识包 / no pack given")])
    problems: list[Problem] = []
    packs: list[Pack] = []
    for p in paths:
        pack = _read_pack(Path(p), problems)
        if pack is not None:
            packs.append(pack)
    rank = -1
    for pack in packs:
        r = LAYERS.index(pack.manifest.layer)
        if r < rank:
            problems.append(Problem(str(pack.manifest.path / "manifest.yaml") if pack.manifest.path else pack.manifest.name,
                                    None, "layer",
                                    f"层级顺序应为 national → province → city，{pack.manifest.layer} 不能排在更细的层级之后 "
                                    f"/ layers must be ordered national → province → city"))
        rank = max(rank, r)
    names = [p.manifest.name for p in packs]
    for n in sorted({n for n in names if names.count(n) > 1}):
        problems.append(Problem("<layers>", None, "name", f"知识包名称重复 / pack name used twice: {n}"))
    if problems:
        raise KnowledgeError(problems)
    national = None
    if national_points:
        from medaudit.knowledge.liangku import build_layer, read_liangku

        lk = read_liangku(None if national_points is True else Path(national_points))
        layer, national = build_layer(lk, as_of)
        at = max((i + 1 for i, p in enumerate(packs) if p.manifest.layer == "national"), default=0)
        packs.insert(at, layer)
    merged, used = merge_packs(packs, as_of=as_of)
    tables = build_tables(merged)
    notices: list[str] = []
    if with_codes:
        from medaudit.knowledge.codes import load_codes

        for kind, tname in (("diagnosis", "kb_diagnosis"), ("procedure", "kb_procedure")):
            cl = load_codes(kind)  # type: ignore[arg-type]
            tables[tname] = cl.table()
            if cl.notice:
                notices.append(cl.notice)
    else:
        tables["kb_diagnosis"] = _empty("kb_diagnosis")
        tables["kb_procedure"] = _empty("kb_procedure")
    tables = {name: tables[name] for name in KB_TABLES}
    sources = {(t, k): (r.file, r.line) for t, rows in merged.items() for k, r in rows.items()}
    kb = KnowledgeBase(
        tables=tables,
        versions={p.manifest.name: p.manifest.version for p in used},
        manifest=used[-1].manifest if used else None,
        layers=[p.manifest for p in used],
        notices=notices,
        sources=sources,
        national=national,
    )
    from medaudit.knowledge.consistency import check_references

    kb.warnings = check_references(kb)
    return kb
