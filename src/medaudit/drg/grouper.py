"""CHS-DRG 1.1 grouping of one stay, compiled from the tables in :mod:`medaudit.drg.tables`.

Why compiled: each ADRG's entry condition (``main_dx_in_zd & first_proc_in_ss`` ...) is turned once,
at load, into one Python expression over the stay's fields with the code lists bound as sets, so a
stay costs a few set look-ups per ADRG tried instead of re-reading the condition text. The
expressions are generated from the table vocabulary only; an unknown term fails the load.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from medaudit.drg.tables import Adrg, GrouperTables, Mdc
from medaudit.errors import InputError

OK = "分组成功"
QY = "歧义"
FAIL = "无法入组"
UNGROUPED = "0000"

#: machine-readable reason codes (``reason_code``), beside the Chinese ``reason``
R_MISSING = "missing_info"
R_INVALID = "invalid_code"
R_NOT_IN_MDC = "main_dx_not_in_mdc"
R_SEX = "sex_conflict"
R_NO_ADRG = "no_adrg"
R_QY = "ambiguous"


class DrgResult(NamedTuple):
    mdc: str | None
    adrg: str | None
    drg: str
    status: str
    reason_code: str | None
    reason: str | None


@dataclass(frozen=True)
class Stay:
    """One record as the grouper sees it: sex 1 male / 2 female, age in years, age in days,
    birth weight in grams, diagnoses (main first) and procedures (main first)."""

    sex: int | None
    age: int | None
    age_days: int | None
    weight: int | None
    dx: Sequence[str]
    procs: Sequence[str]


AdrgFn = Callable[..., bool]

WEIGHT_BAND = re.compile(r"^(?:(\d+)<=)?weight(<|>=)(\d+)$")
_AGE_DAYS = re.compile(r"^age_days<=(\d+)$")
PROC_GROUPS = re.compile(r"^proc_groups\(([\d+|]+)\)$")
_REGIONS = re.compile(r"^dx_body_regions>=(\d+)$")


def _pg(gmap: dict[str, str], ps: Sequence[str], alts: tuple[frozenset[str], ...]) -> bool:
    got = {gmap[p] for p in ps if p in gmap}
    return any(a <= got for a in alts)


def _term(term: str, adrg: Adrg, env: dict[str, Any]) -> str:
    a = adrg.code
    simple = {
        "always": "True",
        "main_dx_in_zd": f"main in ZD_{a}",
        "any_dx_in_zd": f"not ZD_{a}.isdisjoint(dx)",
        "first_proc_in_ss": f"p0 in SS_{a}",
        "any_proc_in_ss": f"not SS_{a}.isdisjoint(ps)",
        "any_proc_in_ss1": f"not SS1_{a}.isdisjoint(ps)",
        "first_proc_valid": "p0 in VALID",
        "no_valid_proc": "VALID.isdisjoint(ps)",
    }
    if term in simple:
        return simple[term]
    if m := _AGE_DAYS.match(term):
        return f"(ad is not None and ad <= {int(m[1])})"
    if m := WEIGHT_BAND.match(term):
        lo, op, hi = m[1], m[2], int(m[3])
        # a missing or zero weight satisfies no band (as the reference grouper: ``record.weight and ...``)
        cond = f"w < {hi}" if op == "<" else f"w >= {hi}"
        return f"(bool(w) and {int(lo)} <= w and {cond})" if lo else f"(bool(w) and {cond})"
    if m := PROC_GROUPS.match(term):
        env[f"ALTS_{a}"] = tuple(frozenset(alt.split("+")) for alt in m[1].split("|"))
        env[f"GMAP_{a}"] = adrg.proc_group
        return f"_pg(GMAP_{a}, ps, ALTS_{a})"
    raise InputError(f"ADRG {a} 的入组条件含未知项 / unknown condition term {term!r} in adrg.tsv")


def _compile_adrgs(tables: GrouperTables) -> dict[str, AdrgFn]:
    env: dict[str, Any] = {"VALID": tables.valid_proc, "_pg": _pg}
    src: dict[str, str] = {}
    for a, adrg in tables.adrgs.items():
        env[f"ZD_{a}"], env[f"SS_{a}"], env[f"SS1_{a}"] = adrg.zd, adrg.ss, adrg.ss1
        src[a] = " and ".join(f"({_term(t, adrg, env)})" for t in adrg.terms)
    fns: dict[str, AdrgFn] = {}
    for a, expr in src.items():
        fns[a] = eval(f"lambda main, dx, p0, ps, ad, w: {expr}", env)  # noqa: S307 - built from the vocabulary
    return fns


EntryFn = Callable[[int | None, int | None, str, Sequence[str], str | None], bool]


def _regions_at_least(region: dict[str, str], n: int) -> EntryFn:
    """MDC Z: the diagnoses found in the region list cover at least ``n`` body regions."""
    def check(sex: int | None, age: int | None, main: str, dx: Sequence[str], p0: str | None) -> bool:
        return len({region[d] for d in dx if d in region}) >= n
    return check


def _entry(mdc: Mdc, valid: frozenset[str]) -> Callable[[int | None, int | None, str, Sequence[str], str | None], bool]:
    """The MDC's entry test as a closure over (sex, age, main, dx, p0)."""
    terms = [t.strip() for t in mdc.entry.split("&")]
    checks: list[Callable[[int | None, int | None, str, Sequence[str], str | None], bool]] = []
    main_dx, region = mdc.main_dx, mdc.region
    for t in terms:
        if t == "main_dx":
            checks.append(lambda sex, age, main, dx, p0: main in main_dx)
        elif t == "main_dx_male":
            checks.append(lambda sex, age, main, dx, p0: main in main_dx and sex == 1)
        elif t == "main_dx_female":
            checks.append(lambda sex, age, main, dx, p0: main in main_dx and sex == 2)
        elif t == "main_dx_age0":
            checks.append(lambda sex, age, main, dx, p0: main in main_dx and age == 0)
        elif m := _REGIONS.match(t):
            checks.append(_regions_at_least(region, int(m[1])))
        elif t == "first_proc_valid":
            checks.append(lambda sex, age, main, dx, p0: p0 in valid)
        else:
            raise InputError(f"MDC {mdc.code} 的入组条件含未知项 / unknown entry term {t!r} in mdc.tsv")
    if len(checks) == 1:
        return checks[0]
    return lambda sex, age, main, dx, p0: all(c(sex, age, main, dx, p0) for c in checks)


