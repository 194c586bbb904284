"""The text grammar of national values (numbers, dates, date-times, flags, two-digit codes), once.

Ingest validates millions of rows in one generated DuckDB query, the API reads one JSON request,
the catalogue import and the pack loader read CSV cells: each would otherwise keep its own list of
date formats and yes/no words, and they drifted (the API took ``2024/01/05`` but not ``2024年1月5日``,
the catalogue took ``2024.01.05`` but ingest did not). Here each grammar is written once, with its
Python reading (``parse_*``) and its DuckDB reading (``sql_*``) side by side, and
tests/test_one_mapping.py checks on one corpus of strings that both read every value alike.

Parsers raise :class:`ValueError` with a bilingual message; lenient callers (the API) turn that into
a warning, strict ones (ingest, packs) into a quarantine reason or a problem.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import Any

#: full-width digits and punctuation seen in Excel-edited exports, and their ASCII forms
FULL = "０１２３４５６７８９．，－＋：／　"
HALF = "0123456789.,-+:/ "
_TO_HALF = str.maketrans(FULL, HALF)
#: leading currency signs a money cell may carry
CURRENCY = "¥￥"
#: a number written with thousands separators: groups of three after the first one to three digits
GROUPED_NUMBER = r"[+-]?[0-9]{1,3}(,[0-9]{3})+([.][0-9]*)?"

#: after normalisation (``_norm_datetime``), every national date or date-time matches one of these
DATETIME_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H", "%Y-%m-%d", "%Y%m%d%H%M%S", "%Y%m%d")
YEAR_RANGE = (1900, 2100)
ISO_DATETIME = "%Y-%m-%d %H:%M:%S"

TRUE_WORDS = ("1", "TRUE", "T", "Y", "YES", "是")
FALSE_WORDS = ("0", "FALSE", "F", "N", "NO", "否")

_FRACTION = re.compile(r"([0-9]{1,2}:[0-9]{2}:[0-9]{2})[.,][0-9]+")
_DATE_SEP = re.compile(r"[年月/.]")


def shown(value: Any) -> str:
    """A value quoted in a message, cut short (a hostile request may send a megabyte of digits)."""
    return repr(value if isinstance(value, (int, float, Decimal)) and len(str(value)) <= 30 else str(value)[:30])


def half_width(text: str) -> str:
    return text.translate(_TO_HALF)


# ------------------------------------------------------------------------------------------ numbers


def parse_number(value: Any) -> Decimal:
    """An exact decimal from JSON or a cell: ``12.5``, ``"１２.５"``, ``"¥1,234.50"`` (well-formed thousands
    groups only: ``"1,2,3"`` is refused), never through binary floating point beyond its shortest repr."""
    if isinstance(value, bool) or value is None:
        raise ValueError(f"不是数值 / not a number: {shown(value)}")
    if isinstance(value, Decimal):
        d = value
    elif isinstance(value, int):
        d = Decimal(value)
    elif isinstance(value, float):
        d = Decimal(repr(value))
    else:
        text = str(value).strip()
        if not text:
            raise ValueError("数值为空 / empty number")
        t = half_width(text).strip().lstrip(CURRENCY)
        if "," in t:
            if not re.fullmatch(GROUPED_NUMBER, t):
                raise ValueError(f"千分位分隔不正确 / misplaced thousands separator: {text[:30]!r}")
            t = t.replace(",", "")
        try:
            d = Decimal(t)
        except InvalidOperation:
            raise ValueError(f"不是有效数值 / not a number: {text[:30]!r}") from None
    if not d.is_finite():
        raise ValueError(f"不是有限数值 / not a finite number: {shown(value)}")
    return d


def parse_int(value: Any, *, lo: int = -(2**31), hi: int = 2**31) -> int:
    """A whole number (``3`` or ``3.0``) in [lo, hi)."""
    d = parse_number(value)
    if not lo <= d < hi:
        raise ValueError(f"超出范围 / out of range [{lo}, {hi}): {str(value)[:30]!r}")
    if d != d.to_integral_value():
        raise ValueError(f"不是整数 / not an integer: {str(value)[:30]!r}")
    return int(d)


def sql_number(raw: str) -> str:
    """DuckDB twin of :func:`parse_number` (DECIMAL(38,10); NULL where it refuses).

    A fast path for plain numbers; the slow path (full-width digits, thousands separators, ¥) only
    runs on rows where the plain cast failed, because DuckDB evaluates CASE branches selectively.
    """
    t = f"ltrim(translate({raw}, {lit(FULL)}, {lit(HALF)}), {lit(CURRENCY)})"
    fast = f"try_cast({raw} AS DECIMAL(38,10))"
    slow = (f"try_cast((CASE WHEN regexp_full_match({t}, {lit(GROUPED_NUMBER)}) "
            f"THEN replace({t}, ',', '') WHEN strpos({t}, ',') = 0 THEN {t} END) AS DECIMAL(38,10))")
    return f"(CASE WHEN {fast} IS NOT NULL THEN {fast} WHEN {raw} IS NOT NULL THEN {slow} END)"


# ------------------------------------------------------------------------------------ dates, times


def _norm_datetime(text: str) -> str:
    t = _FRACTION.sub(r"\1", half_width(text))
    return _DATE_SEP.sub("-", t).replace("日", "").replace("T", " ").strip()


def parse_datetime(value: Any) -> dt.datetime:
    """``20240105``, ``2024-01-05``, ``2024/1/5 10:00``, ``2024年1月5日``, ``2024-01-05T10:00:00.123``
    (the fraction is dropped) → a datetime between 1900 and 2100."""
    if isinstance(value, dt.datetime):
        parsed = value
    elif isinstance(value, dt.date):
        parsed = dt.datetime(value.year, value.month, value.day)
    else:
        text = str(value).strip()
        norm = _norm_datetime(text)
        for fmt in DATETIME_FORMATS:
            try:
                parsed = dt.datetime.strptime(norm, fmt)
                break
            except ValueError:
                continue
        else:
            raise ValueError(f"不是有效日期 / not a valid date: {text[:30]!r}")
    if not YEAR_RANGE[0] <= parsed.year <= YEAR_RANGE[1]:
        raise ValueError(f"日期超出{YEAR_RANGE[0]}-{YEAR_RANGE[1]} / date out of range: {shown(value)}")
    return parsed


def parse_date(value: Any) -> dt.date:
    """A date column read with the date-time grammar (a time part, as exports often carry, is dropped)."""
    return parse_datetime(value).date()


def sql_datetime(raw: str) -> str:
    """DuckDB twin of :func:`parse_datetime` without the year range (callers report that apart)."""
    norm = (f"replace(replace(regexp_replace(regexp_replace(translate({raw}, {lit(FULL)}, {lit(HALF)}), "
            f"{lit(_FRACTION.pattern)}, '\\1'), {lit(_DATE_SEP.pattern)}, '-', 'g'), '日', ''), 'T', ' ')")
    fmts = "[" + ", ".join(map(lit, DATETIME_FORMATS)) + "]"
    fast = f"try_strptime({raw}, {lit(DATETIME_FORMATS[0])})"
    fast2 = f"try_strptime({raw}, {lit(DATETIME_FORMATS[3])})"
    return (f"(CASE WHEN {fast} IS NOT NULL THEN {fast} WHEN {fast2} IS NOT NULL THEN {fast2} "
            f"WHEN {raw} IS NOT NULL THEN try_strptime(trim({norm}), {fmts}) END)")


def format_date(value: dt.date | None) -> str | None:
    """The one text form of a date or date-time every writer uses (``YYYY-MM-DD[ HH:MM:SS]``)."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.strftime(ISO_DATETIME)
    return value.isoformat()


