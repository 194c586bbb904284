"""Relative weights and the payment of each DRG: a regional parameter, illustrative by default.

Every pooling region publishes its own weights (权重) and base rate (费率, yuan per weight point);
the bureau's table is configured with ``MEDAUDIT_DRG_WEIGHTS`` (CSV ``drg,weight``, weight as a
decimal) and ``MEDAUDIT_DRG_BASE_RATE_FEN``. Without one, an **illustrative** table is built from
the DRG codes only (surgical ADRGs heavier than medical ones, MCC > CC > none), so that amounts at
risk can be stated in yuan in demos and tests; it is not any region's table and must not be used
for settlement.
"""

from __future__ import annotations

import csv
from functools import lru_cache
from pathlib import Path

from medaudit.errors import InputError
from medaudit.settings import get_settings

#: illustrative base rate: 10,000 yuan per weight point, in fen
ILLUSTRATIVE_BASE_RATE_FEN = 1_000_000  # = Settings.drg_base_rate_fen's default
#: illustrative weight (thousandths) by ADRG class: 2nd letter A-J surgical, K-Q procedure, R-Z medical
_CLASS_MILLI = {"surgical": 2000, "procedure": 1200, "medical": 800}
#: and by the DRG's last digit: 1 with MCC, 3 with CC, 5 without, 9 not split
_SPLIT_FACTOR = {"1": 1.5, "3": 1.15, "5": 1.0, "9": 1.1}


def _class(drg: str) -> str:
    c = drg[1:2]
    return "surgical" if "A" <= c <= "J" else "procedure" if "K" <= c <= "Q" else "medical"


def illustrative_weight_milli(drg: str) -> int:
    return int(round(_CLASS_MILLI[_class(drg)] * _SPLIT_FACTOR.get(drg[-1:], 1.0)))


@lru_cache(maxsize=4)
def _read(path: str) -> dict[str, int]:
    out: dict[str, int] = {}
    with Path(path).open(encoding="utf-8-sig", newline="") as fh:
        for no, row in enumerate(csv.DictReader(fh), start=2):
            try:
                out[row["drg"].strip()] = int(round(float(row["weight"]) * 1000))
            except (KeyError, ValueError, AttributeError) as exc:
                raise InputError(f"DRG 权重表格式错误 / bad weights table {path} line {no}: {exc}") from exc
    return out


def weights(drgs: list[str]) -> tuple[dict[str, int], int, str]:
    """(drg → weight in thousandths, base rate in fen, source label)."""
    s = get_settings()
    rate = s.drg_base_rate_fen
    if s.drg_weights:
        return _read(str(s.drg_weights)), rate, f"regional:{s.drg_weights}"
    return {d: illustrative_weight_milli(d) for d in drgs}, rate, "illustrative"


def payment_fen(weight_milli: int | None, base_rate_fen: int) -> int | None:
    return None if weight_milli is None else weight_milli * base_rate_fen // 1000
