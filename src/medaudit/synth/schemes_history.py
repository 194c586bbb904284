"""Injection schemes of the cross-encounter history rules, and the pass that keeps clean data clean.

冒名就医 (``card_two_places``): every synthetic institution is in the region's own pooling area, so
clean data never settles one card in two regions; the scheme adds a walk-in visit elsewhere on the
same day (its 就医地 set to a neighbouring city) settled a chosen number of minutes after the
patient's own visit.

重复开药/超量持有 (``repeat_prescription``) reads every earlier dispensing of the patient at any
institution. Clinical templates are stamped per visit, so a chronic patient's monthly 28–84-day
prescriptions (or a pharmacy purchase after an outpatient visit) would overlap by weeks; real
refills are timed to the supply. :func:`keep_supply_clean` runs after every scheme and shortens the
days of the earlier clean dispensings until no unlabelled dispensing meets more than the default
余量 (``MAX_OVERLAP_DAYS``); labelled lines, and the lines of the fraud models' encounters, are never
touched. The schemes then inject both dispensings of a pair (earlier and later visit of one patient,
one ingredient the patient is given nowhere else), so the days left are exact.
"""

from __future__ import annotations

import numpy as np

from .checker import drug_days_limit, findings
from .checks.history import MAX_OVERLAP_DAYS, MIN_MINUTES
from .kb import Drug
from .population import NEIGHBOURS
from .schemes import CLEAN_PASSES, _amt, _as_line, _drug_x, _free, _new_time, _pick, _try, scheme
from .templates import MODE_COURSE, MODE_DAILY, VISIT_TYPES, VT, Template
from .world import DAY, World, XLine

VTYPE = "repeat_prescription"
TAKE_HOME = ("outpatient", "emergency", "chronic", "pharmacy")


def take_home_visits(w: World) -> np.ndarray:
    return _free(w, TAKE_HOME)


def _pool(w: World, es: tuple[int, ...]) -> list[Drug]:
    """Drugs with an ingredient that every chronic visit among ``es`` may be given."""
    pool = [d for d in w.kb.drugs if d.ingredient and not d.second_line]
    for e in es:
        if VISIT_TYPES[int(w.enc["vt"][e])] == "chronic":
            allowed = w.kb.chronic.get(w.templates[int(w.enc["tmpl"][e])].dise_no or "")
            if allowed is not None:
                pool = [d for d in pool if d.prefix in allowed]
    return pool


def _ingredients(w: World, psn: int) -> set[str]:
    return {ln.drug.ingredient for e in w.patient_encounters(psn) for ln in w.lines_of(e)
            if ln.drug is not None and ln.drug.ingredient}


def _quiet(w: World, e: int, x: XLine) -> bool:
    """Whether adding ``x`` to ``e`` leaves the encounter without any encounter-local finding."""
    return not findings(w.kb, w.ctx(e), w.lines_of(e) + [_as_line(w, x, 10 ** 12)])


def _pair(w: World, eb: int, off: int, kind: str) -> bool:
    """An earlier dispensing in another visit of the patient leaving MAX_OVERLAP_DAYS + off days at eb."""
    psn = int(w.enc["psn"][eb])
    tb = _new_time(w, eb)
    day_b = tb // DAY
    earlier = [e for e in w.patient_encounters(psn) if e != eb and not w.used[e]
               and VISIT_TYPES[int(w.enc["vt"][e])] in TAKE_HOME and _new_time(w, e) < tb]
    if not earlier:
        return False
    held = _ingredients(w, psn)
    for ea in _pick(w, earlier, 2):
        ta = _new_time(w, ea)
        gap = day_b - ta // DAY
        vt_a = VISIT_TYPES[int(w.enc["vt"][ea])]
        for d in _pick(w, [d for d in _pool(w, (ea, eb)) if d.ingredient not in held], 4):
            prd_a = gap + MAX_OVERLAP_DAYS + off
            if prd_a < 1 or prd_a > drug_days_limit(d, vt_a):
                continue
            xa = _drug_x(w, ea, d, ta, days=prd_a)
            xb = _drug_x(w, eb, d, tb)
            if not (_quiet(w, ea, xa) and _quiet(w, eb, xb)):
                continue
            left = MAX_OVERLAP_DAYS + off
            note = f"{d.name}：{gap}天前开药{prd_a}天，再开{xb.prd_days}天时尚余{left}天（允许{MAX_OVERLAP_DAYS}天）"
            if not (_try(w, ea, [xa], [], [], note) and _try(w, eb, [xb], [], [], note)):
                return False  # pragma: no cover - both were checked quiet just above
            gi = w.n_clean + len(w.xlines) - 1
            excess = min(xb.prd_days, max(off, 0))
            amount = _amt(xb) * excess // xb.prd_days if kind != "near_miss" else 0
            w.label(VTYPE, eb, gi, amount, note=note, kind=kind)
            return True
    return False


