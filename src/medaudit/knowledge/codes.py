"""Diagnosis (医保版 ICD-10) and procedure (医保版 ICD-9-CM-3) code lists.

The full tables are read from :func:`medaudit.settings.reference_dir` (``ZD_INFO.dat``,
``SS_INFO.dat``: one ``CODE NAME`` per line, UTF-8). They are never copied into the repository; a
bureau imports its official download with ``medaudit knowledge import-codes``. Without them a small
built-in list keeps the demo running, with a clear notice that the list is incomplete.
"""

from __future__ import annotations

import csv
import io
import os
import stat
import warnings
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Literal

import pyarrow as pa

from medaudit.knowledge.builtin_codes import BUILTIN_DIAGNOSES, BUILTIN_PROCEDURES
from medaudit.knowledge.errors import KnowledgeError, Problem
from medaudit.knowledge.tables import KB_DIAGNOSIS, KB_PROCEDURE
from medaudit.schema.arrow import arrow_schema
from medaudit.settings import reference_dir

Kind = Literal["diagnosis", "procedure"]
KINDS: tuple[Kind, ...] = ("diagnosis", "procedure")
FILE_NAMES: dict[Kind, str] = {"diagnosis": "ZD_INFO.dat", "procedure": "SS_INFO.dat"}
KIND_ZH: dict[Kind, str] = {"diagnosis": "医保版疾病诊断(ICD-10)", "procedure": "医保版手术操作(ICD-9-CM-3)"}

#: header names accepted for the code and name columns of an imported CSV/XLSX (lower-cased)
CODE_HEADERS = ("code", "diag_code", "dise_code", "diag_codg", "oprn_oprt_code", "oprn_code", "诊断代码",
                "疾病诊断代码", "诊断编码", "疾病代码", "疾病编码", "手术操作代码", "手术代码", "操作代码",
                "手术操作编码", "手术编码", "代码", "编码")
NAME_HEADERS = ("name", "diag_name", "dise_name", "oprn_oprt_name", "oprn_name", "诊断名称", "疾病诊断名称",
                "疾病名称", "手术操作名称", "手术名称", "操作名称", "名称")


class ReferenceDataWarning(UserWarning):
    """The full official code tables were not found; a small built-in list is used instead."""


@dataclass(frozen=True, eq=False)
class CodeList:
    kind: Kind
    codes: tuple[str, ...]
    names: tuple[str, ...]
    source: Path | None
    complete: bool
    notice: str | None = None
    _table: pa.Table = field(init=False, repr=False)
    _lookup: dict[str, str] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        # built once per load (the loaders below are cached), so table() and name_of() are O(1)
        schema = arrow_schema(KB_DIAGNOSIS if self.kind == "diagnosis" else KB_PROCEDURE)
        table = pa.Table.from_arrays([pa.array(self.codes, pa.string()), pa.array(self.names, pa.string())],
                                     schema=schema)
        object.__setattr__(self, "_table", table)
        object.__setattr__(self, "_lookup", dict(zip(self.codes, self.names, strict=True)))

    def __len__(self) -> int:
        return len(self.codes)

    def table(self) -> pa.Table:
        return self._table

    def name_of(self, code: str) -> str | None:
        return self._lookup.get(code)


def parse_dat(text: str, source: str) -> tuple[list[tuple[str, str]], list[Problem]]:
    """``CODE NAME`` lines (split at the first whitespace); blank lines are skipped."""
    rows: list[tuple[str, str]] = []
    problems: list[Problem] = []
    for no, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        parts = line.split(None, 1)
        if len(parts) != 2 or not parts[1].strip():
            problems.append(Problem(source, no, None, f"应为“编码 名称” / expected 'CODE NAME': {line[:60]!r}"))
            continue
        rows.append((parts[0], parts[1].strip()))
    return rows, problems


@lru_cache(maxsize=16)
def _read_dat(kind: Kind, path: str, mtime_ns: int, size: int) -> CodeList:
    text = Path(path).read_text(encoding="utf-8-sig")
    rows, problems = parse_dat(text, path)
    if problems:
        raise KnowledgeError(problems, title=f"代码表格式错误 / malformed code table {path}")
    return CodeList(kind, tuple(c for c, _ in rows), tuple(n for _, n in rows), Path(path), True)


@lru_cache(maxsize=32)
def _builtin(kind: Kind, notice: str) -> CodeList:
    rows = BUILTIN_DIAGNOSES if kind == "diagnosis" else BUILTIN_PROCEDURES
    return CodeList(kind, tuple(c for c, _ in rows), tuple(n for _, n in rows), None, False, notice)


def code_file(kind: Kind, ref_dir: Path | None = None) -> Path:
    return (ref_dir or reference_dir()) / FILE_NAMES[kind]


def missing_notice(kind: Kind, path: Path) -> str:
    return (f"未找到完整的{KIND_ZH[kind]}代码表（{path}），当前仅使用内置的少量常用代码；"
            f"请设置 MEDAUDIT_REFERENCE_DATA 或用 `medaudit knowledge import-codes FILE --kind {kind}` 导入官方代码表。"
            f" / full {kind} code table not found at {path}; using a small built-in list.")


@lru_cache(maxsize=16)
def _warn_once(notice: str) -> None:
    warnings.warn(notice, ReferenceDataWarning, stacklevel=3)


