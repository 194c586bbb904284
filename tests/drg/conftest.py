"""The grouper on the real CHS-DRG 1.1 tables of the configured reference data."""

from __future__ import annotations

import pytest

from medaudit.drg.grouper import Grouper
from medaudit.drg.service import default_grouper


@pytest.fixture(scope="session")
def grouper() -> Grouper:
    return default_grouper()
