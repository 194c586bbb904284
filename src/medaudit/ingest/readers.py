"""Streaming readers: every input shape becomes batches of *string* columns plus a source line.

Why strings: validation must see exactly what the file said (``"1,234.50"``, ``"２０２５年1月5日"``)
to parse it exactly and to quote it in a quarantine reason. Why a line number column: a quarantined
row must point back to its place in the source file, and pyarrow's streaming CSV reader does not
report line numbers — so the CSV transcoder prefixes every record with the physical line it starts on.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from medaudit.errors import InputError

LINE = "__line"
CSV_SUFFIXES = {".csv", ".txt", ".tsv", ".dat"}
EXCEL_SUFFIXES = {".xlsx", ".xlsm", ".xls"}
PARQUET_SUFFIXES = {".parquet", ".pq"}
BLOCK_SIZE = 8 << 20
EXCEL_BATCH = 50_000


@dataclass
class Junk:
    """A record that never became a row of columns (bad bytes, wrong column count, cut quote)."""

    line: int
    text: str
    reason: str


@dataclass
class Batch:
    data: pa.Table  # string columns named as in the file, plus LINE (int64)
    junk: list[Junk] = field(default_factory=list)


class Reader:
    """One table's worth of rows in one file (a CSV, a Parquet file, or one Excel sheet)."""

    label: str  # shown as source_file in quarantine
    headers: list[str]
    size: int = 0
    message: str = ""  # e.g. "空文件 / empty file"

    def batches(self, progress: Callable[[int], None] | None = None) -> Iterator[Batch]:
        raise NotImplementedError


# --------------------------------------------------------------------------------------------- CSV


_CJK = re.compile("[\u4e00-\u9fff]")


def decode_line(raw: bytes) -> tuple[str | None, str]:
    """Decode one line as UTF-8 or GB18030, whichever is plausible; (None, "") if neither decodes.

    Short GBK text can be valid UTF-8 by accident ("药" in GBK reads as UTF-8 "ҩ"), so a line that
    decodes as UTF-8 without any CJK character but as GB18030 with some is taken as GB18030.
    """
    if raw.isascii():
        return raw.decode("ascii"), "utf-8"
    try:
        u: str | None = raw.decode("utf-8")
    except UnicodeDecodeError:
        u = None
    if u is not None and _CJK.search(u):
        return u, "utf-8"
    try:
        g = raw.decode("gb18030")
    except UnicodeDecodeError:
        return (u, "utf-8") if u is not None else (None, "")
    if u is None or _CJK.search(g):
        return g, "gb18030"
    return u, "utf-8"


def detect_encoding(sample: bytes) -> str:
    """The encoding most lines of the sample use (UTF-8 or GB18030, a superset of GBK/GB2312).

    Used to show undecodable lines and by ``decode_text``; every line is decoded on its own
    (``decode_line``).
    """
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"  # Excel's "Unicode text" export; the codec reads the BOM
    utf16 = _utf16_without_bom(sample)
    if utf16:
        return utf16
    votes = {"utf-8": 0, "gb18030": 0, "": 0}
    lines = sample.split(b"\n")
    if len(lines) > 1:
        lines = lines[:-1]  # the last line may be cut mid-character
    for raw in lines:
        if not raw.isascii():
            votes[decode_line(raw)[1]] += 1
    return "gb18030" if votes["gb18030"] > votes["utf-8"] else "utf-8"


def decode_text(raw: bytes, source: str = "") -> str:
    """A whole small file (a catalogue or code-table download) decoded the way ingest decodes an
    export: a BOM or UTF-16 decides, else each line is UTF-8 or GB18030 on its own (``decode_line``),
    so a GBK download, a UTF-8 one and one edited in both read alike. Raises ``ValueError`` naming
    the first line that is neither."""
    enc = detect_encoding(raw[:65536])
    if enc.startswith("utf-16"):
        return raw.decode(enc)
    if raw.startswith(codecs.BOM_UTF8):
        raw = raw[len(codecs.BOM_UTF8):]
    out: list[str] = []
    for no, line in enumerate(raw.split(b"\n"), start=1):
        text, _ = decode_line(line)
        if text is None:
            raise ValueError(f"{source or '文件'} 第{no}行既不是UTF-8也不是GBK/GB18030编码 / line {no} is neither "
                             "UTF-8 nor GBK/GB18030")
        out.append(text)
    return "\n".join(out)


