from __future__ import annotations

import pytest

from medaudit.synth import SCHEMES, SynthConfig, SynthResult, generate

#: high rates so a small region carries every type (encounter schemes compete for few stays)
#: the schemes of the stay-line rules (synth/schemes_stay_lines.py), with their thresholds
STAY_LINE_SCHEMES = ("fee_outside_stay", "near_fee_outside_stay", "edge_fee_outside_stay", "fee_bulk_upload",
                     "near_fee_bulk_upload", "item_over_los", "near_item_over_los", "co_item_over_los+item_over_freq")

RATES = {k: (0.3 if s.phase == "encounter" else 0.03) for k, s in SCHEMES.items() if not s.opt_in}


@pytest.fixture(scope="session")
def region() -> SynthResult:
    return generate(SynthConfig(patients=600, months=3, seed=11, rates=RATES))


@pytest.fixture(scope="session")
def clean_region() -> SynthResult:
    return generate(SynthConfig(patients=300, months=2, seed=5, violations=False))


@pytest.fixture(scope="session")
def stay_region() -> SynthResult:
    """Rarer encounter-level types need more stays and deceased patients than the small region has."""
    rates = {k: 0.0 for k in SCHEMES} | {"abnormal_los": 0.4, "after_death": 0.9, "low_standard_admission": 0.9,
                                         "idle_bed": 0.3, "cohort_admission": 0.1}
    # thresholds of the stay rules: LOS 60 / 61, readmission after 16 / 15 / 0 days
    rates |= {k: 0.4 for k in ("edge_abnormal_los", "near_split_admission",
                               "edge_split_admission", "edge_split_admission_0")}
    # the stay-line rules (费用日期不在就诊期间, 费用集中上传, 项目超住院天数): the small region has few
    # stays left for line schemes once the encounter schemes have taken theirs
    rates |= {k: 0.15 for k in STAY_LINE_SCHEMES}
    # stay profiles: idle days 3 (near-miss) / 4 (boundary); cohorts of 4 (near-miss) / 5 (boundary)
    rates |= {"edge_idle_bed": 0.2, "edge_cohort_admission": 0.02}
    # few visits carry an age-specific diagnosis (妊娠监督, 分娩, 新生儿黄疸): too few in the small region
    rates |= {"diagnosis_age": 0.3}
    return generate(SynthConfig(patients=1500, months=4, seed=2, rates=rates))
