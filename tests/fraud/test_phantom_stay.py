"""虚假住院/挂床住院: fires on a stay with only bed charges; not on a long rehabilitation stay."""

from __future__ import annotations

from tests.fraud.region import Region, clues

BED = {"hilist_code": "Z001", "hilist_name": "床位费", "med_chrgitm_type": "01", "pric_fen": 5000}
EXAM = {"hilist_code": "Z002", "hilist_name": "诊查费", "med_chrgitm_type": "02", "pric_fen": 1000}
NURSE = {"hilist_code": "Z007", "hilist_name": "护理费", "med_chrgitm_type": "07", "pric_fen": 2000}
TEST = {"hilist_code": "Z004", "hilist_name": "血常规", "med_chrgitm_type": "04", "pric_fen": 2500}
DRUG = {"hilist_code": "XA01", "hilist_name": "头孢呋辛", "med_chrgitm_type": "09", "pric_fen": 4000}
REHAB = {"hilist_code": "Z005", "hilist_name": "运动疗法", "med_chrgitm_type": "05", "pric_fen": 3000}


def _days(los: int, *items: dict[str, object]) -> list[dict[str, object]]:
    return [{**it, "fee_ocur_time": d} for d in range(los) for it in items]


def _region() -> tuple[Region, str, str, str]:
    r = Region()
    h = [r.institution() for _ in range(3)]
    other_city = r.institution(admdvs="440300")
    for k in range(40):  # ordinary stays: bed, nursing, drugs daily, tests on day 0
        p = r.patient()
        los = 4 + k % 6
        r.visit(p, h[k % 3], 3 * k % 80, vt="inpatient", los=los,
                lines=_days(los, BED, NURSE, DRUG) + [{**TEST, "fee_ocur_time": 0}])
    rehab_p = r.patient()  # 50 days: bed and rehabilitation every day
    rehab = r.visit(rehab_p, h[0], 10, vt="inpatient", los=50, lines=_days(50, BED, REHAB))
    ghost_p = r.patient()  # 20 days of bed and 诊查 only, and buying drugs in another city meanwhile
    ghost = r.visit(ghost_p, h[1], 20, vt="inpatient", los=20,
                    lines=_days(20, BED, EXAM) + [{**TEST, "fee_ocur_time": 0}])
    r.visit(ghost_p, other_city, 27, vt="outpatient", admdvs="440300")
    return r, ghost, rehab, ghost_p


def test_fires_on_empty_stay_only() -> None:
    r, ghost, rehab, _ = _region()
    found = clues(r, "phantom_stay")
    assert [c.subject_ids for c in found] == [[ghost]]
    c = found[0]
    assert c.figures["los_days"] == 20 and c.figures["care_days"] == 1
    assert c.figures["n_other_region"] == 1 and "异地1次" in c.narrative
    assert c.amount_fen == (20 * 6000 + 2500) * 7 // 10


def test_care_share_bound_is_a_parameter() -> None:
    r, ghost, _, _ = _region()
    assert clues(r, "phantom_stay", max_care_share=0.01) == []  # 1 care day of 20 is 0.05