def _utf16_without_bom(sample: bytes) -> str | None:
    """UTF-16 without a BOM shows as a NUL in every other byte of mostly-ASCII text (headers, digits)."""
    n = len(sample) - len(sample) % 2
    if n < 8:
        return None
    even, odd = sample[0:n:2].count(0), sample[1:n:2].count(0)
    if odd > 0.4 * n / 2 and even < 0.05 * n / 2:
        return "utf-16-le"
    if even > 0.4 * n / 2 and odd < 0.05 * n / 2:
        return "utf-16-be"
    return None


_CONTROL = bytes(b for b in range(32) if b not in (9, 10, 13))


def _looks_binary(sample: bytes) -> bool:
    """NUL bytes, or many control bytes, never occur in a CSV export (but fill every binary file)."""
    if b"\x00" in sample:
        return True
    return len(sample) - len(sample.translate(None, _CONTROL)) > 0.05 * len(sample)


def _undecodable(err: UnicodeError) -> tuple[str, int]:
    # A lone surrogate never comes out of a valid UTF-16 decode; encoded with surrogateescape it
    # becomes the byte 0xFF, which the per-line decoder reports as undecodable (the row is quarantined).
    if not isinstance(err, UnicodeDecodeError):
        raise err
    return "\udcff", err.end


codecs.register_error("medaudit-undecodable", _undecodable)


class _Utf16Lines:
    """A UTF-16 file as UTF-8 lines, so the byte-level record splitter works on it unchanged."""

    def __init__(self, path: Path, encoding: str) -> None:
        self._fh = path.open("r", encoding=encoding, errors="medaudit-undecodable", newline="")

    def __iter__(self) -> Iterator[bytes]:
        for line in self._fh:
            yield line.encode("utf-8", errors="surrogateescape")

    def close(self) -> None:
        self._fh.close()


