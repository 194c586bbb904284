"""Orchestration: population → schedule → encounter schemes → expansion → line schemes → money → tables."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from medaudit.errors import InputError
from medaudit.schema import conform
from medaudit.schema.codes import VISIT_MED_TYPE

from .edits import apply_edits
from .kb import KB
from .population import HOME, add_status_staff, ages_at, make_institutions, make_patients, make_staff
from .templates import (
    CHRONIC_ICD,
    CONDITIONS,
    DEPTS,
    MODE_COURSE,
    MODE_DAILY,
    MODE_DISCHARGE,
    MODE_ONCE,
    VISIT_TYPES,
    VT,
    TemplateBuilder,
)
from .world import DAY, Codes, World, XLine, discharge_sec

TABLE_NAMES = ("patients", "institutions", "staff", "encounters", "fee_lines", "diagnoses", "operations")
EPOCH = dt.date(1970, 1, 1).toordinal()
_NULL: Any = None  # a typed None for np.where(…, _NULL) on object arrays

LABEL_SCHEMA = pa.schema([
    pa.field("violation_type", pa.string(), nullable=False),
    pa.field("mdtrt_id", pa.string(), nullable=False),
    pa.field("line_id", pa.string()),
    pa.field("amount_fen", pa.int64(), nullable=False),
    pa.field("note", pa.string()),
    #: violation | boundary | co_occurring (must fire) | near_miss (must not fire): see synth/boundary.py
    pa.field("kind", pa.string(), nullable=False),
])


@dataclass
class SynthConfig:
    """What to generate. ``rates`` overrides the default rate of a scheme (fraction of its eligible encounters)."""

    patients: int = 2000
    months: int = 3
    seed: int = 0
    start: dt.date = dt.date(2024, 1, 1)
    rates: dict[str, float] = field(default_factory=dict)
    violations: bool = True
    knowledge: dict[str, pa.Table] | None = None


@dataclass
class SynthResult:
    tables: dict[str, pa.Table]
    labels: pa.Table
    config: SynthConfig
    injected: dict[str, int]

    def summary(self) -> dict[str, Any]:
        return {
            "counts": {k: t.num_rows for k, t in self.tables.items()},
            "labels": self.labels.num_rows,
            "injected": dict(self.injected),
            "seed": self.config.seed,
        }


def _knowledge(cfg: SynthConfig) -> dict[str, pa.Table]:
    if cfg.knowledge is not None:
        return cfg.knowledge
    try:
        from medaudit.knowledge import default_knowledge
    except ImportError as exc:  # pragma: no cover
        raise InputError("知识库不可用 / knowledge package unavailable") from exc
    return dict(default_knowledge().tables)


def _month_add(d: dt.date, months: int) -> dt.date:
    y, m = divmod(d.month - 1 + months, 12)
    return dt.date(d.year + y, m + 1, 1)


SEASON = np.array([1.35, 1.3, 1.05, 0.95, 0.9, 0.85, 0.85, 0.85, 0.9, 1.0, 1.1, 1.3])
DOW = np.array([1.3, 1.1, 1.05, 1.0, 1.0, 0.6, 0.45])  # Monday first
DOW_FLAT = np.array([1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0])


def build_templates(kb: KB, rng: np.random.Generator) -> tuple[list[Any], list[str]]:
    tb = TemplateBuilder(kb, rng)
    for c in CONDITIONS:
        for vt in c.visits:
            for _ in range(8 if vt != "inpatient" else 6):
                tb.build(c.name, c.icd, vt, c.dept, c.ages, c.gender, c.weight, c.winter, c.los, c.procs)
    tb.build_low_standard()
    dise_list: list[str] = []
    for dise, _prefixes in kb.chronic.items():
        name = kb.chronic_names.get(dise, "")
        hit = next((x for x in CHRONIC_ICD if x[0] in name), None)
        if hit is None:
            continue
        made = 0
        for _ in range(6):
            if tb.build(name, hit[1], "chronic", "A03", hit[2], None, 1.0, 1.0, (0, 0), (), dise_no=dise):
                made += 1
        if made:
            dise_list.append(dise)
    return tb.templates, dise_list


def _pick_days(rng: np.random.Generator, days: np.ndarray, w: np.ndarray, n: int) -> np.ndarray:
    return days[rng.choice(len(days), size=n, p=w / w.sum())] if n else np.zeros(0, dtype=np.int64)


def schedule(w: World, cfg: SynthConfig) -> dict[str, np.ndarray]:
    rng, pat = w.rng, w.pat
    n = len(pat.psn_no)
    days = np.arange(w.start, w.end, dtype=np.int64)
    dates = (days - EPOCH).astype("datetime64[D]")
    month = dates.astype("datetime64[M]").astype(np.int64) % 12
    dow = (days - 1) % 7  # ordinal 1 = Monday 0001-01-01
    season, wk = SEASON[month], DOW[dow]
    age0 = ages_at(pat.brdy, np.full(n, w.start))
    months = cfg.months
    rate = {
        "outpatient": np.select([age0 < 5, age0 < 15, age0 < 45, age0 < 65], [1.0, 0.7, 0.35, 0.5], 0.8),
        "emergency": np.where(age0 < 15, 0.06, 0.04),
        "pharmacy": np.where(age0 < 15, 0.0, 0.25),
        "inpatient": np.select([age0 < 1, age0 < 15, (age0 >= 20) & (age0 < 40) & (pat.gend == 2), age0 < 45, age0 < 65],
                               [0.05, 0.01, 0.02, 0.006, 0.012], 0.03),
    }
    weights = {"outpatient": season * wk, "emergency": season * DOW_FLAT[dow], "pharmacy": season * wk,
               "inpatient": season * np.where(dow >= 5, 0.5, 1.0)}
    psn_l, vt_l, day_l = [], [], []
    for vname in ("outpatient", "emergency", "pharmacy", "inpatient"):
        cnt = rng.poisson(rate[vname] * months)
        psn = np.repeat(np.arange(n), cnt)
        psn_l.append(psn)
        vt_l.append(np.full(len(psn), VT[vname]))
        day_l.append(_pick_days(rng, days, weights[vname], len(psn)))
    # chronic follow-ups: about monthly for registered patients
    reg = np.flatnonzero(pat.dise >= 0)
    for m0 in range(months):
        lo = _month_add(dt.date.fromordinal(w.start), m0).toordinal()
        hi = _month_add(dt.date.fromordinal(w.start), m0 + 1).toordinal()
        go = reg[rng.random(len(reg)) < 0.85]
        sel = (days >= lo) & (days < hi)
        psn_l.append(go)
        vt_l.append(np.full(len(go), VT["chronic"]))
        day_l.append(_pick_days(rng, days[sel], wk[sel], len(go)))
    psn = np.concatenate(psn_l)
    vt = np.concatenate(vt_l)
    day = np.concatenate(day_l)
    # templates by (visit type, gender, age at start, age at end, winter, disease)
    is_ip = vt == VT["inpatient"]
    a0 = ages_at(pat.brdy[psn], day)
    a1 = ages_at(pat.brdy[psn], day + np.where(is_ip, 31, 0))
    winter = np.isin(((day - EPOCH).astype("datetime64[D]").astype("datetime64[M]").astype(np.int64) % 12), [0, 1, 11])
    dise_idx = np.where(vt == VT["chronic"], pat.dise[psn], -1)
    T = w.templates
    t_vt = np.array([VT[t.visit_type] for t in T])
    t_g = np.array([t.code_gender for t in T])
    t_lo = np.array([t.age_lo for t in T])
    t_hi = np.array([t.age_hi for t in T])
    t_w = np.array([t.weight for t in T])
    t_ok = np.array([t.special is None for t in T])
    t_win = np.array([t.winter for t in T])
    t_dise = np.array([w.dise_list.index(t.dise_no) if t.dise_no in w.dise_list else -1 for t in T])
    key = np.stack([vt, pat.gend[psn], a0, a1, winter.astype(np.int64), dise_idx], axis=1)
    uniq, inv = np.unique(key, axis=0, return_inverse=True)
    inv = inv.reshape(-1)
    tmpl = np.full(len(psn), -1, dtype=np.int64)
    order = np.argsort(inv, kind="stable")
    bounds = np.searchsorted(inv[order], np.arange(len(uniq) + 1))
    for g, (kvt, kg, ka0, ka1, kw, kd) in enumerate(uniq.tolist()):
        members = order[bounds[g]:bounds[g + 1]]
        m = t_ok & (t_vt == kvt) & ((t_g == 0) | (t_g == kg)) & (t_lo <= ka0) & (ka1 < t_hi) & (t_dise == kd)
        cand = np.flatnonzero(m)
        if len(cand) == 0:
            continue
        p = t_w[cand] * (t_win[cand] if kw else 1.0)
        tmpl[members] = cand[rng.choice(len(cand), size=len(members), p=p / p.sum())]
    keep = tmpl >= 0
    psn, vt, day, tmpl = psn[keep], vt[keep], day[keep], tmpl[keep]
    t_los_lo = np.array([max(4, t.los[0]) for t in T])
    t_los_hi = np.array([min(30, max(t.los[1], 4)) for t in T])
    los = np.where(vt == VT["inpatient"], t_los_lo[tmpl] + (rng.random(len(tmpl)) * (t_los_hi[tmpl] - t_los_lo[tmpl] + 1)).astype(np.int64), 0)
    # stays: settled inside the period, > 30 days apart for a patient, none after death
    die = pat.die[psn]
    ok = (day + los < w.end) & ((die == 0) | (day + los <= die))
    psn, vt, day, tmpl, los = psn[ok], vt[ok], day[ok], tmpl[ok], los[ok]
    ip = np.flatnonzero(vt == VT["inpatient"])
    ip = ip[np.lexsort((day[ip], psn[ip]))]
    keep_ip = np.zeros(len(psn), dtype=bool)
    last_p, last_end = -1, -10 ** 9
    for i in ip.tolist():
        p_, d_ = int(psn[i]), int(day[i])
        if p_ != last_p:
            last_p, last_end = p_, -10 ** 9
        if d_ > last_end + 30:
            keep_ip[i] = True
            last_end = d_ + int(los[i])
    ok = (vt != VT["inpatient"]) | keep_ip
    psn, vt, day, tmpl, los = psn[ok], vt[ok], day[ok], tmpl[ok], los[ok]
    # no visits during (or on the edge days of) a stay
    ip = np.flatnonzero(vt == VT["inpatient"])
    skey = psn[ip] * 10_000_000 + day[ip]
    o = np.argsort(skey)
    skey, send = skey[o], (day[ip] + los[ip])[o]
    spsn = psn[ip][o]
    q = np.flatnonzero(vt != VT["inpatient"])
    pos = np.searchsorted(skey, psn[q] * 10_000_000 + day[q], side="right") - 1
    if len(ip):
        at = np.maximum(pos, 0)
        clash = (pos >= 0) & (spsn[at] == psn[q]) & (day[q] <= send[at])
    else:  # a tiny region may have no stay at all: nothing can clash
        clash = np.zeros(len(q), dtype=bool)
    ok = np.ones(len(psn), dtype=bool)
    ok[q[clash]] = False
    psn, vt, day, tmpl, los = psn[ok], vt[ok], day[ok], tmpl[ok], los[ok]
    # institutions by (visit type, minimum level, remote)
    t_min = np.array([t.min_level for t in T])
    remote = pat.remote[psn]
    inst = np.full(len(psn), -1, dtype=np.int64)
    gkey = vt * 100 + t_min[tmpl] * 10 + remote.astype(np.int64)
    for gk in np.unique(gkey).tolist():
        members = np.flatnonzero(gkey == gk)
        v, ml, rm = gk // 100, (gk // 10) % 10, bool(gk % 10)
        pool = w.institution_pool(VISIT_TYPES[v], ml, rm)
        if len(pool) == 0:
            continue
        wt = w.inst.weight[pool] * np.where(w.inst.regional[pool] & rm, 3.0, 1.0)
        inst[members] = pool[rng.choice(len(pool), size=len(members), p=wt / wt.sum())]
    ok = inst >= 0
    psn, vt, day, tmpl, los, inst = psn[ok], vt[ok], day[ok], tmpl[ok], los[ok], inst[ok]
    n_alt = np.array([len(t.diag_alts) for t in T])
    alt = (rng.random(len(psn)) * n_alt[tmpl]).astype(np.int64)
    dept_codes = [d for d, _ in DEPTS]
    t_dept = np.array([dept_codes.index(t.dept) for t in T])
    dept = t_dept[tmpl]
    base = np.select([vt == VT["inpatient"], vt == VT["emergency"], vt == VT["pharmacy"]], [9, 0, 9], 8) * 3600
    span = np.select([vt == VT["inpatient"], vt == VT["emergency"], vt == VT["pharmacy"]], [3, 23, 11], 9) * 3600
    sec = base + (rng.random(len(psn)) * span).astype(np.int64)
    col = np.where(np.array(w.inst.ftype)[inst] == "pharmacy", len(DEPTS), dept)
    doctor = w.staff.start[inst, col] + (rng.random(len(psn)) * w.staff.count[inst, col]).astype(np.int64)
    o = np.lexsort((psn, sec, day))
    cols = {"psn": psn, "inst": inst, "vt": vt, "tmpl": tmpl, "alt": alt, "day": day, "sec": sec, "los": los,
            "dept": dept, "doctor": doctor}
    return {k: v[o] for k, v in cols.items()}


def expand(w: World) -> None:
    """Stamp templates onto encounters: every array is built with numpy, no per-line Python."""
    T = w.templates
    spec_code, spec_mode, spec_cnt, spec_off, spec_k, spec_prd, spec_dose, spec_drord, spec_j = ([] for _ in range(9))
    t_start = [0]
    for t in T:
        for j, tl in enumerate(t.lines):
            spec_code.append(w.codes.of_drug(tl.drug) if tl.drug is not None else w.codes.of_item(tl.item))  # type: ignore[arg-type]
            spec_mode.append(tl.mode)
            spec_cnt.append(tl.cnt)
            spec_off.append(tl.day_off)
            spec_k.append(tl.k)
            spec_prd.append(-1 if tl.prd_days is None else tl.prd_days)
            spec_dose.append(-1 if tl.dose is None else tl.dose)
            spec_drord.append(1 if tl.drord == "1" else 0)
            spec_j.append(j)
        t_start.append(len(spec_code))
    S = {k: np.array(v, dtype=np.int64) for k, v in (
        ("code", spec_code), ("mode", spec_mode), ("cnt", spec_cnt), ("off", spec_off), ("k", spec_k),
        ("prd", spec_prd), ("dose", spec_dose), ("drord", spec_drord), ("j", spec_j))}
    ts = np.array(t_start, dtype=np.int64)
    n = w.n_enc
    tmpl, los = w.col("tmpl"), w.col("los")
    n_spec = ts[tmpl + 1] - ts[tmpl]
    pe = np.repeat(np.arange(n), n_spec)  # (encounter, spec) pairs
    first = np.repeat(np.cumsum(n_spec) - n_spec, n_spec)
    ps = ts[tmpl][pe] + (np.arange(len(pe)) - first)
    mode, plos = S["mode"][ps], los[pe]
    reps = np.select([mode == MODE_DAILY, mode == MODE_COURSE], [plos, np.minimum(S["k"][ps], plos)], 1)
    li_pair = np.repeat(np.arange(len(pe)), reps)
    pfirst = np.repeat(np.cumsum(reps) - reps, reps)
    within = np.arange(len(li_pair)) - pfirst
    e = pe[li_pair]
    s = ps[li_pair]
    lmode = S["mode"][s]
    llos = los[e]
    off = np.select([lmode == MODE_ONCE, lmode == MODE_DISCHARGE], [np.minimum(S["off"][s], np.maximum(llos - 1, 0)), llos], within)
    is_ip = w.col("vt")[e] == VT["inpatient"]
    day0 = w.col("day")[e]
    j = S["j"][s]
    hour = np.select([lmode == MODE_DAILY, lmode == MODE_COURSE, lmode == MODE_DISCHARGE], [14, 15, 9], 16) * 3600
    t = np.where(is_ip, (day0 + off) * DAY + hour + j * 60, day0 * DAY + w.col("sec")[e] + 300 * (j + 1))
    code = S["code"][s]
    inst = w.col("inst")[e]
    pric = w.codes.price[code, w.inst.level[inst]] * w.inst.price_factor[inst] // 1000
    is_drug = code < w.codes.n_drug
    rng = w.rng
    r = rng.random(len(e))
    has_trace = is_drug & (r < 0.92)
    serial = np.where(has_trace, np.cumsum(has_trace) - 1, -1)
    w.next_serial = int(has_trace.sum())
    trdn = is_drug & ~is_ip & (rng.random(len(e)) < 0.05)
    dept = w.col("dept")[e]
    col = np.where(np.array(w.inst.ftype)[inst] == "pharmacy", len(DEPTS), dept)
    ip_doc = w.staff.start[inst, col] + (rng.random(len(e)) * w.staff.count[inst, col]).astype(np.int64)
    doctor = np.where(is_ip, ip_doc, w.col("doctor")[e])
    w.lines = {"enc": e, "code": code, "cnt": S["cnt"][s], "pric": pric, "t": t, "prd": S["prd"][s],
               "dose": S["dose"][s], "drord": S["drord"][s], "serial": serial, "trdn": trdn, "doctor": doctor}
    w.n_clean = len(e)
    w.line_start = np.searchsorted(e, np.arange(n + 1))


def add_refunds(w: World, share: float = 0.015) -> None:
    """Partial refunds (one unit) on clean encounters: they never remove a line nor touch an injected one."""
    L = w.lines
    cand = np.flatnonzero((L["cnt"] >= 2000) & ~w.used[L["enc"]])
    if len(cand) == 0:
        return
    k = int(len(cand) * share)
    for i in np.sort(w.rng.choice(cand, size=k, replace=False)).tolist():
        w.add_line(XLine(enc=int(L["enc"][i]), code=int(L["code"][i]), cnt=-1000, pric=int(L["pric"][i]),
                         t=int(L["t"][i]) + 90, refund=True, init=i, doctor=int(L["doctor"][i])))


FUND_PERMILLE = {  # (insutype, visit type) -> fund share, by level 0..3
    (310, "inpatient"): (900, 900, 880, 850), (390, "inpatient"): (800, 800, 700, 600),
    (310, "chronic"): (850, 850, 850, 850), (390, "chronic"): (650, 650, 650, 650),
}


def _fund_share(insutype: np.ndarray, vt: np.ndarray, level: np.ndarray, remote: np.ndarray) -> np.ndarray:
    out = np.full(len(vt), 500, dtype=np.int64)
    for (it, v), by_lv in FUND_PERMILLE.items():
        m = (insutype == it) & (vt == VT[v])
        out[m] = np.array(by_lv)[level[m]]
    out[(insutype == 310) & np.isin(vt, [VT["outpatient"], VT["emergency"], VT["pharmacy"]])] = 600
    return out - np.where(remote, 100, 0)


def finalize(w: World) -> tuple[dict[str, pa.Table], pa.Table]:
    L = w.lines
    X = w.xlines
    nx = len(X)

    def xcol(name: str, dtype: Any = np.int64) -> np.ndarray:
        return np.array([getattr(x, name) for x in X], dtype=dtype) if nx else np.zeros(0, dtype=dtype)

    enc = np.concatenate([L["enc"], xcol("enc")])
    code = np.concatenate([L["code"], xcol("code")])
    cnt = np.concatenate([L["cnt"], xcol("cnt")])
    pric = np.concatenate([L["pric"], xcol("pric")])
    t = np.concatenate([L["t"], xcol("t")])
    prd = np.concatenate([L["prd"], xcol("prd_days")])
    dose = np.concatenate([L["dose"], xcol("dose")])
    drord = np.concatenate([L["drord"], xcol("drord")])
    serial = np.concatenate([L["serial"], xcol("serial")])
    trdn = np.concatenate([L["trdn"], xcol("trdn", bool)])
    refund = np.concatenate([np.zeros(w.n_clean, dtype=bool), xcol("refund", bool)])
    init = np.concatenate([np.full(w.n_clean, -1), xcol("init")])
    xdoc = xcol("doctor")
    xdoc = np.where(xdoc >= 0, xdoc, w.col("doctor")[xcol("enc")] if nx else xdoc)
    doctor = np.concatenate([L["doctor"], xdoc])
    amt = np.sign(cnt) * ((np.abs(cnt) * pric + 500) // 1000)
    n_lines = len(enc)
    ne = w.n_enc
    # encounter ids in admission order
    E = {f: w.col(f) for f in ("psn", "inst", "vt", "tmpl", "alt", "day", "sec", "los", "dept", "doctor")}
    eorder = np.lexsort((np.arange(ne), E["sec"], E["day"]))
    rank = np.empty(ne, dtype=np.int64)
    rank[eorder] = np.arange(ne)
    mdtrt = _ids("MD" + str(dt.date.fromordinal(w.start).year), rank, 10)
    setl = _ids("ST" + str(dt.date.fromordinal(w.start).year), rank, 10)
    # line ids: by encounter rank then time, so ids read naturally
    lorder = np.lexsort((np.arange(n_lines), t, rank[enc]))
    lrank = np.empty(n_lines, dtype=np.int64)
    lrank[lorder] = np.arange(n_lines)
    line_id = _ids("FL", lrank, 12)
    # money
    medfee = np.zeros(ne, dtype=np.int64)
    np.add.at(medfee, enc, amt)
    psn = E["psn"]
    level = w.inst.level[E["inst"]]
    share = _fund_share(w.pat.insutype[psn], E["vt"], level, w.pat.remote[psn])
    fund = medfee * share // 1000
    # a purchase of a few fen still splits between fund and patient (a 2-fen total would round to 0)
    fund = np.where(medfee >= 2, np.clip(fund, 1, np.maximum(medfee - 1, 1)), fund)
    psn_pay = medfee - fund
    is_ip = E["vt"] == VT["inpatient"]
    adm_t = E["day"] * DAY + E["sec"]
    last_t = np.full(ne, 0, dtype=np.int64)
    np.maximum.at(last_t, enc, t)
    dscg_t = np.where(is_ip, discharge_sec(E["day"], E["los"], E["sec"]), np.maximum(last_t, adm_t) + 600)
    T = w.templates
    dept_codes = np.array([d for d, _ in DEPTS])
    dept_names = np.array([n for _, n in DEPTS])
    pharmacy = np.array(w.inst.ftype)[E["inst"]] == "pharmacy"
    # flat (template, alternative) -> diagnosis codes
    ta_start = np.cumsum([0] + [len(tp.diag_alts) for tp in T])
    flat_codes: list[str] = []
    ta_first = []
    ta_n = []
    for tp in T:
        for alt in tp.diag_alts:
            ta_first.append(len(flat_codes))
            ta_n.append(len(alt))
            flat_codes.extend(alt)
    ta = ta_start[E["tmpl"]] + E["alt"]
    ta_first_a, ta_n_a = np.array(ta_first, dtype=np.int64), np.array(ta_n, dtype=np.int64)
    codes_arr = np.array(flat_codes + [""], dtype=object)
    has_diag = ta_n_a[ta] > 0
    main_diag = np.where(has_diag, codes_arr[np.where(has_diag, ta_first_a[ta], len(flat_codes))], _NULL)
    die = w.pat.die[psn]
    dscg_way = np.where(is_ip & (die > 0) & (E["day"] + E["los"] == die), "5", np.where(is_ip, "1", _NULL))
    admdvs = np.array(w.pat.admdvs)[psn]
    enc_tbl = pa.table({
        "mdtrt_id": mdtrt, "psn_no": pa.array(np.array(w.pat.psn_no)[psn]),
        "fixmedins_code": pa.array(np.array(w.inst.code)[E["inst"]]),
        "med_type": pa.array(np.array([VISIT_MED_TYPE[v] for v in VISIT_TYPES])[E["vt"]]),
        "visit_type": pa.array(np.array(VISIT_TYPES)[E["vt"]]),
        "adm_time": _ts(adm_t), "dscg_time": _ts(dscg_t),
        "dept_code": pa.array(np.where(pharmacy, None, dept_codes[E["dept"]])),
        "dept_name": pa.array(np.where(pharmacy, None, dept_names[E["dept"]])),
        "chfpdr_code": pa.array(np.array(w.staff.code)[E["doctor"]]),
        "dscg_maindiag_code": pa.array(main_diag, pa.string()),
        "psn_admdvs": pa.array(admdvs), "medins_admdvs": pa.array(_medins_admdvs(w, ne)),
        "insutype": pa.array(w.pat.insutype[psn].astype(str)),
        "dise_no": pa.array(np.array([tp.dise_no for tp in T], dtype=object)[E["tmpl"]], pa.string()),
        "setl_id": setl, "setl_time": _ts(dscg_t),
        "medfee_sumamt_fen": medfee, "fund_pay_fen": fund, "psn_pay_fen": psn_pay,
        "dscg_way": pa.array(dscg_way.tolist(), pa.string()),
    }).take(pa.array(eorder))
    C = w.codes
    carr = np.array(C.code)
    is_drug = code < C.n_drug
    dose_unit = np.array([d.dose_unit or "" for d in w.kb.drugs] + [""] * (len(C.code) - C.n_drug))[code]
    trace = _box_codes(code, serial, cnt, trdn)
    dept_col = np.where(pharmacy[enc], None, dept_codes[E["dept"][enc]])
    fee = pa.table({
        "line_id": line_id, "mdtrt_id": mdtrt.take(pa.array(enc)),
        "hilist_code": pa.array(carr[code]), "hilist_name": pa.array(np.array(C.name)[code]),
        "med_chrgitm_type": pa.array(np.array(C.ctype)[code]), "cnt_milli": cnt,
        "unit": pa.array(np.array(C.unit)[code]), "pric_fen": pric, "amt_fen": amt,
        "bilg_dr_code": pa.array(np.array(w.staff.code)[doctor]),
        "bilg_dept_code": pa.array(dept_col), "acord_dept_code": pa.array(dept_col),
        "fee_ocur_time": _ts(t),
        "drug_trac_codg": pa.array(np.where(serial >= 0, trace, _NULL)),
        "trdn_flag": pa.array(np.where(is_drug, trdn, _NULL)),
        "prd_days": pa.array(np.where(prd >= 0, prd, _NULL)),
        "daily_dose_milli": pa.array(np.where(dose >= 0, dose, _NULL)),
        "dose_unit": pa.array(np.where(dose >= 0, dose_unit, None)),
        "selfpay_flag": pa.array(np.zeros(n_lines, dtype=bool)),
        "refund_flag": pa.array(refund),
        "init_line_id": pa.array(np.where(init >= 0, np.asarray(line_id.to_numpy(zero_copy_only=False))[np.maximum(init, 0)], None)),
        "drord_bhvr": pa.array(np.where(is_drug & is_ip[enc], np.where(drord == 1, "1", "0"), _NULL)),
    }).take(pa.array(lorder))
    # diagnoses and operations
    nd = ta_n_a[ta]
    d_enc = np.repeat(np.arange(ne), nd)
    d_k = np.arange(len(d_enc)) - np.repeat(np.cumsum(nd) - nd, nd)
    d_code = codes_arr[ta_first_a[ta][d_enc] + d_k].tolist()
    d_main = d_k == 0
    t_proc = np.array([tp.procs[0] if tp.procs else "" for tp in T], dtype=object)
    o_enc = np.flatnonzero(t_proc[E["tmpl"]] != "")
    o_code = t_proc[E["tmpl"][o_enc]].tolist()
    o_time = (E["day"][o_enc] + 1) * DAY + 9 * 3600
    o_dr = E["doctor"][o_enc]
    from .refcodes import diagnoses, procedures

    dx, px = diagnoses(), procedures()
    d_enc_a = d_enc
    dname = {c: dx.name(c) for c in set(flat_codes)}
    diag = pa.table({
        "mdtrt_id": mdtrt.take(pa.array(d_enc_a)), "diag_code": pa.array(d_code, pa.string()),
        "diag_name": pa.array([dname[c] for c in d_code], pa.string()), "maindiag_flag": pa.array(d_main, pa.bool_()),
        "diag_type": pa.array(np.where(is_ip[d_enc_a], "2", "1") if len(d_enc_a) else np.zeros(0, dtype=str)),
    }).take(pa.array(np.lexsort((np.arange(len(d_enc_a)), rank[d_enc_a])) if len(d_enc_a) else np.zeros(0, dtype=np.int64)))
    o_enc_a = o_enc
    ops = pa.table({
        "mdtrt_id": mdtrt.take(pa.array(o_enc_a)), "oprn_code": pa.array(o_code, pa.string()),
        "oprn_name": pa.array([px.name(c) for c in o_code], pa.string()),
        "main_oprn_flag": pa.array(np.ones(len(o_enc), dtype=bool)), "oprn_time": _ts(o_time),
        "oper_dr_code": pa.array(np.array(w.staff.code)[o_dr] if len(o_dr) else np.zeros(0, dtype=str)),
    }).take(pa.array(np.argsort(rank[o_enc_a], kind="stable") if len(o_enc_a) else np.zeros(0, dtype=np.int64)))
    tables = {
        "patients": _patients(w), "institutions": _institutions(w), "staff": _staff(w),
        "encounters": enc_tbl, "fee_lines": fee, "diagnoses": diag, "operations": ops,
    }
    tables = {k: conform(v, k) for k, v in tables.items()}
    tables = apply_edits(tables, w.edits, mdtrt)
    # labels
    lid = line_id.to_numpy(zero_copy_only=False)
    rows_t, rows_m, rows_l, rows_a, rows_n, rows_k = [], [], [], [], [], []
    for lb in w.labels:
        if lb.basis == "fund_pay":
            amount = int(fund[lb.enc])
        elif lb.basis == "fund_pay_los":
            los_ = int(E["los"][lb.enc])
            amount = int(fund[lb.enc]) * (los_ - lb.arg) // los_
        else:
            amount = int(lb.amount or 0)
        rows_t.append(lb.vtype)
        rows_m.append(mdtrt[lb.enc].as_py())
        rows_l.append(None if lb.line < 0 else str(lid[lb.line]))
        rows_a.append(amount)
        rows_n.append(lb.note)
        rows_k.append(lb.kind)
    labels = pa.table({"violation_type": rows_t, "mdtrt_id": rows_m, "line_id": pa.array(rows_l, pa.string()),
                       "amount_fen": pa.array(rows_a, pa.int64()), "note": rows_n, "kind": rows_k},
                      schema=LABEL_SCHEMA)
    if labels.num_rows:
        labels = labels.sort_by([("mdtrt_id", "ascending"), ("line_id", "ascending"), ("violation_type", "ascending")])
    return tables, labels


def _medins_admdvs(w: World, ne: int) -> np.ndarray:
    """The region's own code for every encounter, except those a scheme settled elsewhere."""
    out = np.full(ne, HOME, dtype=object)
    for e, code in w.enc_admdvs.items():
        out[e] = code
    return out


