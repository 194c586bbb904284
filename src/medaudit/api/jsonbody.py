"""Request bodies: read with a size limit, decode, parse, and refuse text no store can hold.

Everything wrong with a body is a 400/413 naming what and where — never an exception that escapes as a
500. Beyond JSON syntax that means: integers longer than Python's int-conversion limit (a 5000-digit
number raises ``ValueError`` inside ``json.loads``), lone UTF-16 surrogates (``"\\ud800"`` parses, then
fails when encoded for SQLite, PostgreSQL or the response), and control characters such as NUL
(PostgreSQL text cannot hold NUL; none belongs in a national field). Raw control characters are
already invalid inside JSON strings, so both can only arrive as ``\\u`` escapes: a regex over the raw
text finds the rare body that needs the walk that names the field.
"""

from __future__ import annotations

import json
import re
from typing import Any

from starlette.requests import Request

from .errors import ApiError, bad

#: escapes of C0 controls other than TAB, LF, CR; DEL; and UTF-16 surrogates
_SUSPECT = re.compile(r"\\u(?:00[01][0-8bBcCeEfF]|001[0-9a-fA-F]|007[fF]|[dD][89a-fA-F][0-9a-fA-F]{2})")
_BAD_CHAR = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


async def read_body(request: Request, max_body: int) -> bytes:
    """The raw body, refused with 413 as soon as it is known to exceed ``max_body``."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > max_body:
        raise ApiError(413, "too_large", f"请求体过大（{int(declared)}字节，上限{max_body}字节）",
                       f"request body too large ({int(declared)} bytes, limit {max_body})")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_body:
            raise ApiError(413, "too_large", f"请求体过大（超过上限{max_body}字节）",
                           f"request body too large (over the {max_body}-byte limit)")
        chunks.append(chunk)
    return b"".join(chunks)


def parse_body(body: bytes) -> Any:
    """UTF-8 JSON → Python values, every string fit to store (see module doc)."""
    if not body.strip():
        raise bad("body", "请求体为空", "empty request body")
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise bad("body", f"请求体不是UTF-8编码（第{exc.start}字节）", f"body is not UTF-8 (byte {exc.start})") from exc
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise bad("body", f"JSON格式错误：第{exc.lineno}行第{exc.colno}列：{exc.msg}",
                  f"malformed JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from exc
    except RecursionError as exc:
        raise bad("body", "JSON嵌套层级过深", "JSON nested too deeply") from exc
    except ValueError as exc:  # int longer than sys.get_int_max_str_digits()
        raise bad("body", "JSON中的整数位数过多，无法作为数值处理", f"an integer in the JSON has too many digits ({exc})") from exc
    if _SUSPECT.search(text):
        _check_strings(value, "data" if isinstance(value, dict) and "input" not in value else "")
    return value


def _check_strings(value: Any, path: str) -> None:
    """Raise 400 at the first key or string holding a surrogate or a forbidden control character."""
    stack: list[tuple[Any, str]] = [(value, path)]
    while stack:
        v, p = stack.pop()
        if isinstance(v, str):
            _check_text(v, p)
        elif isinstance(v, dict):
            for k, item in v.items():
                here = f"{p}.{k}" if p else str(k)
                _check_text(k, here, key=True)
                stack.append((item, here))
        elif isinstance(v, list):
            stack.extend((item, f"{p}[{i}]") for i, item in enumerate(v))


def _check_text(s: str, path: str, key: bool = False) -> None:
    m = _BAD_CHAR.search(s)
    if m is None:
        return
    ch = m.group()
    code = f"U+{ord(ch):04X}"
    safe_path = _BAD_CHAR.sub("?", path)
    what_zh, what_en = ("字段名", "field name") if key else ("文本", "text")
    if "\ud800" <= ch <= "\udfff":
        raise bad(safe_path, f"{what_zh}含有不成对的UTF-16代理字符{code}", f"{what_en} holds a lone UTF-16 surrogate {code}")
    raise bad(safe_path, f"{what_zh}含有不允许的控制字符{code}", f"{what_en} holds a forbidden control character {code}")
