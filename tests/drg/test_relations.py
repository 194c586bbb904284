"""The relations rules read: which secondaries drive a split, and the (illustrative) payment."""

from __future__ import annotations

from pathlib import Path

import pytest

from medaudit.drg.grouper import Grouper
from medaudit.drg.payment import illustrative_weight_milli, weights
from medaudit.settings import get_settings


def test_drivers_follow_the_split_and_the_exclusions(grouper: Grouper) -> None:
    # BR21 splits on MCC only: the CC A00.100 does not drive it, the excluded MCC G41.000 neither
    assert grouper.drivers("BR2", "BR21", ["G45.000", "A01.100", "A00.100", "G41.000"]) == [("A01.100", "MCC")]
    # BR23 (mcc_or_cc): the CC counts, the same-table CC G40.100 does not
    assert grouper.drivers("BR2", "BR23", ["G45.000", "A00.100", "G40.100"]) == [("A00.100", "CC")]
    assert grouper.drivers("BR2", "BR25", ["G45.000", "A00.100"]) == []


def test_illustrative_weights() -> None:
    assert illustrative_weight_milli("BR25") == 800
    assert illustrative_weight_milli("BR21") == 1200
    assert illustrative_weight_milli("BB13") == 2300
    w, rate, source = weights(["BR25"])
    assert (w, rate, source) == ({"BR25": 800}, 1_000_000, "illustrative")


def test_regional_weights_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    f = tmp_path / "w.csv"
    f.write_text("drg,weight\nBR25,0.7512\n", encoding="utf-8")
    monkeypatch.setenv("MEDAUDIT_DRG_WEIGHTS", str(f))
    monkeypatch.setenv("MEDAUDIT_DRG_BASE_RATE_FEN", "850000")
    get_settings.cache_clear()
    try:
        w, rate, source = weights(["BR25"])
        assert w == {"BR25": 751} and rate == 850000 and source.startswith("regional:")
    finally:
        get_settings.cache_clear()
