"""The generator's working state: columnar encounters and lines plus the helpers schemes use.

Encounters and clean lines live in numpy arrays (the bulk, built vectorised); injected lines are a
short Python list on the side. Schemes read and extend this state through the helpers here, so a new
scheme is one function (see :mod:`medaudit.synth.schemes`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from medaudit.schema.codes import VISIT_MED_TYPE

from .checker import Ctx, Line, Visit
from .edits import AddRow, Edit
from .kb import KB, Drug, Item
from .population import Institutions, Patients, Staff, ages_at
from .templates import (
    DEPTS,
    MODE_COURSE,
    MODE_DAILY,
    MODE_DISCHARGE,
    MODE_ONCE,
    VISIT_TYPES,
    VT,
    Template,
)

DAY = 86400


def discharge_sec(day: Any, los: Any, sec: Any) -> Any:
    """A stay's discharge time in seconds (fee-time scale), for ints or numpy arrays: 10:00 on the
    discharge day plus the admission's minutes and seconds past the hour. One formula for the tables
    (generate.finalize) and for the schemes that place lines against it to the minute."""
    return (day + los) * DAY + 10 * 3600 + sec % 3600


ENC_FIELDS = ("psn", "inst", "vt", "tmpl", "alt", "day", "sec", "los", "dept", "doctor")


@dataclass
class Label:
    vtype: str
    enc: int
    line: int  # global line index, -1 for encounter-level
    amount: int | None  # fixed amount, or None when derived from fund_pay at the end
    basis: str  # 'fixed' | 'fund_pay' | 'fund_pay_los'
    note: str
    arg: int = 0
    #: 'violation'; 'boundary' (just over a threshold), 'co_occurring' (with another type in the
    #: encounter): both must fire; 'near_miss' (at a threshold): must NOT fire
    kind: str = "violation"


@dataclass
class XLine:
    """An injected (or refund) line."""

    enc: int
    code: int
    cnt: int
    pric: int
    t: int
    prd_days: int = -1
    dose: int = -1
    drord: int = 0
    serial: int = -1
    trdn: bool = False
    refund: bool = False
    init: int = -1
    doctor: int = -1


class Codes:
    """Every billable code: kb drugs, then kb items, then extra (out-of-catalogue) codes."""

    def __init__(self, kb: KB):
        self.kb = kb
        self.code: list[str] = [d.code for d in kb.drugs] + [i.code for i in kb.items]
        self.name: list[str] = [d.name for d in kb.drugs] + [i.name for i in kb.items]
        self.ctype: list[str] = [d.chrgitm_type for d in kb.drugs] + [i.category for i in kb.items]
        self.unit: list[str] = [d.unit for d in kb.drugs] + [i.unit for i in kb.items]
        self.n_drug = len(kb.drugs)
        n = len(self.code)
        self.price = np.zeros((n, 4), dtype=np.int64)
        for d in kb.drugs:
            self.price[d.idx, :] = d.price
        for it in kb.items:
            for lv in range(4):
                cap = it.cap(lv)
                self.price[self.n_drug + it.idx, lv] = cap if cap is not None else _DEFAULT_PRICE.get(it.category, 1000)

    def add(self, code: str, name: str, ctype: str, unit: str, price: int) -> int:
        self.code.append(code)
        self.name.append(name)
        self.ctype.append(ctype)
        self.unit.append(unit)
        self.price = np.vstack([self.price, np.full((1, 4), price, dtype=np.int64)])
        return len(self.code) - 1

    def drug(self, i: int) -> Drug | None:
        return self.kb.drugs[i] if i < self.n_drug else None

    def item(self, i: int) -> Item | None:
        j = i - self.n_drug
        return self.kb.items[j] if 0 <= j < len(self.kb.items) else None

    def of_drug(self, d: Drug) -> int:
        return d.idx

    def of_item(self, it: Item) -> int:
        return self.n_drug + it.idx


_DEFAULT_PRICE = {"01": 3000, "02": 1000, "03": 6000, "04": 1500, "05": 2000, "06": 80000, "07": 1800,
                  "08": 5000, "12": 1000, "13": 500, "14": 1000}


@dataclass
class World:
    kb: KB
    rng: np.random.Generator
    templates: list[Template]
    inst: Institutions
    staff: Staff
    pat: Patients
    codes: Codes
    start: int  # date ordinal, first day
    end: int  # date ordinal, first day after the period
    dise_list: list[str]
    enc: dict[str, np.ndarray] = field(default_factory=dict)
    n_enc: int = 0
    used: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    lines: dict[str, np.ndarray] = field(default_factory=dict)
    n_clean: int = 0
    line_start: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    xlines: list[XLine] = field(default_factory=list)
    xby_enc: dict[int, list[int]] = field(default_factory=dict)
    labels: list[Label] = field(default_factory=list)
    next_serial: int = 0
    #: field edits of the finished tables (data-quality schemes; see synth/edits.py)
    edits: list[Edit | AddRow] = field(default_factory=list)
    _by_psn: dict[int, list[int]] | None = None
    #: encounter -> 就医地统筹区 other than the region's own (an encounter settled elsewhere: card_two_places)
    enc_admdvs: dict[int, str] = field(default_factory=dict)

    # -- encounters ----------------------------------------------------------------------------
    def set_encounters(self, cols: dict[str, np.ndarray], spare: int) -> None:
        n = len(cols["psn"])
        for f in ENC_FIELDS:
            arr = np.zeros(n + spare, dtype=np.int64)
            arr[:n] = cols[f]
            self.enc[f] = arr
        self.n_enc = n
        self.used = np.zeros(n + spare, dtype=bool)
        self._by_psn = None

    def col(self, f: str) -> np.ndarray:
        return self.enc[f][: self.n_enc]

    def add_encounter(self, **vals: int) -> int:
        i = self.n_enc
        if i >= len(self.enc["psn"]):
            for f in ENC_FIELDS:
                self.enc[f] = np.concatenate([self.enc[f], np.zeros(1024, dtype=np.int64)])
            self.used = np.concatenate([self.used, np.zeros(1024, dtype=bool)])
        for f in ENC_FIELDS:
            self.enc[f][i] = vals[f]
        self.n_enc += 1
        if self._by_psn is not None:
            self._by_psn.setdefault(vals["psn"], []).append(i)
        return i

    def pop_encounter(self) -> None:
        """Undo the last :meth:`add_encounter` (a scheme that found its result unusable)."""
        self.n_enc -= 1
        psn = int(self.enc["psn"][self.n_enc])
        if self._by_psn is not None and self._by_psn.get(psn) and self._by_psn[psn][-1] == self.n_enc:
            self._by_psn[psn].pop()
        self.used[self.n_enc] = False

    def patient_encounters(self, psn: int) -> list[int]:
        if self._by_psn is None:
            idx: dict[int, list[int]] = {}
            for e, p in enumerate(self.col("psn").tolist()):
                idx.setdefault(p, []).append(e)
            self._by_psn = idx
        return self._by_psn.get(psn, [])

    def span(self, e: int) -> tuple[int, int]:
        d = int(self.enc["day"][e])
        return d, d + int(self.enc["los"][e])

    def busy(self, psn: int, lo: int, hi: int, exclude: tuple[int, ...] = ()) -> bool:
        """Whether the patient has any encounter whose days meet [lo, hi]."""
        for e in self.patient_encounters(psn):
            if e in exclude:
                continue
            a, b = self.span(e)
            if a <= hi and lo <= b:
                return True
        return False

    def age(self, psn: int, day: int) -> int:
        return int(ages_at(np.array([self.pat.brdy[psn]]), np.array([day]))[0])

    def template_for(self, vt: str, psn: int, day: int, los_days: int = 0, dise: str | None = None,
                     max_level: int = 3) -> int | None:
        """A random template that fits the patient at [day, day + los_days]."""
        g = int(self.pat.gend[psn])
        a0, a1 = self.age(psn, day), self.age(psn, day + max(los_days, 0))
        ok = [t.idx for t in self.templates if t.visit_type == vt and t.special is None and t.code_gender in (0, g)
              and t.age_lo <= a0 and a1 < t.age_hi and t.min_level <= max_level and t.dise_no == dise]
        if not ok:
            return None
        return ok[int(self.rng.integers(len(ok)))]

    def institution_for(self, vt: str, min_level: int, remote: bool, exclude: int = -1,
                        guidance: bool | None = None) -> int | None:
        ok = self.institution_pool(vt, min_level, remote, guidance)
        ok = ok[ok != exclude]
        if len(ok) == 0:
            return None
        return int(ok[int(self.rng.integers(len(ok)))])

    def institution_pool(self, vt: str, min_level: int, remote: bool, guidance: bool | None = None) -> np.ndarray:
        inst = self.inst
        ft = np.array(inst.ftype)
        if vt == "pharmacy":
            m = ft == "pharmacy"
        elif vt == "outpatient":
            m = ft != "pharmacy"
        else:
            m = ft == "hospital"
        m &= inst.level >= min_level
        if remote:
            m &= ~inst.guidance | inst.regional
        if guidance is not None:
            m &= (inst.guidance & ~inst.regional) == guidance
        return np.flatnonzero(m)

    def doctor(self, inst: int, dept: int) -> int:
        col = len(DEPTS) if self.inst.ftype[inst] == "pharmacy" else dept
        s, c = self.staff.start[inst, col], self.staff.count[inst, col]
        return int(s + self.rng.integers(c))

    def new_encounter(self, psn: int, inst: int, vt: str, tmpl: int, day: int, los: int = 0) -> int:
        t = self.templates[tmpl]
        dept = [d for d, _ in DEPTS].index(t.dept)
        sec = {"inpatient": 9 * 3600, "emergency": 2 * 3600, "pharmacy": 10 * 3600}.get(vt, 8 * 3600)
        sec += int(self.rng.integers(0, 3 * 3600))
        e = self.add_encounter(psn=psn, inst=inst, vt=VT[vt], tmpl=tmpl, alt=int(self.rng.integers(len(t.diag_alts))),
                               day=day, sec=sec, los=los, dept=dept, doctor=self.doctor(inst, dept))
        return e

    def stay_times(self, e: int) -> tuple[int, int]:
        """(admission, discharge) of stay ``e`` in seconds, exactly as the encounters table will say."""
        day, sec = int(self.enc["day"][e]), int(self.enc["sec"][e])
        return day * DAY + sec, int(discharge_sec(day, int(self.enc["los"][e]), sec))

    def visit(self, e: int, lines: list[Line]) -> Visit:
        """Stay ``e`` with ``lines`` as the checker's region view sees it (admission and discharge to
        the second), for the line rules that read them (checker.stay_line_findings)."""
        adm_t, dscg_t = self.stay_times(e)
        return Visit(str(e), str(int(self.enc["psn"][e])), self.ctx(e), lines, str(int(self.enc["inst"][e])),
                     adm_t // DAY, dscg_t // DAY, dscg_t // DAY, None, adm_t, dscg_t)

    # -- lines ---------------------------------------------------------------------------------
    def line_range(self, e: int) -> tuple[int, int]:
        return int(self.line_start[e]), int(self.line_start[e + 1])

    def ctx(self, e: int) -> Ctx:
        t = self.templates[int(self.enc["tmpl"][e])]
        psn = int(self.enc["psn"][e])
        vt = VISIT_TYPES[int(self.enc["vt"][e])]
        return Ctx(vt, int(self.inst.level[int(self.enc["inst"][e])]),
                   str(int(self.pat.gend[psn])), int(self.pat.brdy[psn]), list(t.diag_alts[int(self.enc["alt"][e])]),
                   None if vt == "pharmacy" else t.dept, t.dise_no,  # a pharmacy sale exports no department
                   attrs={"insutype": str(int(self.pat.insutype[psn])), "med_type": VISIT_MED_TYPE[vt]})

    def trace(self, code: int, serial: int) -> str:
        prod = 8_000_000 + (code * 7907) % 1_000_000
        return f"{prod:07d}{(serial * 7_654_321 + 1_234_567) % 10 ** 13:013d}"

    def _line(self, gi: int, code: int, cnt: int, pric: int, t: int, prd: int, dose: int, drord: int,
              serial: int, trdn: bool) -> Line:
        d, it = self.codes.drug(code), self.codes.item(code)
        return Line(gi, self.codes.code[code], self.codes.ctype[code], t // DAY, t, cnt, pric, d, it,
                    None if prd < 0 else prd, None if dose < 0 else dose,
                    d.dose_unit if (d is not None and dose >= 0) else None, "1" if drord == 1 else None,
                    None if serial < 0 else self.trace(code, serial), trdn)

    def lines_of(self, e: int) -> list[Line]:
        a, b = self.line_range(e)
        L = self.lines
        out = [self._line(i, int(L["code"][i]), int(L["cnt"][i]), int(L["pric"][i]), int(L["t"][i]),
                          int(L["prd"][i]), int(L["dose"][i]), int(L["drord"][i]), int(L["serial"][i]),
                          bool(L["trdn"][i])) for i in range(a, b)]
        for k in self.xby_enc.get(e, []):
            x = self.xlines[k]
            if x.refund:
                continue
            out.append(self._line(self.n_clean + k, x.code, x.cnt, x.pric, x.t, x.prd_days, x.dose, x.drord,
                                  x.serial, x.trdn))
        return out

    def price(self, code: int, e: int) -> int:
        inst = int(self.enc["inst"][e])
        return int(self.codes.price[code, int(self.inst.level[inst])] * int(self.inst.price_factor[inst]) // 1000)

    def add_line(self, x: XLine) -> int:
        self.xlines.append(x)
        self.xby_enc.setdefault(x.enc, []).append(len(self.xlines) - 1)
        return self.n_clean + len(self.xlines) - 1

    def new_serial(self) -> int:
        s = self.next_serial
        self.next_serial += 1
        return s

    def label(self, vtype: str, e: int, line: int = -1, amount: int | None = None, basis: str = "fixed",
              note: str = "", arg: int = 0, kind: str = "violation") -> None:
        self.labels.append(Label(vtype, e, line, amount, basis, note, arg, kind))

    def line_amount(self, x: XLine) -> int:
        a = (abs(x.cnt) * x.pric + 500) // 1000
        return -a if x.cnt < 0 else a

    def enc_drug_history(self, psn: int) -> list[tuple[int, Drug]]:
        """(fee_day, drug) of every chargeable drug line of the patient (clean and injected)."""
        out: list[tuple[int, Drug]] = []
        for e in self.patient_encounters(psn):
            for ln in self.lines_of(e):
                if ln.drug is not None:
                    out.append((ln.day, ln.drug))
        return out

    def end_of_visit(self, e: int) -> int:
        """Seconds: latest fee time an outpatient-style line may have."""
        a, b = self.line_range(e)
        ts = [int(t) for t in self.lines["t"][a:b]] + [self.xlines[k].t for k in self.xby_enc.get(e, [])]
        return max(ts) if ts else int(self.enc["day"][e]) * DAY + int(self.enc["sec"][e])

    def describe(self) -> dict[str, Any]:
        return {"encounters": self.n_enc, "lines": self.n_clean + len(self.xlines)}


def date_of(ordinal: int) -> dt.date:
    return dt.date.fromordinal(ordinal)


__all__ = ["World", "Codes", "XLine", "Label", "discharge_sec", "MODE_ONCE", "MODE_DAILY", "MODE_COURSE", "MODE_DISCHARGE", "DAY"]