#: box k (k ≥ 1) of a line gets serial + k * BOX_STRIDE, so no box code repeats another line's
BOX_STRIDE = 10 ** 11


def _box_codes(code: np.ndarray, serial: np.ndarray, cnt: np.ndarray, trdn: np.ndarray) -> np.ndarray:
    """The 追溯码 field of every line: one code per box, comma-separated, as the 3505 sale interface
    uploads ``drugtracinfo[]``. A whole-box sale of n boxes lists n codes; a split (拆零) sale or a
    fractional quantity lists the one box it was taken from."""
    whole = (serial >= 0) & ~trdn & (cnt > 0) & (cnt % 1000 == 0)
    boxes = np.where(whole, cnt // 1000, 1)
    line = np.repeat(np.arange(len(code)), boxes)
    k = np.arange(len(line)) - np.repeat(np.cumsum(boxes) - boxes, boxes)
    codes = pa.array(_trace_codes(code[line], serial[line] + k * BOX_STRIDE))
    offsets = pa.array(np.r_[0, np.cumsum(boxes)].astype(np.int32))
    import pyarrow.compute as pc

    joined = pc.binary_join(pa.ListArray.from_arrays(offsets, codes), ",")
    return np.asarray(joined.to_numpy(zero_copy_only=False))


def _trace_codes(code: np.ndarray, serial: np.ndarray) -> np.ndarray:
    prod = 8_000_000 + (code * 7907) % 1_000_000
    ser = (np.maximum(serial, 0) * 7_654_321 + 1_234_567) % 10 ** 13
    import pyarrow.compute as pc

    a = pc.utf8_lpad(pa.array(prod).cast(pa.string()), 7, "0")
    b = pc.utf8_lpad(pa.array(ser).cast(pa.string()), 13, "0")
    return np.asarray(pc.binary_join_element_wise(a, b, "").to_numpy(zero_copy_only=False))


def _ids(prefix: str, num: np.ndarray, width: int) -> pa.Array:
    import pyarrow.compute as pc

    s = pc.utf8_lpad(pa.array(num.astype(np.int64) + 1).cast(pa.string()), width, "0")
    return pc.binary_join_element_wise(pa.scalar(prefix), s, "")


def _ts(sec_ordinal: np.ndarray) -> pa.Array:
    return pa.array((sec_ordinal - EPOCH * DAY).astype("datetime64[s]"), pa.timestamp("s"))


def _patients(w: World) -> pa.Table:
    p = w.pat
    return pa.table({
        "psn_no": p.psn_no, "psn_name": p.name, "certno": p.certno, "gend": p.gend.astype(str),
        "brdy": pa.array((p.brdy - EPOCH).astype("datetime64[D]")), "insutype": p.insutype.astype(str),
        "insu_admdvs": p.admdvs,
        "die_date": pa.array(np.where(p.die > 0, p.die - EPOCH, 0).astype("datetime64[D]"), mask=p.die == 0),
    })


def _institutions(w: World) -> pa.Table:
    i = w.inst
    return pa.table({
        "fixmedins_code": i.code, "fixmedins_name": i.name, "fixmedins_type": i.ftype,
        "medins_lv": pa.array(i.level.astype(np.int32)), "hosp_lv": pa.array(i.hosp_lv, pa.string()),
        "admdvs": [HOME] * len(i.code), "designation_date": pa.array(i.designation, pa.date32()),
        "guidance_flag": pa.array(i.guidance), "guidance_extended_flag": pa.array(i.extended),
        "regional_center_flag": pa.array(i.regional),
    })


#: GB/T 8561 title codes given to synthetic staff by role (a platform's staff export has no role column)
TITLES = {"医师": ("231", "232", "233", "234"), "药师": ("242", "243", "244")}


def _staff(w: World) -> pa.Table:
    s = w.staff
    dept_codes = [d for d, _ in DEPTS]
    dept_names = [n for _, n in DEPTS]
    return pa.table({
        "staff_code": s.code, "staff_name": s.name, "role": s.role,
        "fixmedins_code": pa.array(np.array(w.inst.code)[s.inst]),
        "dept_code": pa.array([dept_codes[d] if d >= 0 else None for d in s.dept.tolist()], pa.string()),
        "dept_name": pa.array([dept_names[d] if d >= 0 else None for d in s.dept.tolist()], pa.string()),
        "profttl": pa.array([TITLES[r][k % len(TITLES[r])] for k, r in enumerate(s.role)], pa.string()),
        "pay_qual_stas": pa.array([q or None for q in s.qual], pa.string()),
        "pay_qual_begndate": pa.array([dt.date.fromordinal(b) if b else None for b in s.qual_begin], pa.date32()),
        "pay_qual_enddate": pa.array([dt.date.fromordinal(b) if b else None for b in s.qual_end], pa.date32()),
    })


def generate(config: SynthConfig) -> SynthResult:
    """Generate one synthetic region with labelled injected violations (deterministic for a seed)."""
    from . import boundary  # noqa: F401 - registers the near-miss, boundary and co-occurrence schemes
    from .schemes import CLEAN_PASSES, SCHEMES, run_schemes

    if config.patients < 10 or config.months < 1:
        raise InputError("参保人数须 ≥ 10，月数须 ≥ 1 / need at least 10 patients and 1 month")
    unknown = sorted(set(config.rates) - set(SCHEMES))
    if unknown:
        raise InputError(f"未知违规类型 / unknown violation type: {', '.join(unknown)}")
    rng = np.random.default_rng(config.seed)
    kb = KB(_knowledge(config))
    templates, dise_list = build_templates(kb, np.random.default_rng([config.seed, 1]))
    if not templates:
        raise InputError("知识库不足以生成就诊 / the knowledge base yields no usable clinical template")
    start = config.start.replace(day=1)
    end = _month_add(start, config.months)
    inst = make_institutions(config.patients, start, rng)
    staff = make_staff(inst, rng)
    add_status_staff(staff, inst, start.toordinal())
    pat = make_patients(config.patients, start, config.months, rng)
    _register_chronic(pat, templates, dise_list, start.toordinal(), rng)
    w = World(kb, rng, templates, inst, staff, pat, Codes(kb), start.toordinal(), end.toordinal(), dise_list)
    w.set_encounters(schedule(w, config), spare=max(1024, config.patients // 5))
    injected: dict[str, int] = {}
    if config.violations:
        injected.update(run_schemes(w, config.rates, phase="encounter"))
    expand(w)
    if config.violations:
        injected.update(run_schemes(w, config.rates, phase="line"))
    for keep_clean in CLEAN_PASSES:
        keep_clean(w)
    add_refunds(w)
    tables, labels = finalize(w)
    return SynthResult(tables, labels, config, {k: v for k, v in injected.items()})


def _register_chronic(pat: Any, templates: list[Any], dise_list: list[str], start: int, rng: np.random.Generator) -> None:
    if not dise_list:
        return
    age = ages_at(pat.brdy, np.full(len(pat.brdy), start))
    cand = np.flatnonzero((age >= 35) & (rng.random(len(age)) < 0.12))
    cache: dict[tuple[int, int], list[int]] = {}
    for i in cand.tolist():
        g, a = int(pat.gend[i]), int(age[i])
        ok = cache.get((g, a))
        if ok is None:
            ok = cache[(g, a)] = [k for k, d in enumerate(dise_list) if any(
                t.dise_no == d and t.code_gender in (0, g) and t.age_lo <= a and a + 1 < t.age_hi for t in templates)]
        if ok:
            pat.dise[i] = ok[int(rng.integers(len(ok)))]


def write(result: SynthResult, out: Path | str, fmt: str = "parquet") -> list[Path]:
    """Write the canonical tables in ``fmt`` and ``labels.parquet`` to ``out``."""
    from .io import write_tables

    return write_tables(result.tables, result.labels, Path(out), fmt)
