"""The golden-case packing the engine differentials share (the Spark session is in tests/conftest.py)."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture(scope="session")
def golden_packing() -> Any:
    """Every golden case packed into few regions (tests/golden_region.py), firing cases replicated so
    each template fires >= 20 times; DuckDB findings and each case alone computed once per session."""
    from tests.golden_region import MIN_FIRINGS, all_cases, pack_cases

    return pack_cases(all_cases(), MIN_FIRINGS)