def load_codes(kind: Kind, ref_dir: Path | None = None) -> CodeList:
    """The full list when ``ZD_INFO.dat``/``SS_INFO.dat`` exist (cached by path and mtime), else the
    built-in fallback with ``complete=False`` and a notice (also emitted once as a warning)."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}")
    path = code_file(kind, ref_dir)
    try:
        st = path.stat()
    except OSError:
        st = None
    if st is not None and stat.S_ISREG(st.st_mode):
        return _read_dat(kind, str(path), st.st_mtime_ns, st.st_size)
    notice = missing_notice(kind, path)
    _warn_once(notice)
    return _builtin(kind, notice)


def load_diagnoses(ref_dir: Path | None = None) -> CodeList:
    return load_codes("diagnosis", ref_dir)


def load_procedures(ref_dir: Path | None = None) -> CodeList:
    return load_codes("procedure", ref_dir)


# --------------------------------------------------------------------------------------------------
# import of an official table


def decode_download(raw: bytes, source: str) -> str:
    """Bureau downloads are often GBK/GB18030: the one detector ingest uses (ingest.readers)."""
    from medaudit.ingest.readers import decode_text

    try:
        return decode_text(raw, source)
    except ValueError as exc:
        raise KnowledgeError([Problem(source, None, None, str(exc))]) from None


def _find_header(rows: list[list[str]]) -> tuple[int, int, int] | None:
    """The first row (bureau files often start with a title row) naming a code and a name column."""
    for i, row in enumerate(rows[:20]):
        low = [str(c or "").strip().lower() for c in row]
        code_idx = next((low.index(h) for h in CODE_HEADERS if h in low), None)
        name_idx = next((low.index(h) for h in NAME_HEADERS if h in low), None)
        if code_idx is not None and name_idx is not None and code_idx != name_idx:
            return i, code_idx, name_idx
    return None


def _rows_from_table(rows: list[list[str]], source: str) -> tuple[list[tuple[str, str]], list[Problem]]:
    found = _find_header(rows)
    if found is None:
        return [], [Problem(source, None, None,
                            "找不到编码/名称列，表头应包含 code,name 或 诊断代码,诊断名称 或 手术操作代码,手术操作名称 "
                            "/ no code and name columns found")]
    hi, ci, ni = found
    out: list[tuple[str, str]] = []
    problems: list[Problem] = []
    for no, row in enumerate(rows[hi + 1:], start=hi + 2):
        code = str(row[ci] if ci < len(row) and row[ci] is not None else "").strip()
        name = str(row[ni] if ni < len(row) and row[ni] is not None else "").strip()
        if not code and not name:
            continue
        if not code or any(ch.isspace() for ch in code):
            problems.append(Problem(source, no, "code", f"编码为空或含空白 / empty code or code with spaces: {code!r}"))
        elif not name:
            problems.append(Problem(source, no, "name", "名称为空 / empty name"))
        else:
            out.append((code, " ".join(name.split())))
    return out, problems


def read_code_table(path: Path) -> list[tuple[str, str]]:
    """Read an official table (.dat/.txt ``CODE NAME``, .csv, .xlsx); raises listing every bad line."""
    path = Path(path)
    if not path.is_file():
        raise KnowledgeError([Problem(str(path), None, None, "文件不存在 / file not found")])
    suffix = path.suffix.lower()
    src = str(path)
    if suffix in (".xlsx", ".xlsm"):
        from openpyxl import load_workbook

        wb = load_workbook(path, read_only=True, data_only=True)
        try:
            sheet = wb.worksheets[0]
            rows = [["" if c is None else str(c) for c in r] for r in sheet.iter_rows(values_only=True)]
        finally:
            wb.close()
        pairs, problems = _rows_from_table(rows, src)
    elif suffix == ".csv":
        text = decode_download(path.read_bytes(), src)
        rows = list(csv.reader(io.StringIO(text)))
        pairs, problems = _rows_from_table(rows, src)
    elif suffix in (".dat", ".txt"):
        pairs, problems = parse_dat(decode_download(path.read_bytes(), src), src)
    else:
        raise KnowledgeError([Problem(src, None, None, "仅支持 .csv .xlsx .dat .txt / unsupported file type")])
    seen: dict[str, int] = {}
    for i, (code, _) in enumerate(pairs):
        if code in seen:
            problems.append(Problem(src, None, "code", f"编码重复 / duplicate code: {code}"))
        seen.setdefault(code, i)
    if not pairs and not problems:
        problems.append(Problem(src, None, None, "没有任何代码 / no codes in file"))
    if problems:
        raise KnowledgeError(problems, title=f"代码表导入失败 / code import failed ({path.name})")
    return pairs


def import_codes(source: Path, kind: Kind, dest: Path | None = None) -> tuple[Path, int]:
    """Convert an official table into ``dest``/ZD_INFO.dat or SS_INFO.dat (default: the configured
    reference location), atomically, and return (path, number of codes)."""
    if kind not in KINDS:
        raise KnowledgeError([Problem("--kind", None, None, f"kind 应为 {'/'.join(KINDS)} / bad kind: {kind}")])
    pairs = read_code_table(source)
    target_dir = Path(dest) if dest is not None else reference_dir()
    try:
        target_dir.mkdir(parents=True, exist_ok=True)
        target = target_dir / FILE_NAMES[kind]
        tmp = target.with_suffix(".dat.tmp")
        tmp.write_text("".join(f"{c} {n}\n" for c, n in pairs), encoding="utf-8")
        os.replace(tmp, target)
    except OSError as exc:
        raise KnowledgeError([Problem(str(target_dir), None, None,
                                      f"无法写入目标目录（可用 --dest 指定）/ cannot write destination: {exc}")]) from None
    _read_dat.cache_clear()
    _warn_once.cache_clear()
    return target, len(pairs)
