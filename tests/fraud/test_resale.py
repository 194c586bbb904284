"""医保药品倒卖: fires on a person buying years of supply across institutions; not on chronic refills."""

from __future__ import annotations

from tests.fraud.region import Region, clues


def _region() -> tuple[Region, str, str]:
    r = Region()
    insts = [r.institution() for _ in range(4)] + [r.institution(kind="pharmacy") for _ in range(3)]
    drug = {"hilist_code": "XC10AAA001", "hilist_name": "阿托伐他汀钙片", "prd_days": 30, "pric_fen": 3000}
    for k in range(40):  # chronic patients refilling every 30 days (the look-alike)
        p = r.patient()
        for m in range(3):
            r.visit(p, insts[(k + m) % 3], 5 + 30 * m + k % 5, vt="chronic", lines=[drug])
    early = r.patient()  # refills a few days early: still plausible
    for m in range(4):
        r.visit(early, insts[0], 3 + 25 * m, vt="chronic", lines=[drug])
    reseller = r.patient()
    for m in range(14):  # 14 × 30 days of supply in 90 days at rotating institutions and pharmacies
        r.visit(reseller, insts[m % len(insts)], 2 + 6 * m, vt="pharmacy" if m % 2 else "chronic",
                lines=[{**drug, "drug_trac_codg": "81234560000000000001" if m in (3, 5) else None}])
    return r, reseller, early


def test_fires_on_reseller_only() -> None:
    r, reseller, early = _region()
    found = clues(r, "drug_resale")
    assert [c.subject_ids for c in found] == [[reseller]]
    c = found[0]
    assert c.figures["days_supplied"] == 420 and c.figures["n_inst"] == 7
    assert c.figures["dup_boxes"] == 2  # the same box code settled twice
    assert 0 < c.amount_fen < 14 * 3000
    assert len(c.encounter_ids) == 14
    assert "阿托伐他汀钙片" in c.narrative and "7家机构" in c.narrative and "追溯码重复" in c.narrative


def test_ratio_bound_is_a_parameter() -> None:
    r, reseller, _ = _region()
    assert clues(r, "drug_resale", min_ratio=6.0) == []  # 420 days over a 79-day period: ratio 5.3
    assert [c.subject_ids for c in clues(r, "drug_resale", min_ratio=3.0)] == [[reseller]]
