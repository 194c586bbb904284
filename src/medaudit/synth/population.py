"""Institutions, staff and insured persons of one pooling region (统筹区) plus 异地 neighbours."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np

from .templates import DEPTS

HOME = "440100"
#: other counties of the home city (same pooling city, so not 异地 under city-level pooling)
HOME_COUNTIES = ("440106", "440111", "440113")
#: national default guidance period and its extension (months), as in the guidance_remote rule
GUIDANCE_MONTHS = 6
GUIDANCE_EXTENSION = 6
NEIGHBOURS = ("440300", "440600", "441900", "430100")
DISTRICTS = ("越秀", "海珠", "荔湾", "天河", "白云", "黄埔", "番禺", "花都", "南沙", "从化", "增城")
SURNAMES = tuple("王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高梁郑谢宋唐许邓冯韩曹曾彭萧蔡潘田董袁于余叶蒋杜苏魏程吕丁沈任姚卢钟")
GIVEN = tuple("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建文辉力鹏斌宇浩凯晨欣怡子轩梓涵佳琪俊")
_CERT_W = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CERT_C = "10X98765432"

# fixmedins_type, level, hosp_lv, weight (share of visits), name pattern
KINDS = (
    ("hospital", 3, "02", 10.0, "{d}区第{n}人民医院"),
    ("hospital", 2, "05", 4.0, "{d}区{n}号中心医院"),
    ("hospital", 1, "08", 1.5, "{d}区第{n}社区卫生服务中心"),
    ("clinic", 0, "11", 0.6, "{d}区{n}号诊所"),
    ("pharmacy", 0, None, 1.0, "{d}区{n}号大药房"),
)


@dataclass
class Institutions:
    code: list[str]
    name: list[str]
    kind: np.ndarray  # index into KINDS
    ftype: list[str]
    level: np.ndarray
    hosp_lv: list[str | None]
    weight: np.ndarray
    guidance: np.ndarray  # new institution: in its guidance period at some time in the window
    regional: np.ndarray
    designation: list[dt.date]
    extended: np.ndarray  # minor violation recorded: guidance period extended by GUIDANCE_EXTENSION months
    price_factor: np.ndarray  # permille applied to reference prices (<= 1000 so caps hold)


def make_institutions(n_patients: int, start: dt.date, rng: np.random.Generator) -> Institutions:
    counts = [max(2, n_patients // 20000), max(3, n_patients // 8000), max(3, n_patients // 4000),
              max(4, n_patients // 2500), max(5, n_patients // 1500)]
    code: list[str] = []
    name: list[str] = []
    kind: list[int] = []
    ftype: list[str] = []
    level: list[int] = []
    hosp_lv: list[str | None] = []
    weight: list[float] = []
    guid: list[bool] = []
    reg: list[bool] = []
    desig: list[dt.date] = []
    for k, n in enumerate(counts):
        t, lv, hlv, w, pat = KINDS[k]
        for i in range(n):
            d = DISTRICTS[(i * 7 + k) % len(DISTRICTS)]
            prefix = "P" if t == "pharmacy" else "H"
            code.append(f"{prefix}{4401}{(k + 1) * 1000 + i + 1:07d}")
            name.append("广州市" + pat.format(d=d, n=i + 1))
            kind.append(k)
            ftype.append(t)
            level.append(lv)
            hosp_lv.append(hlv)
            weight.append(w * float(rng.uniform(0.6, 1.4)))
            # the last institution of the small kinds is new: in the 6-month guidance period
            g = k >= 2 and i == n - 1
            guid.append(g)
            reg.append(False)
            desig.append(start - dt.timedelta(days=int(rng.integers(30, 150))) if g
                         else dt.date(2010 + int(rng.integers(0, 12)), 1 + int(rng.integers(0, 12)), 1))
    # one new regional medical centre (区域医疗中心), also in its guidance period: exempt from the 异地 rule
    reg[1] = True
    guid[1] = True
    desig[1] = start - dt.timedelta(days=60)
    ext = np.zeros(len(code), dtype=bool)
    new = [i for i, g in enumerate(guid) if g and not reg[i]]
    # the newest pharmacy is designated inside the window (its guidance period starts mid-window); the
    # new clinic's 6 months ended before the window but a recorded minor violation extended them
    desig[new[-1]] = start + dt.timedelta(days=10)
    if len(new) >= 2:
        desig[new[-2]] = start - dt.timedelta(days=200)
        ext[new[-2]] = True
    return Institutions(code, name, np.array(kind), ftype, np.array(level), hosp_lv, np.array(weight),
                        np.array(guid), np.array(reg), desig, ext,
                        rng.integers(900, 1001, size=len(code)))


def guidance_end(designation: dt.date, months: int) -> dt.date:
    """First day after the guidance period: the same day of the month ``months`` later, or the first of
    the following month when that day does not exist (the rule's month arithmetic, guidance_remote.sql)."""
    y, m = divmod(designation.month - 1 + months, 12)
    try:
        return dt.date(designation.year + y, m + 1, designation.day)
    except ValueError:
        y2, m2 = divmod(m + 1, 12)
        return dt.date(designation.year + y + y2, m2 + 1, 1)


def in_guidance(inst: Institutions, i: int, day: int) -> bool:
    """Whether institution ``i`` is in its guidance period on date ordinal ``day``."""
    d = inst.designation[i]
    months = GUIDANCE_MONTHS + (GUIDANCE_EXTENSION if inst.extended[i] else 0)
    return d.toordinal() <= day < guidance_end(d, months).toordinal()


@dataclass
class Staff:
    code: list[str]
    name: list[str]
    role: list[str]
    inst: np.ndarray
    dept: np.ndarray  # index into DEPTS, -1 for pharmacists
    #: (inst, dept) -> first staff row and count
    start: np.ndarray
    count: np.ndarray
    #: 医保支付资格 by staff row: '' normal, '暂停' / '终止', with the period's first and last day
    #: (date ordinals, inclusive; 0 = open-ended) — see :func:`add_status_staff`
    qual: list[str] = field(default_factory=list)
    qual_begin: list[int] = field(default_factory=list)
    qual_end: list[int] = field(default_factory=list)


def make_staff(inst: Institutions, rng: np.random.Generator) -> Staff:
    n_dept = len(DEPTS)
    per = {3: 4, 2: 2, 1: 1, 0: 1}
    code: list[str] = []
    name: list[str] = []
    role: list[str] = []
    sinst: list[int] = []
    sdept: list[int] = []
    start = np.zeros((len(inst.code), n_dept + 1), dtype=np.int64)
    count = np.zeros((len(inst.code), n_dept + 1), dtype=np.int64)
    for i in range(len(inst.code)):
        depts = [n_dept] if inst.ftype[i] == "pharmacy" else list(range(n_dept))
        for dj in depts:
            n = 2 if dj == n_dept else per[int(inst.level[i])]
            start[i, dj] = len(code)
            count[i, dj] = n
            for _ in range(n):
                code.append(f"D{44010000000 + len(code) * 37 + 11:011d}")
                name.append(SURNAMES[int(rng.integers(len(SURNAMES)))] + GIVEN[int(rng.integers(len(GIVEN)))]
                            + GIVEN[int(rng.integers(len(GIVEN)))])
                role.append("药师" if dj == n_dept else "医师")
                sinst.append(i)
                sdept.append(-1 if dj == n_dept else dj)
    n = len(code)
    return Staff(code, name, role, np.array(sinst), np.array(sdept), start, count, [""] * n, [0] * n, [0] * n)


#: days after the window start: a 30-day 暂停 (1 month, 9 points) and a 终止 (12 points)
SUSPENSION = (12, 41)
TERMINATION = 25


def add_status_staff(staff: Staff, inst: Institutions, start: int) -> None:
    """Give every hospital two more doctors whose 医保支付资格 is 暂停 for [start+12, start+41] and
    终止 from start+25 (DOMAIN.md §5.4). They sit outside the (institution, department) ranges the
    scheduler draws doctors from, so clean encounters never meet them; only the suspended_staff
    schemes bill lines in their name. No random draws: every other table stays as it was."""
    rows = [i for i in range(len(inst.code)) if inst.ftype[i] == "hospital"]
    for k, i in enumerate(rows):
        for stas, begin, end in (("暂停", start + SUSPENSION[0], start + SUSPENSION[1]),
                                 ("终止", start + TERMINATION, 0)):
            staff.code.append(f"D{44010000000 + len(staff.code) * 37 + 11:011d}")
            staff.name.append(SURNAMES[(len(staff.code) * 7) % len(SURNAMES)] + GIVEN[k % len(GIVEN)]
                              + GIVEN[(k * 3 + len(stas)) % len(GIVEN)])
            staff.role.append("医师")
            staff.inst = np.append(staff.inst, i)
            staff.dept = np.append(staff.dept, 0)
            staff.qual.append(stas)
            staff.qual_begin.append(begin)
            staff.qual_end.append(end)


def status_doctors(staff: Staff, inst: int) -> list[int]:
    """Staff rows of institution ``inst`` with a 暂停/终止 status."""
    return [j for j, q in enumerate(staff.qual) if q and int(staff.inst[j]) == inst]


@dataclass
class Patients:
    psn_no: list[str]
    name: list[str]
    certno: list[str]
    gend: np.ndarray  # 1 / 2
    brdy: np.ndarray  # date ordinals
    insutype: np.ndarray  # 310 / 390
    admdvs: list[str]
    remote: np.ndarray
    die: np.ndarray  # date ordinal or 0
    dise: np.ndarray  # index into chronic dise list, -1 none


AGE_BANDS = np.array([0, 1, 5, 15, 25, 35, 45, 55, 65, 75, 85, 95])
AGE_WEIGHTS = np.array([1.0, 4.0, 10.0, 13.0, 17.0, 16.0, 14.0, 11.0, 8.0, 4.5, 1.5])


def make_patients(n: int, start: dt.date, months: int, rng: np.random.Generator) -> Patients:
    band = rng.choice(len(AGE_WEIGHTS), size=n, p=AGE_WEIGHTS / AGE_WEIGHTS.sum())
    age_days = (AGE_BANDS[band] * 365.25 + rng.uniform(0, 1, n) * (AGE_BANDS[band + 1] - AGE_BANDS[band]) * 365.25)
    brdy = start.toordinal() - age_days.astype(np.int64) - 1
    gend = np.where(rng.random(n) < 0.51, 1, 2)
    age = age_days / 365.25
    employed = (age >= 18) & (age < 60) & (rng.random(n) < 0.72)
    retired = (age >= 60) & (rng.random(n) < 0.45)
    insutype = np.where(employed | retired, 310, 390)
    remote = rng.random(n) < 0.05
    nb = rng.integers(0, len(NEIGHBOURS), n)
    # every 7th local patient is insured in another county of the home city (not 异地 at city pooling)
    admdvs = [NEIGHBOURS[int(nb[i])] if remote[i] else HOME_COUNTIES[i % 3] if i % 7 == 3 else HOME
              for i in range(n)]
    psn_no = [f"{admdvs[i]}{i + 1:010d}" for i in range(n)]
    die = np.zeros(n, dtype=np.int64)
    n_dead = max(2, int(round(n * months * 0.0015)))
    w = np.where(age >= 65, 8.0, np.where(age >= 45, 1.0, 0.1)) * np.where(remote, 0.0, 1.0)
    dead = rng.choice(n, size=min(n_dead, n), replace=False, p=w / w.sum())
    span = months * 30
    die[dead] = start.toordinal() + rng.integers(max(1, span // 4), max(2, span - 3), size=len(dead))
    name, cert = [], []
    for i in range(n):
        name.append(SURNAMES[int(rng.integers(len(SURNAMES)))] + "".join(
            GIVEN[int(g)] for g in rng.integers(0, len(GIVEN), 1 + int(rng.random() < 0.7))))
        b = dt.date.fromordinal(int(brdy[i]))
        seq = int(rng.integers(0, 500)) * 2 + (1 if gend[i] == 1 else 0)
        body = f"{admdvs[i][:4]}{(i % 80) + 1:02d}{b:%Y%m%d}{seq % 1000:03d}"
        cert.append(body + _CERT_C[sum(int(c) * w_ for c, w_ in zip(body, _CERT_W, strict=True)) % 11])
    return Patients(psn_no, name, cert, gend, brdy, insutype, admdvs, remote, die, np.full(n, -1))


def ages_at(brdy: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Completed years at ``day`` (both date ordinals), vectorised."""
    epoch = dt.date(1970, 1, 1).toordinal()
    b = (brdy - epoch).astype("datetime64[D]")
    d = (day - epoch).astype("datetime64[D]")
    by = b.astype("datetime64[Y]").astype(np.int64)
    dy = d.astype("datetime64[Y]").astype(np.int64)
    bdoy = (b - b.astype("datetime64[Y]").astype("datetime64[D]")).astype(np.int64)
    ddoy = (d - d.astype("datetime64[Y]").astype("datetime64[D]")).astype(np.int64)
    bm = b.astype("datetime64[M]").astype(np.int64) % 12
    dm = d.astype("datetime64[M]").astype(np.int64) % 12
    bdd = (b - b.astype("datetime64[M]").astype("datetime64[D]")).astype(np.int64)
    ddd = (d - d.astype("datetime64[M]").astype("datetime64[D]")).astype(np.int64)
    del bdoy, ddoy
    before = (dm < bm) | ((dm == bm) & (ddd < bdd))
    return dy - by - before.astype(np.int64)
