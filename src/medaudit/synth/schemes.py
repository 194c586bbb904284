"""Injection schemes: one function per violation type, registered by id.

Each scheme turns one clean encounter (or patient) into exactly the finding docs/rule-semantics.md
describes and appends its label with the amount that spec defines. A scheme returns False when the
candidate does not fit (the runner then tries another), so schemes stay simple and never label
something the data does not show. To add a scheme (e.g. a fraud model), write one function::

    @scheme("phantom_admission", "虚假住院", rate=0.01, phase="encounter", eligible=stays)
    def _phantom(w: World, cand: int) -> bool:
        ...
        w.label("phantom_admission", e, basis="fund_pay")
        return True
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from medaudit.schema.money import yuan_text

from .checker import DEFAULTS, REGION_CHECKS, Line, age_at, drug_days_limit, findings, stay_line_findings
from .kb import Drug, Item
from .population import in_guidance
from .templates import VISIT_TYPES, VT
from .world import DAY, World, XLine


@dataclass(frozen=True)
class Scheme:
    id: str
    zh: str
    rate: float
    phase: str  # 'encounter' (before lines are stamped) or 'line'
    eligible: Callable[[World], np.ndarray]
    inject: Callable[[World, int], bool]
    #: an opt-in scheme (the fraud models' schemes) runs only when ``rates`` names it: its extra
    #: encounters and look-alikes would otherwise change every rule test's region
    opt_in: bool = False
    #: run after every other scheme of its phase (限二线用药 looks back over every drug line injected
    #: before it), whatever order the scheme modules were imported in
    last: bool = False


SCHEMES: dict[str, Scheme] = {}

#: passes over the finished world that keep clean data clean of cross-encounter findings a family's
#: rule would raise (e.g. overlapping take-home supplies): run after every scheme, violations or not;
#: they must leave labelled lines and their findings alone
CLEAN_PASSES: list[Callable[[World], None]] = []


def scheme(id: str, zh: str, *, rate: float, phase: str, eligible: Callable[[World], np.ndarray],
           opt_in: bool = False, last: bool = False,
           ) -> Callable[[Callable[[World, int], bool]], Callable[[World, int], bool]]:
    def deco(fn: Callable[[World, int], bool]) -> Callable[[World, int], bool]:
        SCHEMES[id] = Scheme(id, zh, rate, phase, eligible, fn, opt_in, last)
        return fn
    return deco


#: id prefixes of the schemes that label existing violation types at or around their thresholds
#: (near-misses, boundaries, co-occurrences); they are not violation types themselves
BOUNDARY_PREFIXES = ("near_", "edge_", "co_")


def boundary_schemes() -> frozenset[str]:
    """Ids of the boundary schemes registered so far (every scheme module registers its own)."""
    return frozenset(k for k in SCHEMES if k.startswith(BOUNDARY_PREFIXES))


def violation_types() -> set[str]:
    """The violation types the default rates inject (opt-in and boundary schemes excluded)."""
    return {k for k, s in SCHEMES.items() if not s.opt_in} - boundary_schemes()


def opt_in_rates() -> dict[str, float]:
    """The default rates of the opt-in schemes, for a region that should carry them (``synth --fraud``)."""
    return {s.id: s.rate for s in SCHEMES.values() if s.opt_in}


def run_schemes(w: World, rates: dict[str, float], phase: str) -> dict[str, int]:
    done: dict[str, int] = {}
    for s in sorted(SCHEMES.values(), key=lambda x: x.last):  # stable: registration order otherwise
        if s.phase != phase:
            continue
        rate = rates.get(s.id, 0.0 if s.opt_in else s.rate)
        cands = s.eligible(w)
        target = int(rate * len(cands) + w.rng.random()) if rate > 0 else 0
        n = 0
        if target:
            order = cands[w.rng.permutation(len(cands))]
            for c in order[: max(60, 25 * target)].tolist():
                if n >= target:
                    break
                if s.inject(w, int(c)):
                    n += 1
        done[s.id] = n
    return done


# -- eligibility ---------------------------------------------------------------------------------
def _free(w: World, vts: tuple[str, ...]) -> np.ndarray:
    m = ~w.used[: w.n_enc] & np.isin(w.col("vt"), [VT[v] for v in vts])
    return np.flatnonzero(m)


def visits(w: World) -> np.ndarray:
    return _free(w, ("outpatient", "emergency", "chronic", "pharmacy", "inpatient"))


def clinical(w: World) -> np.ndarray:
    return _free(w, ("outpatient", "emergency", "chronic", "inpatient"))


def stays(w: World) -> np.ndarray:
    return _free(w, ("inpatient",))


def chronic_visits(w: World) -> np.ndarray:
    return _free(w, ("chronic",))


def deceased(w: World) -> np.ndarray:
    return np.flatnonzero((w.pat.die > 0) & (w.pat.die < w.end - 2))


def remote_visits(w: World) -> np.ndarray:
    e = _free(w, ("outpatient", "pharmacy"))
    return e[w.pat.remote[w.col("psn")[e]]]


# -- helpers for line schemes --------------------------------------------------------------------
def _new_time(w: World, e: int) -> int:
    """A fee time for an extra line: after the visit's lines, or on a random day of a stay."""
    if w.enc["vt"][e] == VT["inpatient"]:
        d0, d1 = w.span(e)
        return (d0 + int(w.rng.integers(0, max(d1 - d0, 1)))) * DAY + 17 * 3600 + int(w.rng.integers(0, 3600))
    return w.end_of_visit(e) + 60


