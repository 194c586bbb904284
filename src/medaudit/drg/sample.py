"""Stays built from the grouper tables so that each aims at one ADRG (for the benchmark and synth).

Why from the tables: codes drawn from an ADRG's own lists land in many different groups with real
医保版 codes, where uniformly random codes would almost all end in 无法入组 or a handful of medical
ADRGs. A stay only *aims* at its ADRG; the grouper decides where it lands.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from medaudit.drg.grouper import PROC_GROUPS, WEIGHT_BAND, Grouper, Stay
from medaudit.drg.tables import Adrg, Mdc


def _pick(rng: random.Random, pool: Sequence[str]) -> str | None:
    return pool[rng.randrange(len(pool))] if pool else None


class StaySampler:
    def __init__(self, grouper: Grouper, seed: int = 0) -> None:
        t = grouper.tables
        self.rng = random.Random(seed)
        vd, vp = grouper.valid_dx, grouper.valid_proc

        def dxs(codes: frozenset[str] | set[str]) -> list[str]:
            return sorted(c for c in codes if vd is None or c in vd)

        def prs(codes: frozenset[str] | set[str]) -> list[str]:
            return sorted(c for c in codes if vp is None or c in vp)

        self.targets: list[tuple[Mdc, Adrg]] = [
            (m, t.adrgs[s.code]) for m in t.mdcs for s in m.steps if s.kind == "adrg" and s.active]
        self.main = {m.code: dxs(m.main_dx) for m in t.mdcs}
        self.zd = {a: dxs(x.zd) for a, x in t.adrgs.items()}
        self.zd_main = {(m.code, a.code): dxs(a.zd & m.main_dx) for m, a in self.targets}
        self.ss = {a: prs(x.ss) for a, x in t.adrgs.items()}
        self.ss1 = {a: prs(x.ss1) for a, x in t.adrgs.items()}
        self.valid = prs(t.valid_proc)
        self.nonvalid = prs(set(vp or ()) - t.valid_proc)[:2000]
        self.cc = dxs(set(t.cc) | set(t.mcc))
        self.all_main = dxs(frozenset().union(*(m.main_dx for m in t.mdcs)))
        self.regions: dict[str, list[str]] = {}
        for m in t.mdcs:
            for code, region in m.region.items():
                if vd is None or code in vd:
                    self.regions.setdefault(region, []).append(code)

    def stay(self, target: int | None = None, comorbidity: float = 0.5) -> Stay:
        rng = self.rng
        mdc, adrg = self.targets[rng.randrange(len(self.targets)) if target is None else target]
        terms = adrg.terms
        sex = 1 if mdc.entry.endswith("_male") else 2 if mdc.entry.endswith("_female") else rng.choice((1, 2))
        age: int = rng.randrange(1, 90)
        age_days: int | None = None
        weight: int | None = None
        main = None
        if "main_dx_in_zd" in terms:
            main = _pick(rng, self.zd_main[(mdc.code, adrg.code)] or self.zd[adrg.code])
        if main is None:
            main = _pick(rng, self.main[mdc.code] or self.all_main) or self.all_main[0]
        dx = [main]
        procs: list[str] = []
        for term in terms:
            if term == "any_dx_in_zd":
                code = _pick(rng, self.zd[adrg.code])
                if code and code != main:
                    dx.append(code)
            elif term == "first_proc_in_ss":
                code = _pick(rng, self.ss[adrg.code])
                if code:
                    procs.insert(0, code)
            elif term == "any_proc_in_ss":
                code = _pick(rng, self.ss[adrg.code])
                if code:
                    procs.append(code)
            elif term == "any_proc_in_ss1":
                code = _pick(rng, self.ss1[adrg.code])
                if code:
                    procs.append(code)
            elif term == "first_proc_valid":
                code = _pick(rng, [c for c in self.ss[adrg.code] if c in set(self.valid)] or self.valid)
                if code:
                    procs.insert(0, code)
            elif term.startswith("age_days"):
                age, age_days = 0, rng.randrange(0, 29)
            elif m := WEIGHT_BAND.match(term):
                lo = int(m[1]) if m[1] else (500 if m[2] == "<" else int(m[3]))
                hi = int(m[3]) if m[2] == "<" else int(m[3]) + 1500
                weight = rng.randrange(max(lo, 1), hi)
            elif m := PROC_GROUPS.match(term):
                alt = rng.choice(m[1].split("|")).split("+")
                by_group: dict[str, list[str]] = {}
                for code, g in adrg.proc_group.items():
                    by_group.setdefault(g, []).append(code)
                for g in alt:
                    code = _pick(rng, sorted(by_group.get(g, [])))
                    if code:
                        procs.append(code)
        if mdc.entry.startswith("main_dx_age0") and age != 0:
            age, age_days = 0, rng.randrange(0, 365)
        if age == 0 and age_days is not None and age_days <= 28 and weight is None:
            weight = rng.randrange(2500, 4200)
        if "dx_body_regions" in mdc.entry:
            region = mdc.region.get(main)
            others = [r for r in self.regions if r != region]
            code = _pick(rng, self.regions[rng.choice(others)]) if others else None
            if code:
                dx.append(code)
        if "no_valid_proc" in terms and self.nonvalid and rng.random() < 0.5:
            procs.append(_pick(rng, self.nonvalid) or "")
        while rng.random() < comorbidity and len(dx) < 8:
            code = _pick(rng, self.cc)
            if code and code not in dx:
                dx.append(code)
        return Stay(sex, age, age_days, weight, dx, list(dict.fromkeys(procs)))