@scheme(VTYPE, "重复开药/超量持有（跨就诊）", rate=0.002, phase="line", eligible=take_home_visits, last=True)
def _repeat(w: World, e: int) -> bool:
    """Runs last: the patient's ingredients must include every other injected drug line."""
    return _pair(w, e, 1 + int(w.rng.integers(0, 20)), "violation")


@scheme(f"near_{VTYPE}", "余量恰为允许天数(近似)", rate=0.002, phase="line", eligible=take_home_visits, last=True)
def _near(w: World, e: int) -> bool:
    return _pair(w, e, 0 if w.rng.random() < 0.7 else -1, "near_miss")


@scheme(f"edge_{VTYPE}", "余量刚超过允许天数", rate=0.002, phase="line", eligible=take_home_visits, last=True)
def _edge(w: World, e: int) -> bool:
    return _pair(w, e, 1, "boundary")


# -- 冒名就医 ---------------------------------------------------------------------------------------
CARD = "card_two_places"


def _settle_offset(t: Template) -> int:
    """Seconds from a non-inpatient visit's start to its settlement: the generator stamps line j at
    start + 300 × (j + 1) (daily and course lines have no day outside a stay) and settles 600 s after
    the last line (finalize)."""
    js = [j for j, tl in enumerate(t.lines) if tl.mode not in (MODE_DAILY, MODE_COURSE)]
    return 300 * (max(js) + 1) + 600 if js else 600


def _elsewhere(w: World, eb: int, gap: int, kind: str) -> bool:
    """A visit in another region settled ``gap`` minutes (to the second) after the patient's visit eb."""
    psn, day = int(w.enc["psn"][eb]), int(w.enc["day"][eb])
    if w.busy(psn, day - 1, day + 1, exclude=(eb,)):
        return False
    setl_b = day * DAY + int(w.enc["sec"][eb]) + _settle_offset(w.templates[int(w.enc["tmpl"][eb])])
    vt = "pharmacy" if w.rng.random() < 0.3 else "outpatient"
    tm = w.template_for(vt, psn, day)
    if tm is None:
        return False
    sec = setl_b + 60 * gap - day * DAY - _settle_offset(w.templates[tm])
    if sec < 0 or sec + _settle_offset(w.templates[tm]) >= DAY:
        return False
    inst = w.institution_for(vt, w.templates[tm].min_level, True, exclude=int(w.enc["inst"][eb]))
    if inst is None:
        return False
    ea = w.new_encounter(psn, inst, vt, tm, day)
    w.enc["sec"][ea] = sec
    where = NEIGHBOURS[int(w.rng.integers(0, len(NEIGHBOURS)))]
    w.enc_admdvs[ea] = where
    w.used[[ea, eb]] = True
    note = f"同一凭证本地结算后{gap}分钟在{where}另一机构结算（最少间隔{MIN_MINUTES}分钟）"
    if kind == "near_miss":
        w.label(CARD, ea, amount=0, note=note, kind=kind)
    else:
        w.label(CARD, ea, basis="fund_pay", note=note, kind=kind)
    return True


def card_visits(w: World) -> np.ndarray:
    """Outpatient visits and purchases of patients insured elsewhere (a small pool: the scheme adds an
    encounter per injection, and the tests' encounter-phase rates are high)."""
    e = _free(w, ("outpatient", "pharmacy"))
    return e[w.pat.remote[w.col("psn")[e]]]


@scheme(CARD, "冒名就医（同一凭证短时间内异地两处结算）", rate=0.002, phase="encounter", eligible=card_visits)
def _card(w: World, e: int) -> bool:
    return _elsewhere(w, e, int(w.rng.integers(1, MIN_MINUTES - 4)), "violation")


@scheme(f"near_{CARD}", "异地两处结算恰间隔最少分钟数(近似)", rate=0.002, phase="encounter", eligible=card_visits)
def _card_near(w: World, e: int) -> bool:
    return _elsewhere(w, e, MIN_MINUTES + (0 if w.rng.random() < 0.7 else 1), "near_miss")