def _sniff_delimiter(header: str) -> str:
    counts = {d: header.count(d) for d in (",", "\t", "|", ";")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > 0 else ","


def _clean_headers(raw: list[str]) -> list[str]:
    out: list[str] = []
    seen: set[str] = set()
    for i, h in enumerate(raw):
        name = h.replace("\ufeff", "").strip() or f"column_{i + 1}"
        base, n = name, 2
        while name in seen or name == LINE:
            name = f"{base}_{n}"
            n += 1
        seen.add(name)
        out.append(name)
    return out


class _Transcoder(io.RawIOBase):
    """File-like object feeding pyarrow: UTF-8 records, each prefixed with its source line number.

    Decodes per physical line (primary encoding, then the other of UTF-8/GB18030), so a file with
    mixed bytes does not crash; a record with undecodable bytes goes to ``junk``. Quote parity is
    tracked on raw bytes (0x22 is never a trail byte in UTF-8 or GBK), so multi-line quoted values
    stay one record and a quote left open at end of file is reported instead of swallowing rows.
    """

    def __init__(self, path: Path, encoding: str, delimiter: str, progress: Callable[[int], None] | None):
        super().__init__()
        utf16 = encoding.startswith("utf-16")
        self._fh: Any = _Utf16Lines(path, encoding) if utf16 else path.open("rb")
        self.encoding = "utf-8" if utf16 else encoding  # of the lines this class sees
        self.delim = delimiter.encode()
        self.junk: list[Junk] = []
        self._progress = progress
        self._buf = bytearray()
        self._records = self._iter_records()
        self.header: list[str] | None = None
        self.header_line = 0

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        self._fh.close()
        super().close()

    def _iter_records(self) -> Iterator[tuple[int, list[bytes], bool]]:
        lineno = 0
        pending: list[bytes] = []
        start = 0
        quotes = 0
        first = True
        unreported = 0
        for raw in self._fh:
            lineno += 1
            if first:
                first = False
                if raw.startswith(codecs.BOM_UTF8):
                    raw = raw[3:]
            unreported += len(raw)
            if unreported > 1 << 20 and self._progress is not None:
                self._progress(unreported)
                unreported = 0
            if not pending:
                if not raw.strip():
                    continue  # blank lines are not rows
                start = lineno
            pending.append(raw)
            quotes += raw.count(b'"')
            if not quotes & 1:
                yield start, pending, True
                pending = []
                quotes = 0
        if self._progress is not None and unreported:
            self._progress(unreported)
        if pending:
            yield start, pending, False

    def _decode(self, raw: bytes) -> str | None:
        return decode_line(raw)[0]

    def _as_text(self, lines: list[bytes]) -> str:
        return b"".join(lines).decode(self.encoding, errors="replace").rstrip("\r\n")

    def read_header(self) -> list[str] | None:
        for start, lines, complete in self._records:
            text = self._decode(b"".join(lines))
            if text is None or not complete:
                raise InputError(
                    "表头行无法解码或引号未闭合 / header line undecodable or has an unterminated quote"
                )
            row = next(csv.reader([text.rstrip("\r\n")], delimiter=self.delim.decode()))
            self.header = _clean_headers(row)
            self.header_line = start
            return self.header
        return None

    def _encode_record(self, start: int, lines: list[bytes], complete: bool) -> bytes | None:
        if not complete:
            self.junk.append(Junk(start, self._as_text(lines),
                                  "引号未闭合(文件可能被截断) / unterminated quote (file truncated?)"))
            return None
        parts: list[bytes] = []
        for raw in lines:
            if raw.isascii():
                parts.append(raw)
                continue
            text, enc = decode_line(raw)
            if enc == "utf-8" and text is not None:
                parts.append(raw)
                continue
            if text is None:
                self.junk.append(Junk(start, self._as_text(lines),
                                      "含无法解码的字节(既非UTF-8也非GBK) / undecodable bytes (neither UTF-8 nor GBK)"))
                return None
            parts.append(text.encode("utf-8"))
        rec = b"".join(parts)
        if not rec.endswith(b"\n"):
            rec += b"\n"
        return b"%d" % start + self.delim + rec

    def readinto(self, b: Any) -> int:
        n = len(b)
        while len(self._buf) < n:
            try:
                start, lines, complete = next(self._records)
            except StopIteration:
                break
            rec = self._encode_record(start, lines, complete)
            if rec is not None:
                self._buf += rec
        k = min(n, len(self._buf))
        b[:k] = self._buf[:k]
        del self._buf[:k]
        return k


class CsvReader(Reader):
    def __init__(self, path: Path, label: str):
        self.path = path
        self.label = label
        self.size = path.stat().st_size
        self.headers = []
        self.encoding = "utf-8"
        self.delimiter = ","
        if self.size == 0:
            self.message = "空文件(0字节) / empty file (0 bytes)"
            return
        with path.open("rb") as fh:
            sample = fh.read(1 << 16)
        self.encoding = detect_encoding(sample)
        # judged on the header line: a text export with a few junk bytes further down is read and those
        # rows are quarantined, never the whole file skipped
        if not self.encoding.startswith("utf-16") and _looks_binary(sample.split(b"\n", 1)[0]):
            raise InputError("不是文本文件(含二进制内容，无法解码) / not a text file (binary content, undecodable)")
        if self.encoding.startswith("utf-16"):
            first_line = sample.decode(self.encoding, errors="replace").split("\n", 1)[0]
        else:
            first_line = sample.split(b"\n", 1)[0].decode(self.encoding, errors="replace")
        self.delimiter = _sniff_delimiter(first_line)
        probe = _Transcoder(path, self.encoding, self.delimiter, None)
        try:
            hdr = probe.read_header()
        finally:
            probe.close()
        if hdr is None:
            self.message = "文件只有空行 / file has only blank lines"
            return
        self.headers = hdr

    def batches(self, progress: Callable[[int], None] | None = None) -> Iterator[Batch]:
        if not self.headers:
            return
        tr = _Transcoder(self.path, self.encoding, self.delimiter, progress)
        tr.read_header()
        names = [LINE, *self.headers]
        bad: list[Junk] = []

        def on_invalid(row: Any) -> str:
            text = row.text or ""
            head, _, rest = text.partition(self.delimiter)
            line = int(head) if head.isdigit() else 0
            bad.append(Junk(line, rest.rstrip("\r\n"),
                            f"列数不符: 期望{len(self.headers)}列，实际{max(row.actual_columns - 1, 0)}列"
                            f"(行被截断或分隔符错误) / column count mismatch: expected {len(self.headers)}, "
                            f"got {max(row.actual_columns - 1, 0)} (truncated line or wrong delimiter)"))
            return "skip"

        try:
            reader = pacsv.open_csv(
                io.BufferedReader(tr, buffer_size=BLOCK_SIZE),
                read_options=pacsv.ReadOptions(column_names=names, block_size=BLOCK_SIZE, use_threads=True),
                parse_options=pacsv.ParseOptions(delimiter=self.delimiter, newlines_in_values=True,
                                                 invalid_row_handler=on_invalid),
                convert_options=pacsv.ConvertOptions(
                    column_types={n: pa.string() for n in names},
                    strings_can_be_null=False, quoted_strings_can_be_null=False),
            )
        except pa.ArrowInvalid as exc:
            if "empty" not in str(exc).lower():
                raise
            tr.close()
            yield Batch(_empty(self.headers), _drain(tr.junk) + _drain(bad))  # header-only file
            return
        try:
            for rb in reader:
                tbl = pa.Table.from_batches([rb])
                tbl = tbl.set_column(0, LINE, tbl.column(0).cast(pa.int64()))
                yield Batch(tbl, _drain(tr.junk) + _drain(bad))
            yield Batch(_empty(self.headers), _drain(tr.junk) + _drain(bad))
        finally:
            tr.close()


def _drain(items: list[Junk]) -> list[Junk]:
    out = list(items)
    del items[: len(out)]
    return out


def _empty(headers: list[str]) -> pa.Table:
    return pa.table({LINE: pa.array([], pa.int64()), **{h: pa.array([], pa.string()) for h in headers}})


# ----------------------------------------------------------------------------------------- Parquet


class ParquetReader(Reader):
    """Parquet rows as strings; ``source_line`` is the 1-based row number (there is no header line)."""

    def __init__(self, path: Path, label: str):
        self.path = path
        self.label = label
        self.size = path.stat().st_size
        if self.size == 0:
            self.headers = []
            self.message = "空文件(0字节) / empty file (0 bytes)"
            return
        self.headers = list(pq.ParquetFile(path).schema_arrow.names)

    def batches(self, progress: Callable[[int], None] | None = None) -> Iterator[Batch]:
        if not self.headers:
            return
        pf = pq.ParquetFile(self.path)
        row = 0
        for rb in pf.iter_batches(batch_size=128_000):
            cols = {LINE: pa.array(range(row + 1, row + 1 + rb.num_rows), pa.int64())}
            for name in rb.schema.names:
                cols[name] = _to_string(rb.column(name))
            row += rb.num_rows
            yield Batch(pa.table(cols))
        if row == 0:
            yield Batch(_empty(self.headers))


def _to_string(arr: pa.Array) -> pa.Array:
    t = arr.type
    if pa.types.is_string(t):
        return arr
    if pa.types.is_large_string(t) or pa.types.is_dictionary(t):
        return arr.cast(pa.string())
    if pa.types.is_boolean(t):
        return pa.array([None if v is None else ("1" if v else "0") for v in arr.to_pylist()], pa.string())
    if pa.types.is_floating(t):
        return pa.array([None if v is None else _num(v) for v in arr.to_pylist()], pa.string())
    try:
        return arr.cast(pa.string())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return pa.array([None if v is None else str(v) for v in arr.to_pylist()], pa.string())


def _num(v: float) -> str:
    """A float as Excel shows it (15 significant digits), so 3*1.1 reads back as 3.3."""
    if v != v or v in (float("inf"), float("-inf")):
        return str(v)
    if float(v).is_integer() and abs(v) < 1e16:
        return str(int(v))
    return format(v, ".15g")


# ------------------------------------------------------------------------------------------- Excel


def _cell_str(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "1" if v else "0"
    if isinstance(v, dt.datetime):
        return v.isoformat(sep=" ")
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, float):
        return _num(v)
    return str(v)


_REF = re.compile(r"([A-Z]+)(\d+)")


def _col_index(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def _merged_ranges(ws: Any) -> list[tuple[int, int, int, int]]:
    """Merged ranges of a read-only sheet (openpyxl's read-only mode does not expose them)."""
    out: list[tuple[int, int, int, int]] = []
    with ws._get_source() as src:
        for _, el in ET.iterparse(src, events=("end",)):
            tag = el.tag.rsplit("}", 1)[-1]
            if tag == "mergeCell":
                ref = el.get("ref", "")
                if ":" in ref:
                    a, b = ref.split(":")
                    ma, mb = _REF.fullmatch(a), _REF.fullmatch(b)
                    if ma and mb:
                        out.append((int(ma.group(2)), _col_index(ma.group(1)),
                                    int(mb.group(2)), _col_index(mb.group(1))))
            elif tag == "row":
                el.clear()
    return out


def iter_filled_rows(ws: Any) -> Iterator[tuple[int, list[str]]]:
    """Rows of a sheet as strings, with every merged range filled with its top-left value."""
    ranges = sorted(_merged_ranges(ws))
    pending = list(reversed(ranges))
    active: list[tuple[tuple[int, int, int, int], str]] = []
    for r, values in enumerate(ws.iter_rows(values_only=True), start=1):
        row = [_cell_str(v) for v in values]
        while pending and pending[-1][0] == r:
            rng = pending.pop()
            val = row[rng[1] - 1] if rng[1] - 1 < len(row) else ""
            active.append((rng, val))
        active = [(rng, val) for rng, val in active if rng[2] >= r]
        for (_, c1, _, c2), val in active:
            if len(row) < c2:
                row.extend([""] * (c2 - len(row)))
            for c in range(c1 - 1, c2):
                row[c] = val
        yield r, row


# ---------------------------------------------------------------------- workbooks: xlsx, BIFF, HTML

_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_HTML_START = re.compile(rb"^\s*<(?:!doctype\s+html|html|table|head|body|meta|\?xml)", re.IGNORECASE)


def workbook_kind(path: Path) -> str:
    """What a spreadsheet file really is, from its bytes: HIS systems save HTML tables, or xlsx, as .xls."""
    with path.open("rb") as fh:
        head = fh.read(4096)
    if not head:
        raise InputError("空文件(0字节) / empty file (0 bytes)")
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    if head.startswith(_OLE2):
        return "biff"
    text = head
    for bom, enc in ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")):
        if head.startswith(bom):
            text = head[len(bom):].decode(enc, errors="ignore").encode("ascii", errors="ignore")
    if _HTML_START.match(text) or b"<table" in text.lower():
        return "html"
    raise InputError("不是可识别的Excel文件(既非xlsx/BIFF8也非HTML表格) / not a readable workbook "
                     "(neither xlsx, BIFF8 .xls nor an HTML table)")


class _Workbook:
    """Sheets of one workbook, each as (row number, cell strings) with merged cells filled."""

    def sheets(self) -> list[str]:
        raise NotImplementedError

    def rows(self, sheet: str) -> Iterator[tuple[int, list[str]]]:
        raise NotImplementedError

    def close(self) -> None:
        pass


class _XlsxBook(_Workbook):
    def __init__(self, path: Path) -> None:
        import openpyxl

        # a file object: openpyxl refuses a *name* ending in .xls even when the bytes are xlsx
        self._fh = path.open("rb")
        try:
            self.wb = openpyxl.load_workbook(self._fh, read_only=True, data_only=True)
        except BaseException:
            self._fh.close()
            raise

    def sheets(self) -> list[str]:
        return [ws.title for ws in self.wb.worksheets]

    def rows(self, sheet: str) -> Iterator[tuple[int, list[str]]]:
        return iter_filled_rows(self.wb[sheet])

    def close(self) -> None:
        self.wb.close()
        self._fh.close()


class _BiffBook(_Workbook):
    """Excel 97–2003 (BIFF8) through xlrd; dates are numbers plus the workbook's date mode."""

    def __init__(self, path: Path) -> None:
        import xlrd

        self.xlrd = xlrd
        self.wb = xlrd.open_workbook(str(path), formatting_info=True, on_demand=True)

    def sheets(self) -> list[str]:
        return list(self.wb.sheet_names())

    def _cell(self, ctype: int, value: Any) -> str:
        x = self.xlrd
        if ctype == x.XL_CELL_DATE:
            try:
                d = x.xldate_as_datetime(value, self.wb.datemode)
            except (x.xldate.XLDateError, ValueError, OverflowError):
                return _cell_str(value)
            return _cell_str(d.date() if d.time() == dt.time() and float(value).is_integer() else d)
        if ctype == x.XL_CELL_BOOLEAN:
            return _cell_str(bool(value))
        if ctype == x.XL_CELL_ERROR:
            return x.error_text_from_code.get(value, "#ERR")
        if ctype in (x.XL_CELL_EMPTY, x.XL_CELL_BLANK):
            return ""
        return _cell_str(value)

    def rows(self, sheet: str) -> Iterator[tuple[int, list[str]]]:
        ws = self.wb.sheet_by_name(sheet)
        fill: dict[tuple[int, int], tuple[int, int]] = {}
        for r1, r2, c1, c2 in ws.merged_cells:  # half-open ranges, 0-based
            for r in range(r1, r2):
                for c in range(c1, c2):
                    fill[(r, c)] = (r1, c1)
        for r in range(ws.nrows):
            row = []
            for c in range(ws.ncols):
                src = fill.get((r, c), (r, c))
                row.append(self._cell(ws.cell_type(*src), ws.cell_value(*src)))
            yield r + 1, row
        self.wb.unload_sheet(sheet)

    def close(self) -> None:
        self.wb.release_resources()


def _html_encoding(path: Path) -> str:
    with path.open("rb") as fh:
        head = fh.read(1 << 16)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8"
    if head.startswith(codecs.BOM_UTF16_LE):
        return "utf-16-le"
    if head.startswith(codecs.BOM_UTF16_BE):
        return "utf-16-be"
    m = re.search(rb"charset\s*=\s*[\"']?\s*([A-Za-z0-9_-]+)", head, re.IGNORECASE)
    if m:
        name = m.group(1).decode("ascii").lower()
        try:
            name = codecs.lookup(name).name
        except LookupError:
            name = ""
        if name in ("gb2312", "gbk", "gb18030"):
            return "gb18030"  # superset: a GBK page labelled gb2312 still decodes
        if name:
            return name
    return detect_encoding(head)


class _HtmlBook(_Workbook):
    """An HTML page of tables saved as .xls: each ``<table>`` is a sheet ``table1``, ``table2``, …

    Streamed with lxml's HTML iterparse (an HIS export can be hundreds of MB); ``colspan`` and
    ``rowspan`` are filled like merged cells.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.encoding = _html_encoding(path)
        self._names = [name for name, _ in self._tables(first_rows=1)]

    def sheets(self) -> list[str]:
        return list(self._names)

    def _tables(self, first_rows: int | None = None,
                only: str | None = None) -> Iterator[tuple[str, Iterator[tuple[int, list[str]]]]]:
        for name, rows in self._walk(only):
            yield name, rows if first_rows is None else iter(list(_take(rows, first_rows)))

    def _walk(self, only: str | None) -> Iterator[tuple[str, Iterator[tuple[int, list[str]]]]]:
        from lxml import etree

        events = etree.iterparse(str(self.path), events=("start", "end"), html=True, encoding=self.encoding,
                                 recover=True, huge_tree=True)
        count = 0
        depth = 0

        def table_rows() -> Iterator[tuple[int, list[str]]]:
            nonlocal depth
            r = 0
            carry: dict[int, tuple[int, str]] = {}  # column → (rows left, value) from rowspan
            for ev, el in events:
                tag = el.tag.lower() if isinstance(el.tag, str) else ""
                if tag == "table":
                    depth += 1 if ev == "start" else -1
                    if depth == 0:
                        return
                    continue
                if ev != "end" or tag != "tr" or depth != 1:
                    continue
                r += 1
                row: list[str] = []
                cells = [c for c in el if isinstance(c.tag, str) and c.tag.lower() in ("td", "th")]
                for cell in cells:
                    while len(row) in carry:
                        left, val = carry[len(row)]
                        row.append(val)
                        carry[len(row) - 1] = (left - 1, val)
                    text = " ".join("".join(cell.itertext()).split())
                    span = _span(cell.get("colspan"))
                    down = _span(cell.get("rowspan"))
                    for _ in range(span):
                        if down > 1:
                            carry[len(row)] = (down - 1, text)
                        row.append(text)
                while len(row) in carry:
                    left, val = carry[len(row)]
                    row.append(val)
                    carry[len(row) - 1] = (left - 1, val)
                carry = {c: v for c, v in carry.items() if v[0] > 0}
                el.clear()
                yield r, row

        for ev, el in events:
            if ev == "start" and isinstance(el.tag, str) and el.tag.lower() == "table" and depth == 0:
                depth = 1
                count += 1
                name = f"table{count}"
                rows = table_rows()
                if only is None or only == name:
                    yield name, rows
                for _ in rows:  # skip what the consumer did not read
                    pass
                if only == name:
                    return

    def rows(self, sheet: str) -> Iterator[tuple[int, list[str]]]:
        for _, rows in self._walk(sheet):
            yield from rows


def _span(v: str | None) -> int:
    try:
        return max(1, min(int(v or 1), 1000))
    except ValueError:
        return 1


def _take(it: Iterator[tuple[int, list[str]]], n: int) -> Iterator[tuple[int, list[str]]]:
    for i, x in enumerate(it):
        if i >= n:
            return
        yield x


def open_workbook(path: Path) -> _Workbook:
    """The workbook behind ``path`` whatever its suffix says; unreadable ones raise ``InputError``."""
    kind = workbook_kind(path)
    try:
        if kind == "xlsx":
            return _XlsxBook(path)
        if kind == "biff":
            return _BiffBook(path)
        return _HtmlBook(path)
    except InputError:
        raise
    except Exception as exc:  # zipfile, xlrd and lxml each have their own error types for a broken file
        raise InputError(f"Excel文件已损坏或无法读取 / cannot read workbook: {type(exc).__name__}: {exc}") from exc


class ExcelSheetReader(Reader):
    """One sheet; the header row is the row (among the first 20) that best matches ``table``."""

    def __init__(self, path: Path, sheet: str, label: str, header_row: int, headers: list[str]):
        self.path = path
        self.sheet = sheet
        self.label = label
        self.header_row = header_row
        self.headers = _clean_headers(headers)
        self.size = 0

    def batches(self, progress: Callable[[int], None] | None = None) -> Iterator[Batch]:
        wb = open_workbook(self.path)
        try:
            width = len(self.headers)
            lines: list[int] = []
            cols: list[list[str]] = [[] for _ in range(width)]
            header_vals = None
            for r, row in wb.rows(self.sheet):
                if r < self.header_row:
                    continue
                if r == self.header_row:
                    header_vals = row[:width]
                    continue
                if not any(v.strip() for v in row):
                    continue
                cells = (row + [""] * width)[:width]
                if header_vals is not None and r <= self.header_row + 2 and cells == header_vals:
                    continue  # a vertically merged header repeats itself in the next row
                lines.append(r)
                for i in range(width):
                    cols[i].append(cells[i])
                if len(lines) >= EXCEL_BATCH:
                    yield Batch(_string_table(lines, self.headers, cols))
                    lines, cols = [], [[] for _ in range(width)]
            yield Batch(_string_table(lines, self.headers, cols))
        finally:
            wb.close()


def _string_table(lines: list[int], headers: list[str], cols: list[list[str]]) -> pa.Table:
    data: dict[str, pa.Array] = {LINE: pa.array(lines, pa.int64())}
    for h, c in zip(headers, cols, strict=True):
        data[h] = pa.array(c, pa.string())
    return pa.table(data)


def excel_sheets(path: Path) -> Iterator[tuple[str, list[tuple[int, list[str]]]]]:
    """(sheet name, first 20 filled rows) for header detection; xlsx, BIFF8 .xls or HTML-as-.xls."""
    wb = open_workbook(path)
    try:
        for sheet in wb.sheets():
            head = list(_take(wb.rows(sheet), 20))
            yield sheet, head
    except InputError:
        raise
    except Exception as exc:
        raise InputError(f"Excel文件已损坏或无法读取 / cannot read workbook: {type(exc).__name__}: {exc}") from exc
    finally:
        wb.close()