def _drug_x(w: World, e: int, d: Drug, t: int, days: int | None = None, dose: int | None = None) -> XLine:
    vt = VISIT_TYPES[int(w.enc["vt"][e])]
    code = w.codes.of_drug(d)
    if vt == "inpatient" and days is None:
        prd, cnt = 1, 1000
    else:
        limit = drug_days_limit(d, vt)
        prd = days if days is not None else int(w.rng.integers(1, min(limit, 7) + 1))
        cnt = max(1, min(12, (prd + 6) // 7)) * 1000
    if dose is None:
        dose = -1 if d.max_dose is None else max(1, d.max_dose // 2)
    return XLine(e, code, cnt, w.price(code, e), t, prd_days=prd, dose=dose, serial=w.new_serial())


def _item_x(w: World, e: int, it: Item, t: int, units: int = 1, pric: int | None = None) -> XLine:
    code = w.codes.of_item(it)
    return XLine(e, code, units * 1000, w.price(code, e) if pric is None else pric, t)


def _as_line(w: World, x: XLine, gi: int) -> Line:
    return w._line(gi, x.code, x.cnt, x.pric, x.t, x.prd_days, x.dose, x.drord, x.serial, x.trdn)


def _stay_verdicts(w: World, e: int, lines: list[Line]) -> set[tuple[str, int]]:
    """The region checks' findings on stay ``e`` alone with ``lines`` (a check across encounters sees
    only this one: compared before and after an injection, it tells what the new lines change)."""
    visit = [w.visit(e, lines)]
    return {(t, seq) for check in REGION_CHECKS for t, _, seq in check(w.kb, visit, DEFAULTS)}


def _try(w: World, e: int, xs: list[XLine], expect: list[tuple[str, int]], amounts: list[int], note: str,
         history: dict[str, bool] | None = None, kind: str = "violation") -> bool:
    """Add lines ``xs`` if the encounter then shows exactly the expected findings (index into xs)."""
    base = w.n_clean + len(w.xlines)
    new = [_as_line(w, x, base + k) for k, x in enumerate(xs)]
    ctx = w.ctx(e)
    if history:
        ctx.extra["first_line_history"] = history
    lines = w.lines_of(e) + new
    got = findings(w.kb, ctx, lines)
    if ctx.visit_type == "inpatient":  # the line rules that read the stay's admission and discharge
        got |= stay_line_findings(w.visit(e, lines))
        # and the stay-level verdicts (体检式住院 …): the new lines must not change what the stay shows
        got |= _stay_verdicts(w, e, lines) - _stay_verdicts(w, e, w.lines_of(e))
    want = {(vt, base + k) for vt, k in expect}
    if got != want:
        return False
    gis = [w.add_line(x) for x in xs]
    w.used[e] = True
    for (vt, k), amt in zip(expect, amounts, strict=True):
        w.label(vt, e, gis[k], amt, note=note, kind=kind)
    return True


def _amt(x: XLine) -> int:
    return (x.cnt * x.pric + 500) // 1000


def _pick(w: World, pool: list, k: int = 3) -> list:  # type: ignore[type-arg]
    if not pool:
        return []
    idx = w.rng.choice(len(pool), size=min(k, len(pool)), replace=False)
    return [pool[int(i)] for i in idx]


def _patient(w: World, e: int) -> tuple[str, int]:
    psn = int(w.enc["psn"][e])
    return str(int(w.pat.gend[psn])), int(w.pat.brdy[psn])


def _one_drug(w: World, e: int, pool: list[Drug], vtype: str, note: str) -> bool:
    for d in _pick(w, pool):
        x = _drug_x(w, e, d, _new_time(w, e))
        if _try(w, e, [x], [(vtype, 0)], [_amt(x)], note.format(name=d.name)):
            return True
    return False


def _one_item(w: World, e: int, pool: list[Item], vtype: str, note: str) -> bool:
    for it in _pick(w, pool):
        x = _item_x(w, e, it, _new_time(w, e))
        if _try(w, e, [x], [(vtype, 0)], [_amt(x)], note.format(name=it.name)):
            return True
    return False


# -- line schemes --------------------------------------------------------------------------------
@scheme("drug_gender", "药品限性别", rate=0.002, phase="line", eligible=clinical)
def _drug_gender(w: World, e: int) -> bool:
    g, _ = _patient(w, e)
    pool = [d for d in w.kb.drugs if d.gender and d.gender != g and not w.kb.gender_exempt(d.code)]
    return _one_drug(w, e, pool, "drug_gender", "限性别药品{name}用于不符性别患者")


@scheme("item_gender", "检查治疗项目与性别不符", rate=0.002, phase="line", eligible=clinical)
def _item_gender(w: World, e: int) -> bool:
    g, _ = _patient(w, e)
    pool = [it for it in w.kb.items if it.gender and it.gender != g and not w.kb.gender_exempt(it.code)]
    return _one_item(w, e, pool, "item_gender", "限性别项目{name}用于不符性别患者")


@scheme("drug_age", "药品限年龄/限儿童", rate=0.002, phase="line", eligible=clinical)
def _drug_age(w: World, e: int) -> bool:
    _, brdy = _patient(w, e)
    age = age_at(brdy, int(w.enc["day"][e]))
    pool = [d for d in w.kb.drugs if (d.age_min is not None and age < d.age_min - 1)
            or (d.age_max is not None and age > d.age_max)]
    return _one_drug(w, e, pool, "drug_age", "限年龄药品{name}超出年龄范围")


@scheme("drug_indication", "药品与诊断不符(限适应症)", rate=0.002, phase="line", eligible=clinical)
def _drug_indication(w: World, e: int) -> bool:
    diags = w.ctx(e).diags
    pool = [d for d in w.kb.drugs if d.indications and not any(g.startswith(p) for g in diags for p in d.indications)]
    return _one_drug(w, e, pool, "drug_indication", "限适应症药品{name}无相符诊断")


@scheme("drug_level", "限医院等级", rate=0.002, phase="line", eligible=visits)
def _drug_level(w: World, e: int) -> bool:
    lv = int(w.inst.level[int(w.enc["inst"][e])])
    pool = [d for d in w.kb.drugs if d.min_level is not None and d.min_level > lv]
    return _one_drug(w, e, pool, "drug_level", "限定医院等级药品{name}超等级使用")


@scheme("drug_visit_type", "限就医方式", rate=0.002, phase="line", eligible=visits)
def _drug_visit_type(w: World, e: int) -> bool:
    vt = VISIT_TYPES[int(w.enc["vt"][e])]
    pool = [d for d in w.kb.drugs if d.visits and vt not in d.visits]
    return _one_drug(w, e, pool, "drug_visit_type", "限就医方式药品{name}用于" + vt)


@scheme("drug_max_dose", "超每日最大剂量", rate=0.002, phase="line", eligible=visits)
def _drug_max_dose(w: World, e: int) -> bool:
    pool = [d for d in w.kb.drugs if d.max_dose is not None and d.dose_unit]
    for d in _pick(w, pool):
        assert d.max_dose is not None
        dose = d.max_dose * int(w.rng.choice([3, 4, 6])) // 2
        x = _drug_x(w, e, d, _new_time(w, e), dose=dose)
        amt = _amt(x)
        if _try(w, e, [x], [("drug_max_dose", 0)], [amt * (dose - d.max_dose) // dose],
                f"{d.name}每日剂量{dose / 1000:g}{d.dose_unit}超过最大{d.max_dose / 1000:g}{d.dose_unit}"):
            return True
    return False


@scheme("drug_over_days", "超量开药(超天数)", rate=0.003, phase="line", eligible=visits)
def _drug_over_days(w: World, e: int) -> bool:
    vt = VISIT_TYPES[int(w.enc["vt"][e])]
    for d in _pick(w, w.kb.drugs, 4):
        limit = drug_days_limit(d, vt)
        days = limit + int(w.rng.integers(1, max(2, limit // 2 + 2)))
        if vt == "inpatient":
            d0, d1 = w.span(e)
            x = _drug_x(w, e, d, d1 * DAY + 9 * 3600 + 59 * 60, days=days)
            x.drord = 1
        else:
            x = _drug_x(w, e, d, _new_time(w, e), days=days)
        amt = _amt(x)
        if _try(w, e, [x], [("drug_over_days", 0)], [amt * (days - limit) // days],
                f"{d.name}开药{days}天超过限定{limit}天"):
            return True
    return False


def _drug_lines(w: World, e: int) -> list[Line]:
    return [ln for ln in w.lines_of(e) if ln.drug is not None]


@scheme("drug_duplicate", "重复用药", rate=0.002, phase="line", eligible=visits)
def _drug_duplicate(w: World, e: int) -> bool:
    for a in _pick(w, _drug_lines(w, e)):
        assert a.drug is not None
        twins = [d for d in w.kb.drugs if d.ingredient and d.ingredient == a.drug.ingredient and d.prefix != a.drug.prefix]
        for d in _pick(w, twins, 2):
            x = _drug_x(w, e, d, a.t + 30)
            if _try(w, e, [x], [("drug_duplicate", 0)], [_amt(x)], f"{d.name}与{a.drug.name}成分重复"):
                return True
    return False


@scheme("drug_contraindication", "配伍禁忌", rate=0.002, phase="line", eligible=visits)
def _drug_contraindication(w: World, e: int) -> bool:
    kb = w.kb
    for a in _pick(w, _drug_lines(w, e)):
        partners = kb.contra_partners(a.code)
        for d in _pick(w, partners, 2):
            x = _drug_x(w, e, d, a.t + 30)
            if _try(w, e, [x], [("drug_contraindication", 0)], [_amt(x)], f"{d.name}与{a.drug.name if a.drug else ''}配伍禁忌"):
                return True
    pairs = kb.contra_pairs()
    for da, db in _pick(w, pairs, 2):
        t = _new_time(w, e)
        xa = _drug_x(w, e, da, t)
        xb = _drug_x(w, e, db, t + 30)
        if _try(w, e, [xa, xb], [("drug_contraindication", 1)], [_amt(xb)], f"{db.name}与{da.name}配伍禁忌"):
            return True
    return False


@scheme("chronic_drug_scope", "门慢门特限病种用药", rate=0.01, phase="line", eligible=chronic_visits)
def _chronic_scope(w: World, e: int) -> bool:
    dise = w.ctx(e).dise_no
    allowed = w.kb.chronic.get(dise or "", [])
    if not allowed:
        return False
    pool = [d for d in w.kb.drugs if d.prefix not in allowed]
    return _one_drug(w, e, pool, "chronic_drug_scope", "{name}不在该门慢病种用药范围")


@scheme("not_in_catalogue", "目录外项目", rate=0.002, phase="line", eligible=clinical)
def _not_in_catalogue(w: World, e: int) -> bool:
    code = getattr(w, "_nic_code", None)
    if code is None:
        code = w.codes.add(w.kb.not_in_catalogue_code(), "院内自定治疗项目(未对照)", "05", "次", 3500)
        w._nic_code = code  # type: ignore[attr-defined]
    x = XLine(e, code, 1000, w.price(code, e), _new_time(w, e))
    return _try(w, e, [x], [("not_in_catalogue", 0)], [_amt(x)], "未对照医保目录的项目按医保结算")


@scheme("duplicate_trace_code", "重复追溯码", rate=0.002, phase="line", eligible=visits)
def _dup_trace(w: World, e: int) -> bool:
    a_, b_ = w.line_range(e)
    L = w.lines
    cand = [i for i in range(a_, b_) if L["serial"][i] >= 0 and not L["trdn"][i]]
    for i in _pick(w, cand, 2):
        x = XLine(e, int(L["code"][i]), int(L["cnt"][i]), int(L["pric"][i]), int(L["t"][i]) + 30,
                  prd_days=int(L["prd"][i]), dose=int(L["dose"][i]), drord=int(L["drord"][i]), serial=int(L["serial"][i]))
        if _try(w, e, [x], [("duplicate_trace_code", 0)], [_amt(x)], "同一追溯码重复结算"):
            return True
    return False


@scheme("over_price", "超标准收费", rate=0.002, phase="line", eligible=clinical)
def _over_price(w: World, e: int) -> bool:
    lv = int(w.inst.level[int(w.enc["inst"][e])])
    pool = [it for it in w.kb.items if it.cap(lv) is not None]
    for it in _pick(w, pool):
        cap = it.cap(lv)
        assert cap is not None
        pric = cap + max(1, cap * int(w.rng.integers(10, 40)) // 100)
        units = 1
        x = _item_x(w, e, it, _new_time(w, e), units, pric)
        if _try(w, e, [x], [("over_price", 0)], [(pric - cap) * x.cnt // 1000], f"{it.name}单价超{yuan_text(cap)}元限价"):
            return True
    return False


@scheme("item_over_freq", "项目超限次", rate=0.002, phase="line", eligible=clinical)
def _item_over_freq(w: World, e: int) -> bool:
    present = {ln.item.prefix for ln in w.lines_of(e) if ln.item is not None}
    pool = [it for it in w.kb.items if it.max_per_day is not None and it.prefix not in present
            and (it.max_per_encounter is None or it.max_per_encounter >= it.max_per_day + 2)]
    for it in _pick(w, pool):
        assert it.max_per_day is not None
        excess = 1 if it.max_per_encounter is not None else int(w.rng.integers(1, 3))
        x = _item_x(w, e, it, _new_time(w, e), it.max_per_day + excess)
        if _try(w, e, [x], [("item_over_freq", 0)], [excess * x.pric], f"{it.name}当日{it.max_per_day + excess}次超过{it.max_per_day}次"):
            return True
    return False


def _items_matching(w: World, prefix: str) -> list[Item]:
    return [it for it in w.kb.items if it.code.startswith(prefix)]


def _dup_partners(w: World, lines: list[Line], b: Item) -> int:
    """Lines that item ``b`` would duplicate under some relation (any window): the engine reports one
    finding per (line, partner) pair, a label one per line, so an injection needs exactly one."""
    rels = w.kb.relations
    return sum(1 for ln in lines if any(rels[k].relation in ("exclusive", "included")
                                        and ln.code.startswith(rels[k].code_a) for k in w.kb.rel_sides(b.code)[1]))


@scheme("duplicate_charge", "重复收费", rate=0.002, phase="line", eligible=clinical)
def _duplicate_charge(w: World, e: int) -> bool:
    rels = [r for r in w.kb.relations if r.relation in ("exclusive", "included")]
    lines = w.lines_of(e)
    for r in _pick(w, rels, 4):
        bs = _items_matching(w, r.code_b)
        if not bs:
            continue
        b = bs[int(w.rng.integers(len(bs)))]
        if any(o is not r and b.code.startswith(o.code_b) and any(ln.code.startswith(o.code_a) for ln in lines)
               for o in rels):
            continue  # b would also repeat another main item here: the rule reports each pair (one label)
        have = [ln for ln in lines if ln.code.startswith(r.code_a)]
        if _dup_partners(w, lines, b) != (1 if have else 0):
            continue
        if have:
            xb = _item_x(w, e, b, have[0].t + 30)
            if _try(w, e, [xb], [("duplicate_charge", 0)], [_amt(xb)], f"{b.name}与主项重复收费({r.relation})"):
                return True
            continue
        as_ = _items_matching(w, r.code_a)
        if not as_:
            continue
        a = as_[int(w.rng.integers(len(as_)))]
        t = _new_time(w, e)
        xa, xb = _item_x(w, e, a, t), _item_x(w, e, b, t + 30)
        if _try(w, e, [xa, xb], [("duplicate_charge", 1)], [_amt(xb)], f"{b.name}与{a.name}重复收费({r.relation})"):
            return True
    return False


@scheme("decomposed_charge", "分解收费", rate=0.002, phase="line", eligible=clinical)
def _decomposed(w: World, e: int) -> bool:
    panels: dict[str, list[str]] = {}
    for r in w.kb.relations:
        if r.relation == "decomposed":
            panels.setdefault(r.code_a, []).append(r.code_b)
    keys = [k for k, v in panels.items() if len(v) >= 2]
    for p in _pick(w, keys, 2):
        comps = _pick(w, panels[p], 2)
        items = [_items_matching(w, c) for c in comps]
        if not all(items):
            continue
        t = _new_time(w, e)
        xs = [_item_x(w, e, its[0], t + 30 * k) for k, its in enumerate(items)]
        if _try(w, e, xs, [("decomposed_charge", 0), ("decomposed_charge", 1)], [_amt(x) for x in xs],
                "组套项目分解为单项收费"):
            return True
    return False


@scheme("item_indication", "诊疗项目与诊断不符", rate=0.002, phase="line", eligible=clinical)
def _item_indication(w: World, e: int) -> bool:
    ctx = w.ctx(e)
    pool = [it for it in w.kb.items if (it.indications and not any(g.startswith(p) for g in ctx.diags for p in it.indications))
            or (not it.indications and it.depts and ctx.dept not in it.depts)]
    return _one_item(w, e, pool, "item_indication", "{name}无相符诊断或科室")


# -- encounter schemes ---------------------------------------------------------------------------
def _stay_template(w: World, psn: int, day: int, max_level: int) -> int | None:
    return w.template_for("inpatient", psn, day, 31, max_level=max_level)


def _los_for(w: World, tmpl: int, hi: int) -> int | None:
    lo_, hi_ = w.templates[tmpl].los
    lo_, hi_ = max(4, lo_), min(hi, max(hi_, 4))
    if lo_ > hi_:
        return None
    return lo_ + int(w.rng.integers(0, hi_ - lo_ + 1))


def _alive(w: World, psn: int, last_day: int) -> bool:
    die = int(w.pat.die[psn])
    return die == 0 or last_day <= die


def can_extend(w: World, s: int, los: int, margin: int = 31) -> bool:
    """Whether stay ``s`` can last ``los`` days: discharged inside the period, the patient alive and
    still in the stay template's age band then, and no other visit of theirs until ``margin`` days after
    (so a lengthened stay never overlaps, nor becomes a readmission of, another encounter)."""
    a, _ = w.span(s)
    psn = int(w.enc["psn"][s])
    return (a + los < w.end and _alive(w, psn, a + los)
            and w.age(psn, a + los) < w.templates[int(w.enc["tmpl"][s])].age_hi
            and not w.busy(psn, a, a + los + margin, exclude=(s,)))


def _walk_in(w: World, psn: int, day: int, pharmacy_share: float) -> int | None:
    """A new clean outpatient visit or pharmacy purchase of ``psn`` on ``day`` (None if none fits)."""
    vt = "pharmacy" if w.rng.random() < pharmacy_share else "outpatient"
    tm = w.template_for(vt, psn, day)
    if tm is None:
        return None
    inst = w.institution_for(vt, w.templates[tm].min_level, bool(w.pat.remote[psn]))
    if inst is None:
        return None
    return int(w.new_encounter(psn, inst, vt, tm, day))


@scheme("outpatient_during_stay", "住院期间门诊或药店购药", rate=0.03, phase="encounter", eligible=stays)
def _outpatient_during_stay(w: World, s: int) -> bool:
    a, b = w.span(s)
    if b - a < 3:
        return False
    psn = int(w.enc["psn"][s])
    day = a + 1 + int(w.rng.integers(0, b - a - 1))
    e = _walk_in(w, psn, day, pharmacy_share=0.5)
    if e is None:
        return False
    w.used[[s, e]] = True
    w.label("outpatient_during_stay", e, basis="fund_pay", note="住院期间发生门诊/购药结算")
    return True


@scheme("concurrent_stay", "同时住院", rate=0.02, phase="encounter", eligible=stays)
def _concurrent_stay(w: World, s: int) -> bool:
    a, b = w.span(s)
    if b - a < 6:
        return False
    psn = int(w.enc["psn"][s])
    day = a + 1 + int(w.rng.integers(0, b - a - 5))
    inst = w.institution_for("inpatient", 1, bool(w.pat.remote[psn]), exclude=int(w.enc["inst"][s]))
    if inst is None:
        return False
    tm = _stay_template(w, psn, day, int(w.inst.level[inst]))
    if tm is None:
        return False
    los = _los_for(w, tm, b - day)
    if los is None:
        return False
    e = w.new_encounter(psn, inst, "inpatient", tm, day, los)
    w.used[[s, e]] = True
    w.label("concurrent_stay", e, basis="fund_pay", note="与另一住院时间重叠")
    return True


def readmission(w: World, s: int, gap: int) -> int | None:
    """A new stay at the same institution ``gap`` days after stay ``s`` is discharged (None when the
    patient's calendar, age or the period do not allow it); the caller marks and labels it."""
    _, b = w.span(s)
    psn, inst = int(w.enc["psn"][s]), int(w.enc["inst"][s])
    day = b + gap
    tm = _stay_template(w, psn, day, int(w.inst.level[inst]))
    if tm is None:
        return None
    los = _los_for(w, tm, 10)
    if los is None or day + los >= w.end or not _alive(w, psn, day + los):
        return None
    if w.busy(psn, b + 1, day + los + 16, exclude=(s,)):
        return None
    return w.new_encounter(psn, inst, "inpatient", tm, day, los)


@scheme("split_admission", "分解住院", rate=0.02, phase="encounter", eligible=stays)
def _split_admission(w: World, s: int) -> bool:
    gap = int(w.rng.integers(1, 16))
    e = readmission(w, s, gap)
    if e is None:
        return False
    w.used[[s, e]] = True
    w.label("split_admission", e, basis="fund_pay", note=f"出院{gap}天内再次入住同一机构")
    return True


@scheme("abnormal_los", "住院天数异常", rate=0.02, phase="encounter", eligible=stays)
def _abnormal_los(w: World, s: int) -> bool:
    los = 61 + int(w.rng.integers(0, 20))
    if not can_extend(w, s, los):
        return False
    w.enc["los"][s] = los
    w.used[s] = True
    w.label("abnormal_los", s, basis="fund_pay_los", arg=60, note=f"住院{los}天超过60天")
    return True


@scheme("after_death", "死亡后就医", rate=0.5, phase="encounter", eligible=deceased)
def _after_death(w: World, psn: int) -> bool:
    die = int(w.pat.die[psn])
    day = die + 1 + int(w.rng.integers(0, max(1, min(20, w.end - die - 2))))
    if day >= w.end:
        return False
    e = _walk_in(w, psn, day, pharmacy_share=0.4)
    if e is None:
        return False
    w.used[e] = True
    w.label("after_death", e, basis="fund_pay", note="参保人死亡后发生结算")
    return True


@scheme("guidance_remote", "辅导期机构异地结算", rate=0.05, phase="encounter", eligible=remote_visits)
def _guidance_remote(w: World, e: int) -> bool:
    vt = VISIT_TYPES[int(w.enc["vt"][e])]
    t = w.templates[int(w.enc["tmpl"][e])]
    day = int(w.enc["day"][e])
    pool = [int(i) for i in w.institution_pool(vt, t.min_level, False, guidance=True) if in_guidance(w.inst, int(i), day)]
    if not pool:
        return False
    inst = pool[int(w.rng.integers(len(pool)))]
    w.enc["inst"][e] = inst
    w.enc["doctor"][e] = w.doctor(inst, int(w.enc["dept"][e]))
    w.used[e] = True
    w.label("guidance_remote", e, basis="fund_pay", note="政策辅导期机构为异地参保人结算")
    return True


@scheme("low_standard_admission", "低标准入院", rate=0.02, phase="encounter", eligible=stays)
def _low_standard(w: World, s: int) -> bool:
    psn = int(w.enc["psn"][s])
    special = [t for t in w.templates if t.special == "low_standard"]
    if not special or w.pat.remote[psn]:
        return False
    for _ in range(4):  # a patient with a stay is busy on most days: try a few before giving up
        los = int(w.rng.integers(1, 4))
        day = w.start + int(w.rng.integers(0, max(1, w.end - w.start - los - 1)))
        if _alive(w, psn, day + los) and not w.busy(psn, day - 31, day + los + 31):
            break
    else:
        return False
    age0, age1 = w.age(psn, day), w.age(psn, day + los)
    fits = [t for t in special if t.age_lo <= age0 and age1 < t.age_hi]
    if not fits:
        return False
    t = fits[int(w.rng.integers(len(fits)))]
    inst = w.institution_for("inpatient", t.min_level, False)
    if inst is None:
        return False
    e = w.new_encounter(psn, inst, "inpatient", t.idx, day, los)
    exam = total = 0
    for tl in t.lines:
        assert tl.item is not None
        n = los if tl.mode == 1 else 1
        amt = n * (tl.cnt * w.price(w.codes.of_item(tl.item), e) + 500) // 1000
        total += amt
        exam += amt if tl.item.category in ("03", "04") else 0
    if exam * 100 < 72 * total:
        w.pop_encounter()
        return False
    w.used[e] = True
    w.label("low_standard_admission", e, basis="fund_pay", note=f"住院{los}天以检查化验为主")
    return True


@scheme("drug_second_line", "限二线用药", rate=0.002, phase="line", eligible=clinical, last=True)
def _second_line(w: World, e: int) -> bool:
    """Runs last: its look-back must see every other injected drug line."""
    pool = [d for d in w.kb.drugs if d.second_line and d.drug_class]
    if not pool:
        return False
    psn = int(w.enc["psn"][e])
    hist = w.enc_drug_history(psn)
    for d in _pick(w, pool):
        t = _new_time(w, e)
        day = t // DAY
        if any(dd.drug_class == d.drug_class and not dd.second_line and day - 90 <= hd <= day for hd, dd in hist):
            continue
        x = _drug_x(w, e, d, t)
        if _try(w, e, [x], [("drug_second_line", 0)], [_amt(x)], f"二线药品{d.name}前无一线用药"):
            return True
    return False