@scheme(f"edge_{CARD}", "异地两处结算刚不足最少分钟数", rate=0.002, phase="encounter", eligible=card_visits)
def _card_edge(w: World, e: int) -> bool:
    return _elsewhere(w, e, MIN_MINUTES - 1, "boundary")


# -- keeping clean data clean --------------------------------------------------------------------
def keep_supply_clean(w: World) -> None:
    """Shorten earlier clean dispensings so no unlabelled dispensing meets more than MAX_OVERLAP_DAYS days
    left of the same ingredient from the patient's other encounters (see the module doc)."""
    L, X = w.lines, w.xlines
    kb = w.kb
    ing_names = sorted({d.ingredient for d in kb.drugs if d.ingredient})
    ing_id = {n: k for k, n in enumerate(ing_names)}
    n_codes = len(w.codes.code)
    ing_of = np.full(n_codes, -1, dtype=np.int64)
    for d in kb.drugs:
        if d.ingredient:
            ing_of[w.codes.of_drug(d)] = ing_id[d.ingredient]
    vt = w.col("vt")
    psn_of = w.col("psn")
    # every dispensing: clean (index < n_clean) and injected lines
    enc = np.concatenate([L["enc"], np.array([x.enc for x in X], dtype=np.int64)])
    code = np.concatenate([L["code"], np.array([x.code for x in X], dtype=np.int64)])
    t = np.concatenate([L["t"], np.array([x.t for x in X], dtype=np.int64)])
    prd = np.concatenate([L["prd"], np.array([x.prd_days for x in X], dtype=np.int64)])
    drord = np.concatenate([L["drord"], np.array([x.drord for x in X], dtype=np.int64)])
    refund = np.concatenate([np.zeros(w.n_clean, dtype=bool), np.array([x.refund for x in X], dtype=bool)])
    ing = ing_of[code]
    take = (ing >= 0) & (prd > 0) & ~refund & ((vt[enc] != VT["inpatient"]) | (drord == 1))
    idx = np.flatnonzero(take)
    if len(idx) < 2:
        return
    psn = psn_of[enc[idx]]
    order = idx[np.lexsort((idx, t[idx], ing[idx], psn))]
    gkey = psn_of[enc[order]] * (len(ing_names) + 1) + ing[order]
    starts = np.flatnonzero(np.r_[True, gkey[1:] != gkey[:-1]])
    ends = np.r_[starts[1:], len(order)]
    big = np.flatnonzero(ends - starts >= 2)
    if len(big) == 0:
        return
    labelled = {lb.line for lb in w.labels if lb.line >= 0}
    mine = {lb.line for lb in w.labels if lb.vtype == VTYPE and lb.line >= 0}
    frozen_enc = {lb.enc for lb in w.labels if lb.vtype.startswith(("fraud:", "lookalike:"))}

    def set_prd(gi: int, value: int) -> None:
        prd[gi] = value
        if gi < w.n_clean:
            L["prd"][gi] = value
        else:
            X[gi - w.n_clean].prd_days = value

    for g in big.tolist():
        members = order[starts[g]:ends[g]].tolist()
        if any(gi in mine for gi in members):
            continue  # an injected pair: its days left are exact by construction
        for b in members:
            day_b = int(t[b]) // DAY

            def left(a: int, day_b: int = day_b) -> int:
                return max(int(t[a]) // DAY + int(prd[a]) - day_b, 0) if prd[a] > 0 else 0

            before = [a for a in members if a != b and enc[a] != enc[b] and t[a] <= t[b]]
            while prd[b] > 0 and sum(left(a) for a in before) > MAX_OVERLAP_DAYS:
                over = sum(left(a) for a in before) - MAX_OVERLAP_DAYS
                free = [a for a in before if left(a) > 0 and prd[a] > 1 and a not in labelled
                        and int(enc[a]) not in frozen_enc]
                if free:
                    a = max(free, key=lambda k: (left(k), k))
                    set_prd(a, max(1, int(prd[a]) - min(over, left(a))))
                elif b not in labelled and int(enc[b]) not in frozen_enc:
                    set_prd(b, -1)  # nothing earlier can give way: this line carries no days
                else:
                    break


CLEAN_PASSES.append(keep_supply_clean)