# -------------------------------------------------------------------------------------------- flags


def parse_flag(value: Any) -> bool:
    """1/0, Y/N, true/false, 是/否 (any case, full-width digits) → bool."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    word = half_width(str(value)).strip().upper()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ValueError(f"不是有效的是/否值 / not a valid yes/no value: {str(value)[:10]!r}")


def sql_flag(raw: str) -> str:
    """DuckDB twin of :func:`parse_flag`."""
    u = f"(CASE WHEN {raw} IN ('0', '1') THEN {raw} ELSE upper(trim(translate({raw}, {lit(FULL)}, {lit(HALF)}))) END)"
    return (f"(CASE WHEN {u} IN ({', '.join(map(lit, TRUE_WORDS))}) THEN TRUE "
            f"WHEN {u} IN ({', '.join(map(lit, FALSE_WORDS))}) THEN FALSE END)")


def format_flag(value: bool | None) -> str | None:
    return None if value is None else ("1" if value else "0")


# -------------------------------------------------------------------------------------------- codes


def two_digit_code(text: str) -> str:
    """A national two-digit code (收费项目类别 ``09``, 医院等级 ``01``) whose leading zero Excel dropped."""
    return "0" + text if len(text) == 1 and text.isdigit() else text


def sql_two_digit_code(raw: str) -> str:
    """DuckDB twin of :func:`two_digit_code`."""
    return f"(CASE WHEN regexp_full_match({raw}, '[0-9]') THEN '0' || {raw} ELSE {raw} END)"


def lit(s: str) -> str:
    """A SQL string literal."""
    return "'" + s.replace("'", "''") + "'"
