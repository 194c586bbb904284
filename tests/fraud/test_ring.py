"""团伙就医: fires on a group co-visiting small clinics again and again; not on a family or a busy hospital."""

from __future__ import annotations

import numpy as np

from tests.fraud.region import Region, clues


def _region() -> tuple[Region, list[str], list[str]]:
    rng = np.random.default_rng(5)
    r = Region()
    big = r.institution(level=3)
    clinics = [r.institution(kind="clinic", level=1) for _ in range(4)]
    people = [r.patient() for _ in range(300)]
    for p in people:  # background: a few visits each, mostly to the big hospital's busy mornings
        for _ in range(int(rng.integers(2, 7))):
            inst = big if rng.random() < 0.7 else clinics[int(rng.integers(4))]
            r.visit(p, inst, int(rng.integers(0, 90)), int(rng.integers(8 * 60, 11 * 60)))
    family = people[:3]  # a family that visits together once
    for p in family:
        r.visit(p, clinics[0], 40, 15 * 60)
    ring = [r.patient() for _ in range(6)]
    for k in range(5):  # five trips, each to a small clinic, all six within the same hour
        for j, p in enumerate(ring):
            r.visit(p, clinics[k % 4], 7 + 17 * k, 14 * 60 + 5 * j)
    return r, ring, family


def test_fires_on_ring_not_on_family_or_hospital() -> None:
    r, ring, family = _region()
    found = clues(r, "care_ring")
    assert [sorted(c.subject_ids) for c in found] == [sorted(ring)]
    c = found[0]
    assert c.figures["size"] == 6 and c.figures["n_enc"] == 30
    assert "6名参保人" in c.narrative
    assert len(c.encounter_ids) == 30


def test_group_size_is_a_parameter() -> None:
    r, _, _ = _region()
    assert clues(r, "care_ring", min_size=7) == []
