"""Money and quantities at the edges: yuan text ↔ integer fen, natural units ↔ thousandths.

Money is integer fen inside medaudit; yuan exists only where a person or a national interface reads
or writes it. Both directions are here so that an export read back by ingest, a 3101 request built by
``api.dto`` and read by ``api.mapping``, and a report all agree to the fen.

Reading (the policy ingest, the API and the knowledge packs share):
- exact decimals only (``Decimal``; a float is taken by its shortest repr), NaN and infinities refused;
- thousands separators are accepted when well formed (``1,234.50``, as Excel-saved exports carry them;
  ``1,2,3`` is refused); no writer here ever emits them in a machine file;
- |value| below 10^14 yuan (the national N16,2 fields have 14 integer digits);
- an **amount** with more than two decimals is refused (``0.005`` is not a fen amount: the rounding
  belongs to whoever produced it); a **unit price** (national N16,6) and a **quantity** are rounded
  half up (away from zero, so refunds round like charges: -0.005 → -1 fen).

Writing: ``yuan_text`` (exact, two decimals, for files and messages) and ``yuan_number`` (a JSON/Excel
number, for interfaces that carry one).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any, overload

from .values import parse_number, shown

FEN_PER_YUAN = 100
MILLI_PER_UNIT = 1000
MONEY_LIMIT = 10**14  # yuan; N16,2 has 14 integer digits
QTY_LIMIT = 10**13
#: money columns that hold a unit price (N16,6): rounded to the fen; all other money is exact
PRICE_COLUMNS = frozenset({"pric_fen"})


def _scaled(value: Any, scale: int, limit: int, *, rounded: bool, what: str) -> int:
    d = parse_number(value)
    if abs(d) >= limit:
        raise ValueError(f"{what}超出范围 / out of range (|x| < 10^{len(str(limit)) - 1}): {shown(value)}")
    exact = d * scale
    whole = exact.quantize(Decimal(1), rounding=ROUND_HALF_UP)
    if whole != exact and not rounded:
        raise ValueError(f"{precision_reason(len(str(scale)) - 1, what)}: {shown(value)}")
    return int(whole)


def precision_reason(digits: int, what: str = "") -> str:
    """The one wording of an over-precise value (ingest's quarantine reason, the API's warning, a pack
    problem)."""
    return f"{what}最多 {digits} 位小数 / at most {digits} decimal places"


def yuan_to_fen(value: Any, *, price: bool = False) -> int:
    """Yuan (text, Decimal, int or float) → integer fen; see the module doc for the policy."""
    return _scaled(value, FEN_PER_YUAN, MONEY_LIMIT, rounded=price, what="单价" if price else "金额")


def units_to_milli(value: Any, *, exact: bool = False) -> int:
    """A quantity in natural units → thousandths, rounded half up (``exact``: finer digits refused,
    as a knowledge pack's doses are)."""
    return _scaled(value, MILLI_PER_UNIT, QTY_LIMIT, rounded=not exact, what="数量")


def fen_to_yuan(fen: int) -> Decimal:
    return Decimal(fen).scaleb(-2)


@overload
def yuan_text(fen: int, *, grouped: bool = False) -> str: ...
@overload
def yuan_text(fen: None, *, grouped: bool = False) -> None: ...
def yuan_text(fen: int | None, *, grouped: bool = False) -> str | None:
    """``1234`` → ``"12.34"`` (``grouped``: ``"1,234.56"`` for people, never in a machine file)."""
    if fen is None:
        return None
    return f"{fen_to_yuan(fen):,.2f}" if grouped else f"{fen_to_yuan(fen):.2f}"


def yuan_number(fen: int | None) -> float:
    """Yuan as a JSON/Excel number (the nearest double to the exact two-decimal value; None → 0)."""
    return float(fen_to_yuan(fen or 0))


@overload
def units_text(milli: int) -> str: ...
@overload
def units_text(milli: None) -> None: ...
def units_text(milli: int | None) -> str | None:
    """``1500`` → ``"1.5"``, ``10000`` → ``"10"`` (no exponent: ``Decimal.normalize`` alone gives ``1E+1``)."""
    if milli is None:
        return None
    return format(Decimal(milli).scaleb(-3).normalize(), "f")
