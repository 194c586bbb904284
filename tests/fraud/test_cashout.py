"""医保电子凭证套现: fires on a pharmacy swiping many cards for round sums; not on 24-hour or flagship stores."""

from __future__ import annotations

import numpy as np

from tests.fraud.region import Region, clues

_ITEMS = [("XA01", "阿莫西林胶囊", 1230), ("XB02", "布洛芬缓释胶囊", 1870), ("XC03", "复方甘草片", 655),
          ("XD04", "维生素C片", 320), ("XE05", "板蓝根颗粒", 1545)]


def _basket(rng: np.random.Generator) -> list[dict[str, object]]:
    k = int(rng.integers(1, 4))
    picks = rng.choice(len(_ITEMS), size=k, replace=False)
    return [{"hilist_code": _ITEMS[i][0], "hilist_name": _ITEMS[i][1], "pric_fen": _ITEMS[i][2],
             "cnt_milli": 1000 * int(rng.integers(1, 3))} for i in picks]


def _region() -> tuple[Region, str, str, str]:
    rng = np.random.default_rng(3)
    r = Region()
    people = [r.patient() for _ in range(400)]
    normal = [r.institution(kind="pharmacy") for _ in range(10)]
    allday, flagship, cash = (r.institution(kind="pharmacy") for _ in range(3))
    for ph in normal:  # ~60 sales at random daytime minutes
        for _ in range(60):
            r.visit(str(rng.choice(people)), ph, int(rng.integers(0, 90)), int(rng.integers(8 * 60, 20 * 60)),
                    vt="pharmacy", lines=_basket(rng))
    for _ in range(80):  # open around the clock: many late sales, ordinary baskets
        r.visit(str(rng.choice(people)), allday, int(rng.integers(0, 90)), int(rng.integers(0, 24 * 60)),
                vt="pharmacy", lines=_basket(rng))
    for _ in range(900):  # busy: sales minutes apart all day, explained by its own rate
        r.visit(str(rng.choice(people)), flagship, int(rng.integers(0, 90)), int(rng.integers(8 * 60, 22 * 60)),
                vt="pharmacy", lines=_basket(rng))
    for _ in range(40):  # ordinary trade
        r.visit(str(rng.choice(people)), cash, int(rng.integers(0, 90)), int(rng.integers(8 * 60, 20 * 60)),
                vt="pharmacy", lines=_basket(rng))
    for burst in range(6):  # evenings: 6 different cards, 2 minutes apart, 200 yuan of the same two drugs
        day = 10 + 12 * burst
        for k in range(6):
            r.visit(str(people[burst * 6 + k]), cash, day, 21 * 60 + 2 * k, vt="pharmacy",
                    lines=[{"hilist_code": "XF06", "hilist_name": "人血白蛋白", "pric_fen": 15000},
                           {"hilist_code": "XG07", "hilist_name": "胸腺肽", "pric_fen": 5000}])
    return r, cash, allday, flagship


def test_fires_on_cash_out_not_on_lookalikes() -> None:
    r, cash, allday, flagship = _region()
    found = clues(r, "card_cashout")
    assert [c.subject_ids for c in found] == [[cash]]
    c = found[0]
    assert c.figures["n_sales"] == 76
    assert "整数金额" in c.narrative and len(c.encounter_ids) >= 36
    assert c.amount_fen >= 36 * 20000 * 7 // 10


def test_needs_both_money_and_timing_signals() -> None:
    r, cash, _, _ = _region()
    # the money pattern alone (timing indicators cannot pass a huge bar) is not a cash-out clue
    assert clues(r, "card_cashout", z_min=1e6) == []
