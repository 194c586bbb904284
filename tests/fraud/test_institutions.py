"""Institution models: peer outliers, institution patterns, key drugs and the suspicion index."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from medaudit.fraud.model import ScoringContext
from tests.fraud.region import Region, clues

DRUG = {"hilist_code": "XK01", "hilist_name": "奥拉西坦注射液", "pric_fen": 2000}
ITEM = {"hilist_code": "Z100", "hilist_name": "一般诊疗费", "med_chrgitm_type": "12", "pric_fen": 1000}
TEST = {"hilist_code": "Z004", "hilist_name": "血常规", "med_chrgitm_type": "04", "pric_fen": 2500}


def _region(drug_heavy: bool = True) -> tuple[Region, list[str], str, str]:
    """Ten level-2 hospitals alike, one of them prescribing 10× the drug; three big level-3 hospitals
    with a costlier case mix (their own peer group)."""
    rng = np.random.default_rng(11)
    r = Region()
    peers = [r.institution(level=2) for _ in range(10)]
    tertiary = [r.institution(level=3) for _ in range(6)]
    odd = peers[0]
    people = [r.patient() for _ in range(200)]
    for h in peers + tertiary:
        for _ in range(80):
            heavy = 10 if (h == odd and drug_heavy) else 1
            scale = 3 if h in tertiary else 1
            lines = [{**ITEM, "cnt_milli": 1000 * scale}, {**DRUG, "cnt_milli": 1000 * heavy},
                     {**TEST, "cnt_milli": 1000 * int(rng.integers(1, 3))}]
            r.visit(str(rng.choice(people)), h, int(rng.integers(0, 90)), 9 * 60, lines=lines)
    return r, peers, odd, tertiary[0]


def test_peer_outlier_names_the_driver_and_spares_tertiary_case_mix() -> None:
    r, _, odd, _ = _region()
    found = clues(r, "peer_outlier")
    assert [c.subject_ids for c in found] == [[odd]]
    assert "药占比" in found[0].narrative and "drug_share" in found[0].figures["drivers_list"]
    assert found[0].amount_fen > 0
    r2, _, _, _ = _region(drug_heavy=False)
    assert clues(r2, "peer_outlier") == []


def test_key_drug_volume_against_peers() -> None:
    r, _, odd, _ = _region()
    found = clues(r, "key_drug", drug_prefixes=["XK01"])
    assert [c.subject_ids for c in found] == [[odd]]
    assert "奥拉西坦注射液" in found[0].narrative
    assert clues(r, "key_drug", drug_prefixes=["XZZZ"]) == []


def test_institution_pattern_readmissions() -> None:
    rng = np.random.default_rng(2)
    r = Region()
    hs = [r.institution(level=2) for _ in range(8)]
    people = [r.patient() for _ in range(300)]
    for h in hs:
        for _ in range(60):
            r.visit(str(rng.choice(people)), h, int(rng.integers(0, 80)), vt="inpatient", los=int(rng.integers(4, 9)),
                    lines=[{**TEST, "fee_ocur_time": 0}, {**ITEM, "fee_ocur_time": 1}, {**DRUG, "fee_ocur_time": 2}])
    split = hs[0]
    for p in people[:30]:  # 分解住院: discharged and readmitted days later, again and again
        r.visit(p, split, 10, vt="inpatient", los=5, lines=[{**DRUG, "fee_ocur_time": 1}])
        r.visit(p, split, 18, vt="inpatient", los=5, lines=[{**DRUG, "fee_ocur_time": 1}])
    found = clues(r, "institution_pattern")
    assert [c.subject_ids for c in found] == [[split]]
    assert "15日内再入院率" in found[0].narrative


def test_suspicion_index_combines_findings_and_clues() -> None:
    r, peers, odd, _ = _region(drug_heavy=False)
    findings = pa.table({"fixmedins_code": [peers[1], peers[2]], "amount_fen": [500000, 1000]})
    earlier = pa.table({"fixmedins_code": [peers[1], peers[3]], "amount_fen": [300000, 10],
                        "model_id": ["peer_outlier", "key_drug"]})
    found = clues(r, "suspicion_index", ScoringContext(findings=findings, clues=earlier))
    ranked = sorted(found, key=lambda c: -c.score)
    assert ranked[0].subject_ids == [peers[1]]
    assert {c.subject_ids[0] for c in found} == {peers[1], peers[2], peers[3]}
    assert all(0 < c.score <= 1 for c in found)
    # the weights are parameters: only the rule findings count
    only = clues(r, "suspicion_index", ScoringContext(findings=findings, clues=earlier), w_clues=0.0, w_models=0.0)
    assert {c.subject_ids[0] for c in only} == {peers[1], peers[2]}
