"""Clinical templates: one plausible visit (diagnoses + prescriptions + services), checked to be clean.

A template is built in Python from a condition (a real ICD-10 block with its typical visit types,
department, sex and age) and the knowledge rows compatible with it, then run through the reference
checker at its extreme context. The vectorised expansion stamps templates onto thousands of
encounters, so the expensive reasoning happens once per template, not once per line.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from . import refcodes
from .checker import DAYS_LIMIT, DISCHARGE_DAYS, Ctx, Line, findings
from .checks.charging import item_min_level
from .kb import KB, Drug, Item

VISIT_TYPES = ("outpatient", "emergency", "chronic", "inpatient", "pharmacy")
VT = {v: i for i, v in enumerate(VISIT_TYPES)}

#: (code, name) of the departments used (national 诊疗科目 codes)
DEPTS: tuple[tuple[str, str], ...] = (
    ("A02", "全科医疗科"), ("A03", "内科"), ("A04", "外科"), ("A05", "妇产科"), ("A07", "儿科"),
    ("A10", "眼科"), ("A11", "耳鼻咽喉科"), ("A13", "皮肤科"), ("A19", "肿瘤科"), ("A20", "急诊医学科"),
    ("A21", "康复医学科"), ("A50", "中医科"), ("A05.01", "妇科"), ("A05.02", "产科"), ("A12", "口腔科"),
    ("A15", "精神科"), ("A07.01", "新生儿科"),
)

MODE_ONCE, MODE_DAILY, MODE_COURSE, MODE_DISCHARGE = 0, 1, 2, 3

#: items clean templates must not use, registered by template families whose rule the per-template
#: check cannot see (e.g. a per-patient window across visits, which random visit days would break):
#: ``excluded(kb, item) -> bool``; the family's schemes then inject those items on purpose
CLEAN_ITEM_EXCLUSIONS: list[Callable[[KB, Item], bool]] = []


@dataclass(frozen=True)
class Condition:
    name: str
    icd: tuple[str, ...]
    visits: tuple[str, ...]
    dept: str
    ages: tuple[int, int] = (0, 100)
    gender: str | None = None
    winter: float = 1.0
    weight: float = 1.0
    los: tuple[int, int] = (5, 12)
    procs: tuple[str, ...] = ()


OP, EM, CH, IP, PH = VISIT_TYPES
CONDITIONS: tuple[Condition, ...] = (
    Condition("上呼吸道感染", ("J06.9", "J00", "J02.9", "J03.9"), (OP, EM, PH), "A03", winter=2.2, weight=6),
    Condition("儿童上呼吸道感染", ("J06.9", "J02.9", "J20.9"), (OP, EM), "A07", (1, 14), winter=2.2, weight=4),
    Condition("急性支气管炎", ("J20", "J40"), (OP, EM), "A03", winter=2.0, weight=3),
    Condition("肺炎", ("J18", "J15"), (OP, IP), "A03", winter=2.0, weight=2, los=(5, 12)),
    Condition("儿童肺炎", ("J18",), (IP,), "A07", (1, 14), winter=2.0, weight=1.2, los=(5, 10)),
    Condition("高血压", ("I10",), (OP, PH), "A03", (35, 100), weight=4),
    Condition("2型糖尿病", ("E11",), (OP, IP, PH), "A03", (35, 100), weight=3, los=(6, 12)),
    Condition("冠心病", ("I25", "I20"), (OP, IP), "A03", (40, 100), weight=2, los=(5, 10), procs=("00.66", "36.07")),
    Condition("脑梗死", ("I63",), (IP,), "A03", (45, 100), weight=1.2, los=(8, 20)),
    Condition("慢性胃炎", ("K29",), (OP, PH), "A03", (14, 100), weight=3),
    Condition("胃肠炎", ("A09", "K52.9"), (OP, EM), "A03", weight=2),
    Condition("胆囊结石", ("K80",), (IP,), "A04", (25, 100), weight=0.8, los=(5, 9), procs=("51.23",)),
    Condition("阑尾炎", ("K35",), (EM, IP), "A04", (8, 80), weight=0.6, los=(4, 8), procs=("47.01", "47.09")),
    Condition("腰背痛", ("M54",), (OP, PH), "A04", (18, 100), weight=2),
    Condition("膝关节病", ("M17",), (OP,), "A04", (45, 100), weight=1.5),
    Condition("慢阻肺", ("J44",), (OP, IP), "A03", (45, 100), winter=1.6, weight=1.2, los=(7, 14)),
    Condition("分娩", ("O80", "O82", "O70"), (IP,), "A05.02", (20, 42), "2", weight=0.8, los=(4, 7), procs=("73.59", "74.1")),
    Condition("妊娠期检查", ("Z34", "Z35"), (OP,), "A05.02", (20, 42), "2", weight=0.8),
    Condition("阴道炎", ("N76",), (OP,), "A05.01", (18, 70), "2", weight=1.0),
    Condition("前列腺增生", ("N40",), (OP, IP), "A04", (50, 100), "1", weight=0.8, los=(5, 9), procs=("60.29",)),
    Condition("乳腺恶性肿瘤", ("C50",), (IP,), "A19", (30, 85), "2", weight=0.4, los=(6, 14), procs=("85.4",)),
    Condition("肺恶性肿瘤", ("C34",), (IP,), "A19", (40, 90), weight=0.4, los=(7, 16)),
    Condition("新生儿黄疸", ("P59",), (IP,), "A07.01", (0, 1), weight=0.3, los=(4, 7)),
    Condition("股骨骨折", ("S72",), (IP,), "A04", (50, 100), weight=0.4, los=(10, 20), procs=("79.35", "81.52")),
    Condition("白内障", ("H25",), (OP, IP), "A10", (50, 100), weight=0.6, los=(4, 5), procs=("13.41",)),
    Condition("湿疹皮炎", ("L30", "L20"), (OP, PH), "A13", weight=1.2),
    Condition("慢性鼻炎", ("J31",), (OP,), "A11", (6, 100), weight=1.0),
    Condition("牙髓炎", ("K04.0", "K02"), (OP,), "A12", (6, 100), weight=1.2),
    Condition("精神分裂症", ("F20",), (OP,), "A15", (18, 80), weight=0.3),
    Condition("腰痛(中医)", ("M54",), (OP,), "A50", (18, 100), weight=1.0),
    Condition("骨质疏松", ("M81",), (OP,), "A03", (50, 100), weight=0.6),
    Condition("失眠", ("G47.0", "F51.0"), (OP,), "A03", (18, 100), weight=0.8),
    Condition("脑卒中后遗症康复", ("I69",), (OP, IP), "A21", (45, 100), weight=0.5, los=(10, 25)),
)

#: chronic 病种 names (substring) -> ICD-10 prefixes, for registering 门慢门特 patients
CHRONIC_ICD: tuple[tuple[str, tuple[str, ...], tuple[int, int]], ...] = (
    ("高血压", ("I10", "I11"), (35, 100)), ("糖尿病", ("E11",), (35, 100)), ("冠心病", ("I25",), (40, 100)),
    ("慢性阻塞", ("J44",), (45, 100)), ("慢阻肺", ("J44",), (45, 100)), ("脑梗", ("I63", "I69"), (45, 100)),
    ("脑卒中", ("I69",), (45, 100)), ("肾", ("N18",), (20, 100)), ("精神分裂", ("F20",), (18, 100)),
    ("帕金森", ("G20",), (50, 100)), ("类风湿", ("M06",), (20, 100)), ("肝硬化", ("K74",), (30, 100)),
    ("哮喘", ("J45",), (6, 100)), ("甲状腺", ("E03", "E05"), (18, 100)), ("骨质疏松", ("M81",), (50, 100)),
    ("肝炎", ("B18",), (18, 100)), ("脑血管病", ("I69",), (45, 100)),
    ("心力衰竭", ("I50",), (40, 100)), ("癫痫", ("G40",), (6, 100)), ("结核", ("A15",), (15, 100)),
    ("恶性肿瘤", ("C34", "C16", "C18"), (40, 100)), ("白血病", ("C92",), (5, 90)),
)


@dataclass
class TLine:
    drug: Drug | None
    item: Item | None
    mode: int
    cnt: int
    day_off: int = 0
    k: int = 1
    prd_days: int | None = None
    dose: int | None = None
    drord: str | None = None


@dataclass
class Template:
    idx: int
    visit_type: str
    dept: str
    gender: str | None
    age_lo: int
    age_hi: int
    min_level: int
    weight: float
    winter: float
    diag_alts: list[list[str]]
    lines: list[TLine]
    los: tuple[int, int] = (0, 0)
    dise_no: str | None = None
    procs: list[str] = field(default_factory=list)
    special: str | None = None  # e.g. 'low_standard': used only by an injection scheme

    @property
    def code_gender(self) -> int:
        return 0 if self.gender is None else int(self.gender)


def _ranges_meet(lo: int, hi: int, amin: int | None, amax: int | None) -> tuple[int, int]:
    return max(lo, amin if amin is not None else 0), min(hi, amax if amax is not None else 200)


class TemplateBuilder:
    def __init__(self, kb: KB, rng: np.random.Generator):
        self.kb, self.rng = kb, rng
        self.dx = refcodes.diagnoses()
        self.px = refcodes.procedures()
        self.templates: list[Template] = []
        rel_codes = [(r.code_a, r.code_b) for r in kb.relations if r.relation in ("exclusive", "included")]
        panels = kb.tables.get("kb_item_panel")  # 组合项目 and its components (panel_duplicate)
        rel_codes += [] if panels is None else [(r["panel_prefix"], r["component_prefix"]) for r in panels.to_pylist()]
        self._pair_block = rel_codes
        self._components = {r.code_b: r.code_a for r in kb.relations if r.relation == "decomposed"}
        self._panels = {r.code_a for r in kb.relations if r.relation == "decomposed"}
        self.daily_cats: dict[str, list[Item]] = {}
        for it in kb.items:
            if it.category in ("01", "02", "07") and not self._excluded(it) and (it.max_per_encounter is None or it.max_per_encounter >= 100) \
                    and (it.max_per_day is None or it.max_per_day >= 1) and not it.indications and not it.depts \
                    and it.gender is None and it.age_min is None and it.age_max is None:
                self.daily_cats.setdefault(it.category, []).append(it)

    # -- diagnoses -----------------------------------------------------------------------------
    def _diag_codes(self, prefixes: tuple[str, ...], gender: str | None, lo: int, hi: int, n: int) -> list[str]:
        pool: list[str] = []
        for p in prefixes:
            for i in self.dx.with_prefix(p):
                c = self.dx.codes[i]
                g = refcodes.code_gender(c)
                a, b = refcodes.code_ages(c)
                if (g is None or g == gender) and a <= lo and hi <= b:
                    pool.append(c)
        if not pool:
            return []
        pick = self.rng.choice(len(pool), size=min(n, len(pool)), replace=False)
        return [pool[int(i)] for i in sorted(pick)]

    # -- compatibility -------------------------------------------------------------------------
    def _drug_ok(self, d: Drug, vt: str, gender: str | None, diags: list[str], dise: str | None,
                 ages: tuple[int, int] = (0, 200), allow_second: bool = False) -> bool:
        if d.insurance_only or d.lv == "丙" or (d.second_line and not allow_second):
            return False
        # 限支付疗程 counts across visits, 饮片 pay rules need the whole prescription: their schemes only
        if d.prefix in self.kb.course or d.category == "中药饮片":
            return False
        if (d.age_min is not None and d.age_min >= ages[1]) or (d.age_max is not None and d.age_max <= ages[0]):
            return False
        if d.visits and vt not in d.visits:
            return False
        if d.gender and d.gender != gender:
            return False
        if d.indications and not all(any(g.startswith(p) for p in d.indications) for g in diags[:1]):
            return False
        if d.indications and not diags:
            return False
        if vt == "chronic" and dise in self.kb.chronic and d.prefix not in self.kb.chronic[dise]:
            return False
        return d.code != ""

    def _excluded(self, it: Item) -> bool:
        return any(ex(self.kb, it) for ex in CLEAN_ITEM_EXCLUSIONS)

    def _item_ok(self, it: Item, gender: str | None, diags: list[str], dept: str) -> bool:
        if it.insurance_only or self._excluded(it):  # 限工伤/限生育: no synthetic encounter is of those insurances
            return False
        if it.gender and it.gender != gender:
            return False
        if it.indications and not (diags and any(diags[0].startswith(p) for p in it.indications)):
            return False
        return not (it.depts and dept not in it.depts)

    def _conflict(self, chosen: list[TLine], cand: TLine) -> bool:
        if cand.drug is not None:
            for t in chosen:
                if t.drug is None:
                    continue
                if t.drug.ingredient and t.drug.ingredient == cand.drug.ingredient:
                    return True
                if self.kb.contraindicated(t.drug.code, cand.drug.code):
                    return True
            return False
        assert cand.item is not None
        code = cand.item.code
        for t in chosen:
            if t.item is None:
                continue
            other = t.item.code
            if other == code:
                return True
            for a, b in self._pair_block:
                if (code.startswith(a) and other.startswith(b)) or (code.startswith(b) and other.startswith(a)):
                    return True
            for comp, panel in self._components.items():
                if code.startswith(comp) and (other.startswith(panel) or any(
                        other.startswith(c2) for c2, p2 in self._components.items() if p2 == panel)):
                    return True
                if other.startswith(comp) and code.startswith(panel):
                    return True
        return False

    # -- drug line parameters ------------------------------------------------------------------
    def _dose(self, d: Drug) -> int | None:
        if d.max_dose is None:
            return None
        frac = float(self.rng.choice([0.25, 0.5, 0.75, 1.0]))
        return max(1, int(d.max_dose * frac))

    def _drug_line(self, d: Drug, vt: str) -> TLine:
        if vt == "inpatient":
            return TLine(d, None, MODE_COURSE, 1000, k=int(self.rng.integers(3, 11)), prd_days=1, dose=self._dose(d))
        limit = DAYS_LIMIT[vt] if d.max_days is None else min(d.max_days, DAYS_LIMIT[vt])
        lo = min(limit, 28) if vt == "chronic" else 1
        days = int(self.rng.integers(lo, limit + 1))
        boxes = max(1, min(6, (days + 6) // 7))
        return TLine(d, None, MODE_ONCE, boxes * 1000, prd_days=days, dose=self._dose(d))

    # -- build ---------------------------------------------------------------------------------
    def build(self, cond_name: str, icd: tuple[str, ...], vt: str, dept: str, ages: tuple[int, int],
              gender: str | None, weight: float, winter: float, los: tuple[int, int], procs: tuple[str, ...],
              dise_no: str | None = None) -> Template | None:
        rng = self.rng
        lo, hi = ages
        if gender is None and rng.random() < 0.3:
            gender = "1" if rng.random() < 0.5 else "2"
        alts: list[list[str]] = []
        mains = self._diag_codes(icd, gender, lo, hi, 4) if vt != "pharmacy" else []
        if vt != "pharmacy" and not mains:
            return None
        for m in mains:
            alts.append([m])
        if not alts:
            alts = [[]]
        # a secondary diagnosis for some adult encounters (comorbid hypertension)
        if vt in ("inpatient", "chronic") and lo >= 35 and rng.random() < 0.4 and not icd[0].startswith("I10"):
            sec = self._diag_codes(("I10",), gender, lo, hi, 1)
            if sec:
                for a in alts:
                    a.append(sec[0])
        first = [a[0] for a in alts if a]
        lines: list[TLine] = []
        # drugs: prefer those whose indication matches every main diagnosis alternative
        cands = [d for d in self.kb.drugs if self._drug_ok(d, vt, gender, first, dise_no, (lo, hi))
                 and (not d.indications or all(any(f.startswith(p) for p in d.indications) for f in first))]
        if vt == "pharmacy":
            cands = [d for d in cands if not d.indications]
        if cands:
            w = np.array([4.0 if d.indications else 1.0 for d in cands])
            n_drugs = int(rng.integers(2, 6)) if vt == "inpatient" else int(rng.integers(1, 4))
            order = rng.choice(len(cands), size=len(cands), replace=False, p=w / w.sum())
            for i in order:
                if sum(1 for t in lines if t.drug) >= n_drugs:
                    break
                tl = self._drug_line(cands[int(i)], vt)
                if not self._conflict(lines, tl):
                    lines.append(tl)
        # a second-line drug after a first-line drug of its class (same day)
        if vt in ("inpatient", "outpatient") and rng.random() < 0.5:
            for d in self.kb.drugs:
                if not d.second_line or not d.drug_class:
                    continue
                firsts = [t for t in lines if t.drug and t.drug.drug_class == d.drug_class and not t.drug.second_line]
                if not firsts:
                    continue
                ok = self._drug_ok(d, vt, gender, first, dise_no, (lo, hi), allow_second=True) and (
                    not d.indications or all(any(f.startswith(p) for p in d.indications) for f in first))
                if ok:
                    tl = self._drug_line(d, vt)
                    if not self._conflict(lines, tl):
                        lines.append(tl)
                        break
        if vt == "chronic" and not lines:
            return None
        # services
        items_pool = [it for it in self.kb.items if self._item_ok(it, gender, first, dept)
                      and (it.age_min is None or it.age_min < hi) and (it.age_max is None or it.age_max > lo)]
        by_cat: dict[str, list[Item]] = {}
        for it in items_pool:
            by_cat.setdefault(it.category, []).append(it)

        def add_items(cats: tuple[str, ...], n: int, mode: int, day_hi: int = 0) -> None:
            pool = [it for c in cats for it in by_cat.get(c, [])]
            if not pool or n <= 0:
                return
            for i in rng.choice(len(pool), size=len(pool), replace=False):
                if n <= 0:
                    break
                it = pool[int(i)]
                tl = TLine(None, it, mode, 1000, day_off=int(rng.integers(0, day_hi + 1)))
                if not self._conflict(lines, tl):
                    lines.append(tl)
                    n -= 1

        if vt == "inpatient":
            for cat in ("01", "02", "07"):
                pool = self.daily_cats.get(cat, [])
                if pool:
                    it = pool[int(rng.integers(len(pool)))]
                    tl = TLine(None, it, MODE_DAILY, 1000)
                    if not self._conflict(lines, tl):
                        lines.append(tl)
            add_items(("03", "04"), int(rng.integers(2, 6)), MODE_ONCE, 2)
            add_items(("05",), int(rng.integers(1, 3)), MODE_ONCE, 2)
            add_items(("06", "08"), int(rng.integers(0, 2)) if procs else 0, MODE_ONCE, 1)
            drugs = [t for t in lines if t.drug and t.mode == MODE_COURSE]
            if drugs and rng.random() < 0.5:
                dd = drugs[0].drug
                assert dd is not None
                limit = DISCHARGE_DAYS if dd.max_days is None else min(dd.max_days, DISCHARGE_DAYS)
                lines.append(TLine(dd, None, MODE_DISCHARGE, 1000, prd_days=int(rng.integers(1, limit + 1)),
                                   dose=drugs[0].dose, drord="1"))
        elif vt != "pharmacy":
            add_items(("02", "12"), 1, MODE_ONCE)
            add_items(("03", "04"), int(rng.integers(0, 3)), MODE_ONCE)
            if vt == "emergency" or rng.random() < 0.3:
                add_items(("05",), 1, MODE_ONCE)
        if not lines:
            return None
        # narrow the age range to every restriction
        for t in lines:
            ref = t.drug if t.drug is not None else t.item
            assert ref is not None
            lo, hi = _ranges_meet(lo, hi, ref.age_min, ref.age_max)
            g = ref.gender
            if g is not None:
                gender = g
        if lo >= hi:
            return None
        min_level = max([t.drug.min_level or 0 for t in lines if t.drug] + [0])
        # items only institutions of some level can perform (kb_item_level) raise it too
        min_level = max([min_level] + [item_min_level(self.kb, t.item.prefix) for t in lines if t.item])
        if vt == "inpatient":
            min_level = max(min_level, 1)
        if vt == "emergency":
            min_level = max(min_level, 2)
        tmpl = Template(len(self.templates), vt, dept, gender, lo, hi, min_level, weight, winter, alts, lines,
                        los=los if vt == "inpatient" else (0, 0), dise_no=dise_no)
        if vt == "inpatient" and procs:
            for p in procs:
                idx = self.px.with_prefix(p)
                if idx:
                    tmpl.procs.append(self.px.codes[idx[int(rng.integers(len(idx)))]])
                    break
        # validate at the extremes; drop diagnosis alternatives that do not pass
        good = [a for a in alts if self._clean(tmpl, a)]
        if not good:
            return None
        tmpl.diag_alts = good
        self.templates.append(tmpl)
        return tmpl

    def build_low_standard(self) -> None:
        """Short 'check-up' stays: a bed per day and many examinations, no drugs (for 低标准入院)."""
        exams = [it for it in self.kb.items if it.category in ("03", "04") and not it.indications and not it.depts
                 and it.gender is None and it.age_min is None and it.age_max is None]
        beds = self.daily_cats.get("01", [])
        if len(exams) < 3 or not beds:
            return
        for icd in (("I10",), ("K29",), ("M54",), ("R51",), ("R10",)):
            for _ in range(3):
                mains = self._diag_codes(icd, None, 35, 80, 2)
                if not mains:
                    continue
                lines: list[TLine] = [TLine(None, beds[int(self.rng.integers(len(beds)))], MODE_DAILY, 1000)]
                for i in self.rng.choice(len(exams), size=len(exams), replace=False):
                    tl = TLine(None, exams[int(i)], MODE_ONCE, 1000, day_off=0)
                    if not self._conflict(lines, tl):
                        lines.append(tl)
                    if len(lines) >= 9:
                        break
                t = Template(len(self.templates), "inpatient", "A03", None, 35, 80, 1, 0.0, 1.0,
                             [[m] for m in mains], lines, los=(1, 3), special="low_standard")
                good = [a for a in t.diag_alts if self._clean(t, a)]
                if good:
                    t.diag_alts = good
                    self.templates.append(t)

    def _clean(self, t: Template, diags: list[str]) -> bool:
        import datetime as dt

        day0 = dt.date(2024, 1, 1).toordinal()
        # 11 days cover every course (<= 10 days); later days repeat the daily items only, whose
        # per-encounter caps were checked when the daily items were chosen
        los = (3 if t.special else 11) if t.visit_type == "inpatient" else 0
        lines = expand_for_check(t, day0, los)
        for gend in ([t.gender] if t.gender else ["1", "2"]):
            for age in {t.age_lo, t.age_hi - 1}:
                brdy = dt.date(2024 - age - 1, 6, 1).toordinal() if age > 0 else day0 - 40
                brdy = min(brdy, day0)
                ctx = Ctx(t.visit_type, t.min_level, gend, brdy, diags, t.dept, t.dise_no)
                found = findings(self.kb, ctx, lines)
                if found:
                    return False
        return True


def expand_for_check(t: Template, day0: int, los: int) -> list[Line]:
    out: list[Line] = []
    seq = 0
    for j, tl in enumerate(t.lines):
        days: list[int]
        if tl.mode == MODE_ONCE:
            days = [min(tl.day_off, max(los - 1, 0))]
        elif tl.mode == MODE_DAILY:
            days = list(range(los))
        elif tl.mode == MODE_COURSE:
            days = list(range(min(tl.k, los)))
        else:
            days = [los]
        ref_code = tl.drug.code if tl.drug is not None else tl.item.code  # type: ignore[union-attr]
        ctype = tl.drug.chrgitm_type if tl.drug is not None else tl.item.category  # type: ignore[union-attr]
        for d in days:
            seq += 1
            out.append(Line(seq, ref_code, ctype, day0 + d, (day0 + d) * 86400 + j * 60, tl.cnt, 1, tl.drug, tl.item,
                            tl.prd_days, tl.dose, tl.drug.dose_unit if tl.drug else None, tl.drord, dept=t.dept))
    return out
