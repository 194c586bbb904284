from __future__ import annotations

import pytest

from medaudit.synth import SCHEMES, SynthConfig, SynthResult, generate

#: high rates so a small region carries every type (encounter schemes compete for few stays)
RATES = {k: (0.3 if s.phase == "encounter" else 0.03) for k, s in SCHEMES.items()}


@pytest.fixture(scope="session")
def region() -> SynthResult:
    return generate(SynthConfig(patients=600, months=3, seed=11, rates=RATES))


@pytest.fixture(scope="session")
def clean_region() -> SynthResult:
    return generate(SynthConfig(patients=300, months=2, seed=5, violations=False))
