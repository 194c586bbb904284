"""A plain-Python reference statement of docs/rule-semantics.md, used to keep clean data clean.

Every clinical template is run through :func:`findings` (encounter-local rules) before it is stamped
out, and every line-level injection is checked to produce exactly the findings it is labelled with;
while generating, cross-encounter rules (stays, history look-backs, traceability codes across
encounters) are enforced structurally by the scheduler and the schemes. :func:`region_findings`
states those too, over a whole region's tables; it is what tests/synth/test_checker_agrees.py runs
on every golden case of the templates in :data:`SCOPE` (and on generated regions), so the oracle is
checked against the golden cases rather than trusted.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from medaudit.engine.prepare import TRACE_SEPARATORS

from .kb import KB, Drug, Item

#: drug_over_days defaults by visit type (rule params in docs/rule-semantics.md)
DAYS_LIMIT = {"outpatient": 7, "emergency": 3, "chronic": 84, "pharmacy": 30}
DISCHARGE_DAYS = 7
LOOKBACK_DAYS = 90  # drug_second_line
MIN_PARTS = 2  # decomposed_charge
MAX_LOS_DAYS = 60  # abnormal_los
MAX_GAP_DAYS = 15  # split_admission
MIN_LOS_DAYS = 3  # fee_bulk_upload
MIN_LINES = 5  # fee_bulk_upload


@dataclass(frozen=True)
class Params:
    """The rule parameters the checker reads (the templates' defaults unless a case overrides one)."""

    days_limit: dict[str, int] = field(default_factory=lambda: dict(DAYS_LIMIT))
    discharge_days: int = DISCHARGE_DAYS
    lookback_days: int = LOOKBACK_DAYS
    min_parts: int = MIN_PARTS
    max_los_days: int = MAX_LOS_DAYS
    max_gap_days: int = MAX_GAP_DAYS
    count_both_ends: int = 0  # item_over_los
    min_los_days: int = MIN_LOS_DAYS
    min_lines: int = MIN_LINES
    #: the overrides of a template the fields above do not name (template families' own checks read
    #: them through :meth:`get`, with their own defaults)
    given: dict[str, Any] = field(default_factory=dict)

    def get(self, name: str, default: int) -> int:
        return int(self.given.get(name, default))

    def get_str(self, name: str, default: str) -> str:
        """A text parameter (e.g. a list of codes) of the instance, or ``default``."""
        return str(self.given.get(name, default))

    @classmethod
    def of(cls, template: str, given: dict[str, int]) -> Params:
        """The parameters of one rule instance (``given`` are that template's overrides)."""
        if template == "drug_over_days":
            days = {vt: int(given.get(f"{vt}_days", n)) for vt, n in DAYS_LIMIT.items()}
            return cls(days_limit=days, discharge_days=int(given.get("discharge_days", DISCHARGE_DAYS)))
        if template == "drug_second_line":
            return cls(lookback_days=int(given.get("lookback_days", LOOKBACK_DAYS)))
        if template == "decomposed_charge":
            return cls(min_parts=int(given.get("min_parts", MIN_PARTS)))
        if template == "abnormal_los":
            return cls(max_los_days=int(given.get("max_los_days", MAX_LOS_DAYS)))
        if template == "split_admission":
            return cls(max_gap_days=int(given.get("max_gap_days", MAX_GAP_DAYS)))
        if template == "item_over_los":
            return cls(count_both_ends=int(given.get("count_both_ends", 0)))
        if template == "fee_bulk_upload":
            return cls(min_los_days=int(given.get("min_los_days", MIN_LOS_DAYS)),
                       min_lines=int(given.get("min_lines", MIN_LINES)))
        return cls(given=dict(given))


DEFAULTS = Params()


@dataclass
class Line:
    seq: int
    code: str
    ctype: str
    day: int  # date ordinal of fee_day
    t: int  # seconds, tie order with seq
    cnt: int
    pric: int
    drug: Drug | None = None
    item: Item | None = None
    prd_days: int | None = None
    dose: int | None = None
    dose_unit: str | None = None
    drord: str | None = None
    trac: str | None = None
    trdn: bool = False
    selfpay: bool = False
    dept: str | None = None
    #: further fee-line fields a template family's check reads (e.g. ``dr_code``), by canonical name
    attrs: dict[str, Any] = field(default_factory=dict)

    @property
    def amt(self) -> int:
        return (self.cnt * self.pric + 500) // 1000


@dataclass
class Ctx:
    visit_type: str
    level: int
    gend: str
    brdy: int  # date ordinal
    diags: list[str]
    dept: str | None
    dise_no: str | None = None
    #: 'first_line_history': drug classes with first-line use earlier in the patient's history
    extra: dict[str, dict[str, bool]] = field(default_factory=dict)
    #: further encounter, patient and institution fields a family's check reads (e.g. ``insutype``)
    attrs: dict[str, Any] = field(default_factory=dict)


def age_at(brdy: int, day: int) -> int:
    b, d = dt.date.fromordinal(brdy), dt.date.fromordinal(day)
    return d.year - b.year - ((d.month, d.day) < (b.month, b.day))


def drug_days_limit(drug: Drug | None, visit_type: str, params: Params | None = None) -> int:
    if drug is not None and drug.max_days is not None:
        return drug.max_days
    p = params or DEFAULTS
    return p.discharge_days if visit_type == "inpatient" else p.days_limit[visit_type]


def findings(kb: KB, ctx: Ctx, lines: list[Line], params: Params = DEFAULTS) -> set[tuple[str, int]]:
    """(violation_type, seq of the offending line) for every encounter-local rule."""
    out: set[tuple[str, int]] = set()
    order = sorted(lines, key=lambda x: (x.t, x.seq))
    paid = [ln for ln in order if not ln.selfpay]
    ages: dict[int, int] = {}
    uncatalogued: set[str] = set()
    for ln in paid:
        age = ages.get(ln.day)
        if age is None:
            age = ages[ln.day] = age_at(ctx.brdy, ln.day)
        d, it = ln.drug, ln.item
        if d is None and it is None and ln.ctype != "08" and ln.code not in uncatalogued:
            uncatalogued.add(ln.code)  # one finding per code and encounter, on its first line
            out.add(("not_in_catalogue", ln.seq))
        if _is_drug(ln) and ln.prd_days is not None and (ctx.visit_type != "inpatient" or ln.drord == "1") \
                and ln.prd_days > drug_days_limit(d, ctx.visit_type, params):
            out.add(("drug_over_days", ln.seq))
        if d is not None:
            if d.gender and ctx.gend in ("1", "2") and ctx.gend != d.gender and not kb.gender_exempt(ln.code):
                out.add(("drug_gender", ln.seq))
            if (d.age_min is not None and age < d.age_min) or (d.age_max is not None and age >= d.age_max):
                out.add(("drug_age", ln.seq))
            if d.indications and not any(g.startswith(p) for g in ctx.diags for p in d.indications):
                out.add(("drug_indication", ln.seq))
            if d.min_level is not None and d.min_level > ctx.level:
                out.add(("drug_level", ln.seq))
            if d.visits and ctx.visit_type not in d.visits:
                out.add(("drug_visit_type", ln.seq))
            if d.max_dose is not None and ln.dose is not None and ln.dose > d.max_dose and ln.dose_unit == d.dose_unit:
                out.add(("drug_max_dose", ln.seq))
            if ctx.visit_type == "chronic" and ctx.dise_no in kb.chronic and d.prefix not in kb.chronic[ctx.dise_no]:
                out.add(("chronic_drug_scope", ln.seq))
            if d.second_line and not _first_line_before(ln, order, params.lookback_days) \
                    and not ctx.extra.get("first_line_history", {}).get(d.drug_class or ""):
                out.add(("drug_second_line", ln.seq))
        if it is not None:
            if it.gender and ctx.gend in ("1", "2") and ctx.gend != it.gender and not kb.gender_exempt(ln.code):
                out.add(("item_gender", ln.seq))
            cap = it.cap(ctx.level)
            if cap is not None and ln.pric > cap:
                out.add(("over_price", ln.seq))
            if it.indications and not any(g.startswith(p) for g in ctx.diags for p in it.indications) or it.depts and ln.dept not in it.depts and ctx.dept not in it.depts:
                out.add(("item_indication", ln.seq))
    # pairs on the same day
    # (the earlier line of a pair may be self-paid; the later, reported one may not)
    by_day: dict[int, list[Line]] = {}
    for ln in order:
        by_day.setdefault(ln.day, []).append(ln)
    for all_day in by_day.values():
        day_lines = [ln for ln in all_day if not ln.selfpay]
        drugs = [ln for ln in all_day if _is_drug(ln)]
        for j, b in enumerate(drugs):
            if b.selfpay:
                continue
            for a in drugs[:j]:
                if a.drug is not None and b.drug is not None and a.drug.ingredient \
                        and a.drug.ingredient == b.drug.ingredient and a.drug.prefix != b.drug.prefix:
                    out.add(("drug_duplicate", b.seq))
                if kb.contraindicated(a.code, b.code):
                    out.add(("drug_contraindication", b.seq))
        # frequency per (item, day): the line on which the running count first exceeds the limit
        for ln in _first_over(day_lines, lambda it: it.max_per_day):
            out.add(("item_over_freq", ln.seq))
        out |= {("decomposed_charge", seq) for seq in _decomposed(kb, all_day, params.min_parts)}
    for ln in _first_over(paid, lambda it: it.max_per_encounter):
        out.add(("item_over_freq", ln.seq))
    rels = kb.relations
    a_side: dict[int, list[Line]] = {}
    for ln in paid:
        for k in kb.rel_sides(ln.code)[0]:
            if rels[k].relation in ("exclusive", "included"):
                a_side.setdefault(k, []).append(ln)
    for b in paid:
        for k in kb.rel_sides(b.code)[1]:
            if k in a_side and any(a is not b and (rels[k].time_window_day is False or a.day == b.day) for a in a_side[k]):
                out.add(("duplicate_charge", b.seq))
    out |= {("duplicate_trace_code", seq) for seq in trace_repeats(order)}
    for check in LOCAL_CHECKS:
        out |= check(kb, ctx, order, params)
    return out


#: encounter-local checks of template families stated in their own modules (``synth/checks_*.py``):
#: ``check(kb, ctx, lines sorted by (t, seq), params) -> {(violation_type, seq)}``
LocalCheck = Callable[[KB, Ctx, list[Line], Params], set[tuple[str, int]]]
LOCAL_CHECKS: list[LocalCheck] = []


DRUG_TYPES = ("09", "10", "11")


def _is_drug(ln: Line) -> bool:
    """A drug line: matched to the drug catalogue, or billed under a drug charge type."""
    return ln.drug is not None or ln.ctype in DRUG_TYPES


def _decomposed(kb: KB, day: list[Line], min_parts: int) -> set[int]:
    """分解收费 on one day: a paid component line of a panel, when ``min_parts`` distinct components
    (each line counted under its longest matching component prefix) of that panel are billed that
    day and no line matching the panel's prefix came before it (time, seq)."""
    rels = kb.relations
    comp: dict[int, dict[str, str]] = {}  # seq -> panel -> longest component prefix
    for ln in day:
        if ln.selfpay:
            continue
        for k in kb.rel_sides(ln.code)[1]:
            r = rels[k]
            if r.relation == "decomposed":
                best = comp.setdefault(ln.seq, {}).get(r.code_a)
                if best is None or (-len(r.code_b), r.code_b) < (-len(best), best):
                    comp[ln.seq][r.code_a] = r.code_b
    parts: dict[str, set[str]] = {}
    for by_panel in comp.values():
        for panel, c in by_panel.items():
            parts.setdefault(panel, set()).add(c)
    out: set[int] = set()
    for ln in day:
        for panel in comp.get(ln.seq, {}):
            if len(parts[panel]) >= min_parts and not any(
                    o.code.startswith(panel) and (o.t, o.seq) < (ln.t, ln.seq) for o in day):
                out.add(ln.seq)
    return out


def _first_over(lines: list[Line], limit: Callable[[Item], int | None]) -> list[Line]:
    """Per item, the line (in time, seq order) whose running count first exceeds ``limit`` units."""
    run: dict[str, int] = {}
    out: list[Line] = []
    for ln in lines:
        it = ln.item
        n = None if it is None else limit(it)
        if it is None or n is None:
            continue
        before = run.get(it.prefix, 0)
        run[it.prefix] = before + ln.cnt
        if before <= n * 1000 < run[it.prefix]:
            out.append(ln)
    return out


def _first_line_before(ln: Line, lines: list[Line], lookback_days: int) -> bool:
    """Whether a first-line drug of the class was used before ``ln`` (time, seq) within the look-back;
    self-paid uses count. A drug without a class has no first-line peer."""
    d = ln.drug
    assert d is not None
    if d.drug_class is None:
        return False
    return any(o.drug is not None and o.drug.drug_class == d.drug_class and not o.drug.second_line
               and (o.t, o.seq) < (ln.t, ln.seq) and ln.day - o.day <= lookback_days for o in lines)


def trace_repeats(lines: list[Line]) -> set[int]:
    """Seqs of lines re-selling a box code: every box of a line is one sale; a later whole-box sale
    of a code sold before repeats it, a later split (拆零) sale repeats it only once the box was sold
    whole. Self-paid lines count as sold but are not findings."""
    seen: dict[str, bool] = {}  # code -> sold whole at least once
    out: set[int] = set()
    for ln in sorted(lines, key=lambda x: (x.t, x.seq)):
        if not ln.trac:
            continue
        for code in (c for c in re.split(TRACE_SEPARATORS, ln.trac.strip()) if c):
            if code in seen and (not ln.trdn or seen[code]) and not ln.selfpay:
                out.add(ln.seq)
            seen[code] = seen.get(code, False) or not ln.trdn
    return out


@dataclass
class Visit:
    """One encounter as the checker sees it: who, in what context, which lines."""

    key: str
    psn: str
    ctx: Ctx
    lines: list[Line]
    inst: str = ""
    adm: int = 0  # date ordinals: admission (visit) day, discharge day, settlement day
    dscg: int | None = None  # None: a stay not yet discharged
    setl: int = 0
    die: int | None = None  # the patient's date of death
    adm_t: int | None = None  # admission and discharge times in seconds (fee-time scale), when known
    dscg_t: int | None = None

    @property
    def end(self) -> float:
        """Last day of the encounter (an open stay never ends)."""
        return float("inf") if self.dscg is None else self.dscg


#: rules whose statement spans encounters: the region check recomputes them over all lines
CROSS_ENCOUNTER: tuple[str, ...] = ("drug_second_line", "duplicate_trace_code")


def patient_lines(visits: list[Visit]) -> tuple[dict[int, str], dict[str, list[Line]]]:
    """(line seq → its visit key, patient → every line of theirs): what a check across a patient's
    encounters (any institution) reads, and how its findings go back to the visit that holds them."""
    owner: dict[int, str] = {}
    by_psn: dict[str, list[Line]] = {}
    for v in visits:
        for ln in v.lines:
            owner[ln.seq] = v.key
        by_psn.setdefault(v.psn, []).extend(v.lines)
    return owner, by_psn


def region_findings(kb: KB, visits: list[Visit], params: Params = DEFAULTS) -> set[tuple[str, str, int]]:
    """(violation_type, visit key, seq) over a whole region: the encounter-local rules of
    :func:`findings` per visit, plus the look-back of 限二线用药 over the patient's history (every
    encounter, any institution) and 重复追溯码 over every sale in the region."""
    out: set[tuple[str, str, int]] = set()
    owner, by_psn = patient_lines(visits)
    for v in visits:
        out |= {(t, v.key, seq) for t, seq in findings(kb, v.ctx, v.lines, params) if t not in CROSS_ENCOUNTER}
    for v in visits:
        history = by_psn[v.psn]
        for ln in v.lines:
            d = ln.drug
            if d is not None and d.second_line and not ln.selfpay \
                    and not _first_line_before(ln, history, params.lookback_days):
                out.add(("drug_second_line", v.key, ln.seq))
    every = [ln for v in visits for ln in v.lines]
    out |= {("duplicate_trace_code", owner[seq], seq) for seq in trace_repeats(every)}
    for v in visits:
        out |= {(t, v.key, seq) for t, seq in stay_line_findings(v, params)}
    for check in REGION_CHECKS:
        out |= check(kb, visits, params)
    return out | {(t, key, -1) for t, key in stay_findings(visits, params)}


#: region-level checks of template families (history across encounters, stays, cohorts):
#: ``check(kb, visits, params) -> {(violation_type, visit key, seq)}``, seq -1 for an encounter-level one
RegionCheck = Callable[[KB, list[Visit], Params], set[tuple[str, str, int]]]
REGION_CHECKS: list[RegionCheck] = []


def _minute(t: int) -> tuple[int, bool]:
    """(minute number, has a time of day): 00:00 is read as a date-only export."""
    return t // 60, t % 86400 >= 60


def stay_line_findings(v: Visit, params: Params = DEFAULTS) -> set[tuple[str, int]]:
    """(violation_type, seq) of the line rules that read a stay's admission and discharge:
    费用日期不在就诊期间, 费用集中上传, 项目超住院天数."""
    out: set[tuple[str, int]] = set()
    if v.ctx.visit_type != "inpatient" or v.adm_t is None:
        return out
    paid = sorted((ln for ln in v.lines if not ln.selfpay), key=lambda x: (x.t, x.seq))
    adm_m, _ = _minute(v.adm_t)
    for ln in paid:
        fee_m, fee_timed = _minute(ln.t)
        before = fee_m < adm_m if fee_timed else ln.day < v.adm
        after = False
        if v.dscg_t is not None and v.dscg is not None:
            dscg_m, dscg_timed = _minute(v.dscg_t)
            after = fee_m > dscg_m if dscg_timed else ln.day > v.dscg
        if before or after:
            out.add(("fee_outside_stay", ln.seq))
    if v.dscg is None:
        return out
    los = v.dscg - v.adm
    if paid and los >= params.min_los_days and len(paid) >= params.min_lines \
            and len({ln.day for ln in paid}) == 1:
        out.add(("fee_bulk_upload", paid[0].seq))
    # 项目超住院天数: per item, beds (charge type 01 billed by the day) all together
    groups: dict[str, list[Line]] = {}
    for ln in paid:
        it = ln.item
        if it is None or it.unit not in ("日", "小时"):
            continue
        bed = ln.ctype == "01" and it.unit == "日"
        groups.setdefault("bed" if bed else it.prefix, []).append(ln)
    for lines in groups.values():
        unit = lines[0].item.unit if lines[0].item is not None else ""
        if unit == "小时":
            allowed = (los + 1) * 24
        else:
            allowed = los + 1 if params.count_both_ends == 1 else max(los, 1)
        run = 0
        for ln in lines:
            if run <= allowed * 1000 < run + ln.cnt:
                out.add(("item_over_los", ln.seq))
            run += ln.cnt
    return out


def stay_findings(visits: list[Visit], params: Params = DEFAULTS) -> set[tuple[str, str]]:
    """(violation_type, visit key) of the encounter-level rules: dates of visits and stays only."""
    out: set[tuple[str, str]] = set()
    stays: dict[str, list[Visit]] = {}
    for v in visits:
        if v.die is not None and v.adm > v.die:
            out.add(("after_death", v.key))
        if v.ctx.visit_type == "inpatient":
            stays.setdefault(v.psn, []).append(v)
            if v.dscg is not None and v.dscg - v.adm > params.max_los_days:
                out.add(("abnormal_los", v.key))
    for own in stays.values():
        own.sort(key=lambda s: (s.adm, s.key))
        for j, b in enumerate(own):
            # 同时住院: overlaps an earlier-admitted stay by at least one day (touching stays do not)
            if any(a.adm < b.end and b.adm < a.end for a in own[:j]):
                out.add(("concurrent_stay", b.key))
            # 分解住院: readmitted to the same institution 0..max_gap days after the previous discharge
            prev = [a for a in own[:j] if a.inst == b.inst]
            if prev and prev[-1].dscg is not None and 0 <= b.adm - prev[-1].dscg <= params.max_gap_days:
                out.add(("split_admission", b.key))
    for v in visits:
        # 住院期间门诊: settled strictly inside a stay (not on its admission or discharge day)
        if v.ctx.visit_type != "inpatient" and any(s.adm < v.setl < s.end for s in stays.get(v.psn, [])):
            out.add(("outpatient_during_stay", v.key))
    return out


#: Which rule templates the checker states. ``None``: in scope — the checker must agree with every
#: golden case of the template (tests/synth/test_checker_agrees.py). A string: out of scope, with the
#: reason; the generator then keeps such labels right by construction (scheduler and schemes), and
#: tests/synth/test_labels.py checks each label against the tables independently.
SCOPE: dict[str, str | None] = {
    **{t: None for t in (
        "not_in_catalogue", "drug_gender", "drug_age", "drug_indication", "drug_level", "drug_visit_type",
        "drug_max_dose", "drug_over_days", "chronic_drug_scope", "drug_second_line", "item_gender",
        "over_price", "item_indication", "drug_duplicate", "drug_contraindication", "item_over_freq",
        "decomposed_charge", "duplicate_charge", "duplicate_trace_code", "outpatient_during_stay",
        "concurrent_stay", "split_admission", "abnormal_los", "after_death", "fee_outside_stay",
        "fee_bulk_upload", "item_over_los")},
    "guidance_remote": "encounter-level: institution status and insured region; the scheduler never sends a remote patient to a guidance-period institution",
    "low_standard_admission": "encounter-level: fee shares of a whole stay; only the low-standard templates (scheme only) reach them",
    "dq_master_missing": "data quality of the tables (missing master rows), not a claim rule; generated tables are complete",
    "dq_trace_count": "data quality of the 追溯码 field (code count vs quantity); the generator writes one code per box",
    # the DRG rules read the grouper's output (medaudit.drg, its own golden cases); restating CHS-DRG
    # grouping here would be a second grouper, not a second statement of the rules
    "drg_split_admission": "reads the stays' ADRG from the CHS-DRG grouper (medaudit.drg), which the checker does not restate",
    "drg_ungroupable": "the grouper's own status (无法入组/歧义): tested by the grouper's golden cases, not restated here",
    "drg_cc_unsupported": "reads the MCC/CC that split the stay's DRG from the grouper, which the checker does not restate",
}


from . import checks as _checks  # noqa: E402, F401 - registers the template families' checks
