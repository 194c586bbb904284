"""Injection schemes for the fraud models: labelled subjects and their look-alikes.

Each scheme builds what its model's scheme looks like from clean encounters (new encounters from the
generator's own templates, so every line is rule-clean) and labels every encounter it adds with
``fraud:<model>``; the label's ``note`` names the subject (person, pharmacy, stay or group id).
Look-alikes are labelled ``lookalike:<model>`` the same way: they are what must *not* light up.
The fraud evaluation (medaudit.fraud.evaluate) maps labels to subjects; the rule evaluation
ignores both prefixes.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from .schemes import _walk_in, scheme
from .templates import VT
from .world import World

FRAUD = "fraud:"
LOOKALIKE = "lookalike:"


def _chronic_patients(w: World) -> np.ndarray:
    m = ~w.used[: w.n_enc] & (w.col("vt") == VT["chronic"])
    return np.unique(w.col("psn")[m])


def _pharmacies(w: World) -> np.ndarray:
    return np.flatnonzero(np.array(w.inst.ftype) == "pharmacy")


def _clinics(w: World) -> np.ndarray:
    ft = np.array(w.inst.ftype)
    return np.flatnonzero((ft != "pharmacy") & (w.inst.level <= 1))


def _patients(w: World) -> np.ndarray:
    return np.arange(len(w.pat.brdy))


def _free_psn(w: World, k: int) -> list[int]:
    """``k`` patients with no encounter yet marked by a scheme and alive through the period."""
    out: list[int] = []
    n = len(w.pat.brdy)
    for p in w.rng.permutation(n).tolist():
        if len(out) >= k:
            break
        if w.pat.die[p] == 0 and not w.pat.remote[p] and not any(w.used[e] for e in w.patient_encounters(p)):
            out.append(int(p))
    return out


@scheme("fraud:drug_resale", "医保药品倒卖/回流药", rate=0.01, phase="encounter", eligible=_chronic_patients, opt_in=True)
def _resale(w: World, psn: int) -> bool:
    """A chronic patient who refills the same prescription at many institutions, weeks of supply each week."""
    own = [e for e in w.patient_encounters(psn) if w.enc["vt"][e] == VT["chronic"] and not w.used[e]]
    if not own:
        return False
    src = own[0]
    tm, lv = int(w.enc["tmpl"][src]), w.templates[int(w.enc["tmpl"][src])].min_level
    days = w.end - w.start
    n = int(w.rng.integers(8, 15))
    added = []
    for k in range(n):
        inst = w.institution_for("chronic", lv, False, exclude=int(w.enc["inst"][src]))
        if inst is None:
            break
        day = w.start + int((k + w.rng.random()) * days / n)
        e = w.new_encounter(psn, inst, "chronic", tm, min(day, w.end - 1))
        w.enc["alt"][e] = w.enc["alt"][src]
        added.append(e)
    if len(added) < 6:
        for _ in added:
            w.pop_encounter()
        return False
    w.used[[src, *added]] = True
    for e in added:
        w.label("fraud:drug_resale", e, basis="fund_pay", note=str(psn))
    return True


def _sales(w: World, pharmacy: int, people: list[int], day: int, sec: int, step: int) -> list[int]:
    made: list[int] = []
    if not people:  # a small region may have no free card holder left
        return made
    tm = w.template_for("pharmacy", people[0], day)
    if tm is None:
        return made
    t = w.templates[tm]
    for j, p in enumerate(people):
        # the basket must fit every card holder (a sex-specific basket on another sex is a rule finding)
        if t.age_lo > w.age(p, day) or w.age(p, day) >= t.age_hi or t.code_gender not in (0, int(w.pat.gend[p])):
            continue
        e = w.new_encounter(p, pharmacy, "pharmacy", tm, day)
        w.enc["sec"][e] = sec + j * step
        w.enc["alt"][e] = 0
        made.append(e)
    return made


@scheme("fraud:card_cashout", "医保电子凭证套现", rate=0.5, phase="encounter", eligible=_pharmacies, opt_in=True)
def _cashout(w: World, ph: int) -> bool:
    """Evening bursts: the same basket swiped on many different cards a minute or two apart."""
    if w.rng.random() < 0.5:  # half the pharmacies drawn become look-alikes instead (24-hour / flagship)
        return _lookalike_pharmacy(w, ph)
    made: list[int] = []
    for _ in range(int(w.rng.integers(6, 10))):
        people = _free_psn(w, int(w.rng.integers(5, 9)))
        day = w.start + int(w.rng.integers(0, w.end - w.start))
        made += _sales(w, ph, people, day, 21 * 3600 + int(w.rng.integers(0, 1800)), 60 + int(w.rng.integers(0, 60)))
    if len(made) < 20:
        return False
    w.used[made] = True
    for e in made:
        w.label("fraud:card_cashout", e, basis="fund_pay", note=str(ph))
    return True


def _lookalike_pharmacy(w: World, ph: int) -> bool:
    made: list[int] = []
    allday = w.rng.random() < 0.5
    for _ in range(120 if allday else 400):
        p = _free_psn(w, 1)
        day = w.start + int(w.rng.integers(0, w.end - w.start))
        sec = int(w.rng.integers(0, 86400 - 3600)) if allday else int(w.rng.integers(8 * 3600, 21 * 3600))
        made += _sales(w, ph, p, day, sec, 0) if p else []
    if not made:
        return False
    w.used[made] = True
    for e in made:
        w.label("lookalike:card_cashout", e, basis="fund_pay", note=str(ph))
    return True


def _stays(w: World) -> np.ndarray:
    m = ~w.used[: w.n_enc] & (w.col("vt") == VT["inpatient"]) & (w.col("los") >= 5)
    return np.flatnonzero(m)


@scheme("fraud:phantom_stay", "虚假住院/挂床住院", rate=0.02, phase="encounter", eligible=_stays, opt_in=True)
def _phantom(w: World, s: int) -> bool:
    """A stay whose template keeps only its bed and 诊查 charges; half also buy drugs elsewhere meanwhile."""
    t = w.templates[int(w.enc["tmpl"][s])]
    keep = [tl for tl in t.lines if tl.item is not None and tl.item.category in ("01", "02")]
    if not keep:
        return False
    ghost = dataclasses.replace(t, idx=len(w.templates), lines=keep, special="phantom")
    w.templates.append(ghost)
    w.enc["tmpl"][s] = ghost.idx
    w.used[s] = True
    a, b = w.span(s)
    if w.rng.random() < 0.5 and b - a >= 3:
        e = _walk_in(w, int(w.enc["psn"][s]), a + 1 + int(w.rng.integers(0, b - a - 1)), pharmacy_share=1.0)
        if e is not None:
            w.used[e] = True
    w.label("fraud:phantom_stay", s, basis="fund_pay", note=str(s))
    return True


@scheme("fraud:care_ring", "团伙就医/结伙骗保", rate=0.5, phase="encounter", eligible=_clinics, opt_in=True)
def _ring(w: World, clinic: int) -> bool:
    """5–9 unrelated people visiting small clinics together, 4–7 times; or, as a look-alike, a family once."""
    family = w.rng.random() < 0.4
    people = _free_psn(w, int(w.rng.integers(2, 4)) if family else int(w.rng.integers(5, 10)))
    trips = 1 if family else int(w.rng.integers(4, 8))
    pool = _clinics(w)
    made: list[int] = []
    for k in range(trips):
        inst = clinic if k % 2 == 0 or len(pool) < 2 else int(pool[int(w.rng.integers(len(pool)))])
        day = w.start + int((k + w.rng.random()) * (w.end - w.start) / trips)
        sec = 14 * 3600 + int(w.rng.integers(0, 3600))
        for j, p in enumerate(people):
            tm = w.template_for("outpatient", p, day, max_level=int(w.inst.level[inst]))
            if tm is None:
                continue
            e = w.new_encounter(p, inst, "outpatient", tm, min(day, w.end - 1))
            w.enc["sec"][e] = sec + 120 * j
            made.append(e)
    if not made:
        return False
    w.used[made] = True
    tag = f"ring{clinic}-{w.n_enc}"
    for e in made:
        w.label("lookalike:care_ring" if family else "fraud:care_ring", e, basis="fund_pay", note=tag)
    return True