class Grouper:
    """Groups stays by the tables; ``valid_dx``/``valid_proc`` (医保版 code sets) enable the
    invalid-code check when given."""

    def __init__(self, tables: GrouperTables, valid_dx: frozenset[str] | None = None,
                 valid_proc: frozenset[str] | None = None) -> None:
        self.tables = tables
        self.valid_dx = valid_dx
        self.valid_proc = valid_proc
        self._adrg = _compile_adrgs(tables)
        valid = tables.valid_proc
        self._mdcs: list[tuple[str, Callable[..., bool], list[tuple[str, str, Any]]]] = []
        for mdc in tables.mdcs:
            entry = _entry(mdc, valid)
            steps: list[tuple[str, str, Any]] = []
            for s in mdc.steps:
                if not s.active:
                    continue
                if s.kind == "adrg":
                    if s.code not in self._adrg:
                        raise InputError(f"MDC {mdc.code} 的步骤引用了未定义的 ADRG / unknown ADRG {s.code}")
                    steps.append(("adrg", s.code, self._adrg[s.code]))
                elif s.kind == "qy_if_any_valid_proc":
                    steps.append(("qy", s.code, None))
                else:
                    raise InputError(f"MDC {mdc.code} 的步骤类型未知 / unknown step kind {s.kind!r}")
            self._mdcs.append((mdc.code, entry, steps))
        self._drgs = {a: adrg.drgs for a, adrg in tables.adrgs.items()}
        self._sexed = [(m.main_dx, 1 if m.entry.strip() == "main_dx_male" else 2, m.code)
                       for m in tables.mdcs if m.entry.strip() in ("main_dx_male", "main_dx_female")]
        self._any_main: frozenset[str] = frozenset().union(*(m.main_dx for m in tables.mdcs))
        # MDCs worth testing for a main diagnosis, in order: those whose entry needs the main
        # diagnosis in their list and lists it, plus those whose entry does not look at it (MDC A)
        free = [i for i, m in enumerate(tables.mdcs) if "main_dx" not in m.entry]
        by_main: dict[str, list[int]] = {}
        for i, m in enumerate(tables.mdcs):
            if "main_dx" in m.entry:
                for code in m.main_dx:
                    by_main.setdefault(code, []).append(i)
        self._free = tuple(self._mdcs[i] for i in free)
        self._candidates = {code: tuple(self._mdcs[i] for i in sorted(set(idx) | set(free)))
                            for code, idx in by_main.items()}

    # ---------------------------------------------------------------------------------------------

    def _has(self, table: dict[str, str], main: str, others: Sequence[str]) -> bool:
        cce = self.tables.cce.get(main)
        for x in others:
            t = table.get(x)
            if t is not None and not (cce and cce == t):
                return True
        return False

    def _drg(self, adrg: str, dx: Sequence[str]) -> str:
        main, others = dx[0], dx[1:]
        mcc, cc = self.tables.mcc, self.tables.cc
        for drg, split in self._drgs[adrg]:
            if split == "always":
                return drg
            if split == "mcc":
                if others and self._has(mcc, main, others):
                    return drg
            elif split == "mcc_or_cc":
                if others and (self._has(mcc, main, others) or self._has(cc, main, others)):
                    return drg
            else:
                raise InputError(f"ADRG {adrg} 的细分条件未知 / unknown split {split!r} in drg.tsv")
        return adrg  # no DRG of the ADRG holds (not reachable with the 1.1 tables: each ends in `always`)

    def check(self, sex: int | None, age: int | None, ad: int | None, w: int | None, dx: Sequence[str],
              ps: Sequence[str]) -> tuple[str, str] | None:
        """Record checks done before grouping (as the reference grouper): (reason_code, reason)."""
        if sex not in (1, 2):
            return R_MISSING, f"性别缺失或无效（应为1男/2女）：{sex}"
        if age is None:
            return R_MISSING, "年龄缺失"
        if age == 0 and ad is None:
            return R_MISSING, "年龄为0岁时须有年龄天数"
        if age == 0 and ad is not None and ad <= 28 and w is None:
            return R_MISSING, "新生儿（≤28天）须有出生体重"
        if not dx:
            return R_MISSING, "诊断信息为空"
        if self.valid_dx is not None and not self.valid_dx.issuperset(dx):
            bad = [d for d in dx if d not in self.valid_dx]
            return R_INVALID, "诊断编码不在医保版ICD-10：" + "、".join(dict.fromkeys(bad))
        if self.valid_proc is not None and not self.valid_proc.issuperset(ps):
            bad = [p for p in ps if p not in self.valid_proc]
            return R_INVALID, "手术操作编码不在医保版ICD-9-CM-3：" + "、".join(dict.fromkeys(bad))
        return None

    def group(self, stay: Stay) -> DrgResult:
        return self.group_fields(stay.sex, stay.age, stay.age_days, stay.weight, stay.dx, stay.procs)

    def group_fields(self, sex: int | None, age: int | None, ad: int | None, w: int | None,
                     dx: Sequence[str], ps: Sequence[str]) -> DrgResult:
        problem = self.check(sex, age, ad, w, dx, ps)
        if problem:
            return DrgResult(None, None, UNGROUPED, FAIL, problem[0], problem[1])
        return self.group_checked(sex, age, ad, w, dx, ps)

    def group_checked(self, sex: int | None, age: int | None, ad: int | None, w: int | None,
                      dx: Sequence[str], ps: Sequence[str]) -> DrgResult:
        main = dx[0]
        p0 = ps[0] if ps else None
        valid = self.tables.valid_proc
        for mdc, entry, steps in self._candidates.get(main, self._free):
            if not entry(sex, age, main, dx, p0):
                continue
            for kind, code, fn in steps:
                if kind == "adrg":
                    if fn(main, dx, p0, ps, ad, w):
                        return DrgResult("MDC" + mdc, code, self._drg(code, dx), OK, None, None)
                elif not valid.isdisjoint(ps):
                    return DrgResult("MDC" + mdc, code, code, QY, R_QY, f"存在有效手术操作，入{code}歧义组")
            # no ADRG of this MDC holds: on to the next MDC
        return self._why_not(sex, main)

    def _why_not(self, sex: int | None, main: str) -> DrgResult:
        for dxs, want, mdc in self._sexed:
            if main in dxs and sex != want:
                who = "男性" if want == 1 else "女性"
                return DrgResult(None, None, UNGROUPED, FAIL, R_SEX,
                                 f"性别冲突：主诊断{main}属于MDC{mdc}（{who}），与患者性别不符")
        if main not in self._any_main:
            return DrgResult(None, None, UNGROUPED, FAIL, R_NOT_IN_MDC, f"主诊断{main}不在任何MDC的主诊表内")
        return DrgResult(None, None, UNGROUPED, FAIL, R_NO_ADRG, "不符合任何MDC/ADRG的入组条件")

    def drivers(self, adrg: str | None, drg: str, dx: Sequence[str]) -> list[tuple[str, str]]:
        """The secondary diagnoses that put the stay in ``drg`` by its MCC/CC split, as
        (code, "MCC" | "CC"); empty for an `always` DRG. These are what 高套编码 review looks at."""
        split = next((sp for d, sp in self._drgs.get(adrg or "", ()) if d == drg), "always")
        if split == "always" or len(dx) < 2:
            return []
        cce = self.tables.cce.get(dx[0])
        out: list[tuple[str, str]] = []
        for x in dict.fromkeys(dx[1:]):
            for level, table in (("MCC", self.tables.mcc), ("CC", self.tables.cc)):
                if level == "CC" and split == "mcc":
                    continue
                t = table.get(x)
                if t is not None and not (cce and cce == t):
                    out.append((x, level))
                    break
        return out

    def drg_name(self, drg: str) -> str | None:
        return self.tables.drg_names.get(drg)
