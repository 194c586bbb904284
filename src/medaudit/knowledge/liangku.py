"""The national 两库 knowledge points (NHSA batches 1–17 and the 2026-01-28 revision) as a knowledge layer.

The folder (``nhsa-liangku`` under the configured reference data, or ``MEDAUDIT_LIANGKU_DATA``) is
read as published, never copied into the repository. Each point keeps its official rule code,
wording, publication date and national codes; the limit a rule needs (sex, insurance type, visit
type, hospital level, age, course days, 二线 status) is parsed from the official wording by the
small grammar below, and every point the grammar cannot read is reported with the reason rather
than guessed. Indications stay text unless a reviewable mapping row (``packs/nhsa-liangku/
indications.tsv``) gives their ICD-10 prefixes.

Supersede: a revision point replaces the point it names from its own publication date on, so a
layer built ``as_of`` an earlier day uses the earlier point. The layer is built for one day.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from medaudit.knowledge.errors import KnowledgeError, Problem

FOLDER_NAME = "nhsa-liangku"
POINTS_FILE = "knowledge_points.tsv"
CODES_FILE = "knowledge_point_codes.tsv"
CLASSES_FILE = "rule_classes_2025.tsv"
#: reviewable indication → ICD-10 prefix mapping shipped with the code (data, not code)
MAPPING_DIR = Path(__file__).resolve().parent / "packs" / FOLDER_NAME
INDICATION_MAP = MAPPING_DIR / "indications.tsv"

#: 儿童 upper bound (exclusive, completed years): a regional parameter (a province layer restating
#: kb_drug/kb_item rows overrides it); 18 follows the 未成年人 definition used by most provinces
CHILD_AGE_MAX = 18
#: 婴幼儿 / 婴儿 / 新生儿 bounds for the 医疗服务项目儿童专用 wording
INFANT_AGE_MAX = {"新生儿": 1, "婴儿": 1, "婴幼儿": 3, "小儿": CHILD_AGE_MAX, "儿童": CHILD_AGE_MAX}

POINT_COLUMNS = ("kp_id", "batch", "published", "rule_class", "gz_code", "level1", "level2", "item_name",
                 "constraint", "detect_logic", "limit", "supersedes", "source_file", "source_row")

#: what a parsed limit feeds: (knowledge table, what the rule SQL reads there)
CLASS_TARGET: dict[str, str] = {
    "药品区分性别使用": "kb_drug.gender",
    "药品儿童专用": "kb_drug.age_max",
    "药品限儿童使用": "kb_drug.age_min/age_max",
    "药品限工伤保险": "kb_drug.insurance_only",
    "药品限生育保险": "kb_drug.insurance_only",
    "药品限医疗机构级别": "kb_drug.min_level",
    "药品限就医方式": "kb_drug_visit",
    "药品限二线使用": "kb_drug.second_line",
    "药品限适应症": "kb_drug_indication",
    "医疗服务项目区分性别使用": "kb_item.gender",
    "医疗服务项目儿童专用": "kb_item.age_max",
    "医疗服务项目重复收费": "kb_item_relation",
}


def liangku_dir() -> Path:
    """``MEDAUDIT_LIANGKU_DATA``, else ``nhsa-liangku`` inside the reference-data location."""
    env = os.environ.get("MEDAUDIT_LIANGKU_DATA")
    if env:
        return Path(env)
    from medaudit.settings import get_settings

    return get_settings().reference_data / FOLDER_NAME


# ------------------------------------------------------------------------------------------ points


@dataclass(frozen=True)
class Point:
    kp_id: str
    batch: str
    published: dt.date
    rule_class: str
    gz_code: str
    level1: str
    level2: str
    item_name: str
    constraint: str
    detect_logic: str
    limit: str
    supersedes: str
    source_file: str
    source_row: int
    codes: tuple[str, ...] = ()

    def citation(self) -> str:
        """How a finding names the point: official rule code, class, kp id and publication date."""
        code = self.gz_code or "（2025年版新增，无规则编码）"
        return f"{code} {self.rule_class} 知识点{self.kp_id}（{self.published.isoformat()}发布）"

    def as_dict(self) -> dict[str, Any]:
        return {"kp_id": self.kp_id, "batch": self.batch, "published": self.published.isoformat(),
                "rule_class": self.rule_class, "gz_code": self.gz_code, "item_name": self.item_name,
                "constraint": self.constraint, "detect_logic": self.detect_logic, "limit": self.limit,
                "supersedes": self.supersedes or None, "source": f"{self.source_file}#{self.source_row}",
                "codes": list(self.codes)}


@dataclass
class Parsed:
    """The limit one point carries, as knowledge-table values; ``reason`` says why it was not read."""

    point: Point
    values: dict[str, Any] = field(default_factory=dict)
    reason: str | None = None

    @property
    def ok(self) -> bool:
        return self.reason is None


# --------------------------------------------------------------------------------------- grammar

_CN_NUM = {"一": 1, "二": 2, "三": 3}
_LEVEL = re.compile(r"([一二三])级(?:及以上|以上)?(?:[^，。；]{0,8})?(?:医疗机构|医院|医师)")
_AGE_RANGE = re.compile(r"(\d+)\s*(?:岁)?\s*(?:至|-|－|~|～)\s*(\d+)\s*岁(以下)?")
_AGE_FROM = re.compile(r"(\d+)\s*岁及(?:\d+岁)?以上")
_COURSE = re.compile(r"(?:不超过|最多支付|最多)\s*(\d+|一|两|二|三)\s*(天|日|个月|周|年)")
_WEEKLY = re.compile(r"每周最多支付(一|1)次")
_INTERVAL = re.compile(r"间隔时间不短于(\d+)天")
#: wording that makes a 二线 point explicit: a first-line therapy must have failed or be unsuitable
_SECOND_LINE = re.compile(r"二线|一线|既往|失败|不佳|欠佳|不耐受|无法耐受|不能耐受|无效|难以控制|不应答|应答不足|"
                          r"耐药|禁忌|复发|进展|经.{0,20}治疗|治疗后")
_FREQ_UNITS = ("日", "天", "小时", "次", "周", "月", "年")
_UNIT_DAYS = {"天": 1, "日": 1, "周": 7, "个月": 30, "年": 365}


def _num(text: str) -> int:
    return int(text) if text.isdigit() else {"一": 1, "两": 2, "二": 2, "三": 3}[text]


def parse_level(text: str) -> int | None:
    """Lowest institution level the wording allows (``二级及以上医疗机构`` → 2); several → the lowest."""
    levels = [_CN_NUM[m.group(1)] for m in _LEVEL.finditer(text)]
    return min(levels) if levels else None


def parse_child_ages(text: str) -> tuple[int, int] | None:
    """``限2岁至11岁儿童`` → (2, 12); ``3岁及以上儿童`` → (3, CHILD_AGE_MAX); several ranges → their hull."""
    spans: list[tuple[int, int]] = []
    for m in _AGE_RANGE.finditer(text):
        lo, hi = int(m.group(1)), int(m.group(2))
        spans.append((lo, hi if m.group(3) else hi + 1))
    for m in _AGE_FROM.finditer(text):
        spans.append((int(m.group(1)), CHILD_AGE_MAX))
    if not spans:
        return None
    lo, hi = min(s[0] for s in spans), max(s[1] for s in spans)
    return (lo, hi) if lo < hi else None


def parse_course_days(text: str) -> int | None:
    m = _COURSE.search(text)
    if m:
        return _num(m.group(1)) * _UNIT_DAYS[m.group(2)]
    if "不超过一年" in text:
        return 365
    return None


def parse_visit_types(text: str) -> list[str] | None:
    """住院-only wording → ``['inpatient']``; wording naming both 住院 and 门诊 is left to a reviewer."""
    if "住院" in text and "门诊" not in text:
        return ["inpatient"]
    return None


def parse_point(p: Point, indications: dict[str, list[str]]) -> Parsed:
    """The knowledge-table values of one point, or the reason they cannot be read from its wording."""
    c, text = p.rule_class, p.constraint
    if not p.codes:
        return Parsed(p, reason="知识点未列出任何国家编码 / the point lists no national code")
    if c in ("药品区分性别使用", "医疗服务项目区分性别使用"):
        if p.limit in ("男", "女"):
            return Parsed(p, {"gender": "1" if p.limit == "男" else "2"})
        return Parsed(p, reason="未给出限定性别 / no sex limit")
    if c == "药品儿童专用":
        return Parsed(p, {"age_max": CHILD_AGE_MAX})
    if c == "药品限儿童使用":
        ages = parse_child_ages(text)
        if ages is not None:
            return Parsed(p, {"age_min": ages[0] or None, "age_max": ages[1]})
        if "儿童" in text or "⼉童" in text:
            return Parsed(p, {"age_max": CHILD_AGE_MAX})
        return Parsed(p, reason=f"未能从限定读出年龄范围 / no age range in: {text}")
    if c == "医疗服务项目儿童专用":
        for word in ("新生儿", "婴幼儿", "婴儿", "小儿", "儿童"):
            if word in text or word in p.item_name:
                return Parsed(p, {"age_max": INFANT_AGE_MAX[word]})
        return Parsed(p, reason=f"未能读出儿童年龄段 / no child age group in: {text}")
    if c in ("药品限工伤保险", "药品限生育保险"):
        return Parsed(p, {"insurance_only": c[3:5]})
    if c == "药品限医疗机构级别":
        lv = parse_level(text)
        return Parsed(p, {"min_level": lv}) if lv else Parsed(p, reason=f"未能读出医疗机构级别 / no level in: {text}")
    if c == "药品限就医方式":
        vt = parse_visit_types(text)
        return Parsed(p, {"visit_types": vt}) if vt else Parsed(p, reason=f"未能读出就医方式 / no visit type in: {text}")
    if c == "药品限二线使用":
        if _SECOND_LINE.search(text):
            return Parsed(p, {"second_line": True})
        return Parsed(p, reason=f"限定未写明一线治疗无效或不耐受 / wording does not state the first-line condition: {text}")
    if c in ("药品限支付疗程", "医疗服务项目限支付疗程"):
        days = parse_course_days(text)
        return Parsed(p, {"course_days": days}) if days else Parsed(p, reason=f"未能读出支付疗程 / no course length in: {text}")
    if c == "药品限适应症":
        icd = indications.get(p.kp_id)
        if icd:
            return Parsed(p, {"indications": icd})
        return Parsed(p, reason="适应症尚未映射为ICD-10编码前缀 / indication text not yet mapped to ICD-10 prefixes")
    if c == "医疗服务项目重复收费":
        if len(p.codes) == 2 and "×" in p.item_name:
            return Parsed(p, {"code_a": p.codes[0], "code_b": p.codes[1]})
        return Parsed(p, reason=f"重复收费应恰有两个项目编码 / a pair needs exactly two codes, got {len(p.codes)}")
    if c == "医疗服务项目限定频次":
        if text.strip() in _FREQ_UNITS:
            return Parsed(p, {"freq_unit": text.strip()})
        return Parsed(p, reason=f"未能读出计价单位 / no unit in: {text}")
    if c == "医疗服务项目周期超频次":
        if _WEEKLY.search(text):
            return Parsed(p, {"period_days": 7, "period_count": 1})
        if (m := _INTERVAL.search(text)) is not None:
            return Parsed(p, {"period_days": int(m.group(1)), "period_count": 1})
        return Parsed(p, reason=f"未能读出周期与次数 / no period in: {text}")
    if c == "手术项目未按规定折价收费":
        return Parsed(p, {"surgery_group": text}) if text.endswith("组") else Parsed(
            p, reason=f"未能读出手术组 / no surgery group in: {text}")
    if c == "医疗服务项目限年龄":
        return Parsed(p, reason="法定就业年龄为地方参数 / the working-age bounds are a regional parameter")
    if c in ("中药饮片单方使用不予支付", "中药饮片单复方均不予支付", "超互联网医院药品支付范围"):
        return Parsed(p, {"class_rule": True})
    return Parsed(p, reason=f"未知规则分类 / unknown rule class: {c}")


# ----------------------------------------------------------------------------------------- reading


def _read_tsv(path: Path, problems: list[Problem]) -> tuple[list[str], list[list[str]]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        problems.append(Problem(str(path), None, None, f"无法读取 / cannot read: {exc}"))
        return [], []
    except UnicodeDecodeError as exc:
        problems.append(Problem(str(path), None, None, f"文件不是 UTF-8 编码 / not UTF-8: {exc}"))
        return [], []
    rows = list(csv.reader(text.splitlines(), delimiter="\t", quoting=csv.QUOTE_NONE))
    if not rows:
        problems.append(Problem(str(path), 1, None, "文件为空 / empty file"))
        return [], []
    return rows[0], rows[1:]


def read_indication_map(path: Path = INDICATION_MAP) -> dict[str, list[str]]:
    """kp_id → ICD-10 prefixes from the reviewable mapping (columns kp_id, item_name, icd_prefixes, basis)."""
    if not path.is_file():
        return {}
    problems: list[Problem] = []
    header, rows = _read_tsv(path, problems)
    out: dict[str, list[str]] = {}
    from medaudit.knowledge.pack import _check_icd

    for no, r in enumerate(rows, start=2):
        rec = dict(zip(header, r, strict=False))
        prefixes = [x.strip() for x in (rec.get("icd_prefixes") or "").split("|") if x.strip()]
        bad = [reason for x in prefixes if (reason := _check_icd(x))]
        if not rec.get("kp_id") or not prefixes or bad:
            problems.append(Problem(str(path), no, "icd_prefixes", "; ".join(bad) or "缺少 kp_id 或编码 / kp_id or prefixes missing"))
            continue
        out[rec["kp_id"]] = prefixes
    if problems:
        raise KnowledgeError(problems)
    return out


@dataclass
class Liangku:
    """Everything the folder holds, with the problems found reading it."""

    folder: Path
    points: dict[str, Point]
    classes: list[dict[str, str]]
    problems: list[Problem] = field(default_factory=list)

    @property
    def superseded_by(self) -> dict[str, Point]:
        return {p.supersedes: p for p in self.points.values() if p.supersedes}

    def in_force(self, as_of: dt.date | None = None) -> list[Point]:
        """Points published by ``as_of`` and not yet replaced by a revision published by then
        (``None``: the latest state)."""
        day = as_of or dt.date.max
        replaced = {p.supersedes for p in self.points.values() if p.supersedes and p.published <= day}
        return [p for p in self.points.values() if p.published <= day and p.kp_id not in replaced]


def read_liangku(folder: Path | None = None) -> Liangku:
    """Read the folder; raises :class:`KnowledgeError` when it is missing or a file is unreadable.

    Row-level problems (bad date, unknown supersede target, code of an unknown point) are kept in
    ``problems`` — the point is still loaded when its own row is sound."""
    folder = Path(folder) if folder is not None else liangku_dir()
    problems: list[Problem] = []
    if not folder.is_dir():
        raise KnowledgeError([Problem(str(folder), None, None, "两库知识点目录不存在 / knowledge-point folder not found "
                                      "(设置 MEDAUDIT_REFERENCE_DATA 或 MEDAUDIT_LIANGKU_DATA)")])
    header, rows = _read_tsv(folder / POINTS_FILE, problems)
    missing = [c for c in POINT_COLUMNS if c not in header]
    if missing:
        problems.append(Problem(str(folder / POINTS_FILE), 1, ",".join(missing), "缺少列 / columns missing"))
        raise KnowledgeError(problems)
    raw: dict[str, dict[str, str]] = {}
    lines: dict[str, int] = {}
    for no, r in enumerate(rows, start=2):
        if len(r) != len(header):
            problems.append(Problem(str(folder / POINTS_FILE), no, None,
                                    f"字段数 {len(r)} 与表头 {len(header)} 不一致 / field count differs"))
            continue
        rec = dict(zip(header, r, strict=True))
        if rec["kp_id"] in raw:
            problems.append(Problem(str(folder / POINTS_FILE), no, "kp_id", f"kp_id 重复 / duplicate: {rec['kp_id']}"))
            continue
        raw[rec["kp_id"]] = rec
        lines[rec["kp_id"]] = no
    codes: dict[str, list[str]] = {}
    cheader, crows = _read_tsv(folder / CODES_FILE, problems)
    for no, r in enumerate(crows, start=2):
        if len(r) < 2 or not r[1].strip():
            problems.append(Problem(str(folder / CODES_FILE), no, "med_code", "缺少编码 / code missing"))
            continue
        if r[0] not in raw:
            problems.append(Problem(str(folder / CODES_FILE), no, "kp_id", f"未知知识点 / unknown point: {r[0]}"))
            continue
        lst = codes.setdefault(r[0], [])
        if r[1] not in lst:
            lst.append(r[1].strip())
    points: dict[str, Point] = {}
    for kp, rec in raw.items():
        try:
            published = dt.date.fromisoformat(rec["published"])
        except ValueError:
            problems.append(Problem(str(folder / POINTS_FILE), lines[kp], "published",
                                    f"发布日期无效 / bad date: {rec['published']!r}"))
            continue
        points[kp] = Point(kp, rec["batch"], published, rec["rule_class"], rec["gz_code"], rec["level1"], rec["level2"],
                           rec["item_name"], rec["constraint"], rec["detect_logic"], rec["limit"], rec["supersedes"],
                           rec["source_file"], int(rec["source_row"] or 0), tuple(codes.get(kp, ())))
    for p in points.values():
        if p.supersedes and p.supersedes not in points:
            problems.append(Problem(str(folder / POINTS_FILE), lines[p.kp_id], "supersedes",
                                    f"被替代的知识点不存在 / superseded point unknown: {p.supersedes}"))
    cl_header, cl_rows = _read_tsv(folder / CLASSES_FILE, problems)
    classes = [dict(zip(cl_header, r, strict=False)) for r in cl_rows]
    return Liangku(folder, points, classes, problems)


def read_classes(folder: Path | None = None) -> list[dict[str, str]]:
    """The 88 rule classes of the 2025 edition (seq, tier1, tier2, name, has_kp_detail, gz_code_1_0, new_in_2025)."""
    folder = Path(folder) if folder is not None else liangku_dir()
    problems: list[Problem] = []
    header, rows = _read_tsv(folder / CLASSES_FILE, problems)
    if problems:
        raise KnowledgeError(problems)
    return [dict(zip(header, r, strict=False)) for r in rows]


# ------------------------------------------------------------------------------------------ layer

_DRUG_CATEGORY = {"X": "西药", "Z": "中成药", "T": "中药饮片"}


@dataclass
class Unused:
    kp_id: str
    rule_class: str
    item_name: str
    reason: str

    def as_dict(self) -> dict[str, str]:
        return {"kp_id": self.kp_id, "rule_class": self.rule_class, "item_name": self.item_name, "reason": self.reason}


@dataclass
class ImportReport:
    """What the import made of every point: per class counts, and each point it could not use and why."""

    folder: Path
    as_of: dt.date | None
    total: int
    in_force: int
    superseded: list[tuple[str, str]]  # (old kp_id, revision kp_id) applied as of the day
    per_class: dict[str, dict[str, int]]  # class -> {points, parsed}
    unused: list[Unused]
    problems: list[Problem]
    rows: dict[str, int]

    def as_dict(self) -> dict[str, Any]:
        return {"folder": str(self.folder), "as_of": self.as_of.isoformat() if self.as_of else None,
                "total": self.total, "in_force": self.in_force,
                "superseded": [{"kp_id": a, "by": b} for a, b in self.superseded],
                "per_class": self.per_class, "unused": [u.as_dict() for u in self.unused],
                "problems": [str(p) for p in self.problems], "rows": self.rows}


@dataclass
class NationalPoints:
    """Which national points stand behind each knowledge row, so a finding can cite them."""

    by_key: dict[str, list[Point]]
    report: ImportReport
    #: every point read (also superseded ones), so a revision can show what it replaced
    points: dict[str, Point] = field(default_factory=dict)

    def describe(self, key: str) -> list[str]:
        """Lines for people: each point behind a knowledge row, its limit, codes and what it superseded."""
        out: list[str] = []
        for p in self.by_key.get(key, []):
            line = f"国家知识点 {p.citation()}：{p.constraint}"
            if p.limit:
                line += f"；限定：{p.limit}"
            line += f"；编码：{'、'.join(p.codes)}"
            if p.supersedes:
                old = self.points.get(p.supersedes)
                line += f"；替代 {p.supersedes}" + (f"（{old.published.isoformat()}发布，自 {p.published.isoformat()} 起失效）"
                                                   if old else "")
            out.append(line)
        return out

    def points_for(self, key: str, gz_codes: Iterable[str] = (), classes: Iterable[str] = ()) -> list[Point]:
        want_codes, want_classes = set(gz_codes), set(classes)
        pts = self.by_key.get(key, [])
        if not want_codes and not want_classes:
            return pts
        return [p for p in pts if (p.gz_code and p.gz_code in want_codes) or p.rule_class in want_classes]

    def cite(self, kb_ref: str | None, gz_codes: Iterable[str], classes: Iterable[str]) -> str | None:
        """``kb_ref`` with the national points of the template's classes behind it appended."""
        if not kb_ref or ":" not in kb_ref:
            return None
        key = kb_ref.split(":", 1)[1]
        pts = self.points_for(key, gz_codes, classes)
        if not pts:
            return None
        cites = "；".join(f"{p.citation()}：{p.constraint}（检出逻辑：{p.detect_logic}）" for p in pts)
        return f"{kb_ref}｜{cites}"


def _merge(target: dict[str, Any], values: dict[str, Any], p: Point, conflicts: list[Unused]) -> None:
    for k, v in values.items():
        if k == "age_min" and v is None:
            continue
        old = target.get(k)
        if old is None or old == v:
            target[k] = v
        elif k == "min_level":
            target[k] = min(old, v)  # the least restrictive reading of two points
        elif k == "age_max":
            target[k] = max(old, v)
        elif k == "age_min":
            target[k] = min(old, v)
        elif k in ("visit_types", "indications"):
            target[k] = sorted(set(old) | set(v))
        else:
            conflicts.append(Unused(p.kp_id, p.rule_class, p.item_name,
                                    f"与同编码的其他知识点冲突（{k}: {old} ≠ {v}）/ conflicts with another point on the same code"))


def build_layer(lk: Liangku, as_of: dt.date | None = None,
                indications: dict[str, list[str]] | None = None) -> tuple[Any, NationalPoints]:
    """The national knowledge-point layer as a :class:`~medaudit.knowledge.pack.Pack`, for one day."""
    from medaudit.knowledge.pack import Manifest, Pack, PackRow

    ind = read_indication_map() if indications is None else indications
    live = lk.in_force(as_of)
    parsed = [parse_point(p, ind) for p in sorted(live, key=lambda p: (p.published, p.kp_id))]
    per_class: dict[str, dict[str, int]] = {}
    unused: list[Unused] = []
    drugs: dict[str, dict[str, Any]] = {}
    items: dict[str, dict[str, Any]] = {}
    rels: dict[tuple[str, str], dict[str, Any]] = {}
    by_key: dict[str, list[Point]] = {}
    live_ids = {p.kp_id for p in live}
    for p in sorted(lk.points.values(), key=lambda p: p.kp_id):  # parse rate over every point
        pr = parse_point(p, ind)
        stat = per_class.setdefault(p.rule_class, {"points": 0, "parsed": 0, "in_force": 0})
        stat["points"] += 1
        stat["parsed"] += pr.ok
        stat["in_force"] += p.kp_id in live_ids
        if not pr.ok:
            unused.append(Unused(p.kp_id, p.rule_class, p.item_name, pr.reason or ""))
        elif CLASS_TARGET.get(p.rule_class) is None:
            unused.append(Unused(p.kp_id, p.rule_class, p.item_name,
                                 "已解析，但暂无规则模板读取该类知识 / parsed; no template reads this class yet"))
    for pr in parsed:
        p = pr.point
        target = CLASS_TARGET.get(p.rule_class)
        if not pr.ok or target is None:
            continue
        if target == "kb_item_relation":
            a, b = pr.values["code_a"], pr.values["code_b"]
            rels[(a, b)] = {"code_a": a, "code_b": b, "relation": "included", "time_window": "day",
                            "note": f"{p.item_name}：{p.constraint}"}
            by_key.setdefault(f"{a}>{b}", []).append(p)
            names = p.item_name.split("×", 1)
            for code, name in ((a, names[0]), (b, names[1])):
                items.setdefault(code, {"code_prefix": code, "name": name.strip(), "texts": []})
            continue
        is_drug = target.startswith("kb_drug")
        for code in p.codes:
            if is_drug:
                if code[:1] not in _DRUG_CATEGORY:
                    unused.append(Unused(p.kp_id, p.rule_class, p.item_name, f"不是药品编码 / not a drug code: {code}"))
                    continue
                row = drugs.setdefault(code, {"code_prefix": code, "generic_name": p.item_name,
                                              "category": _DRUG_CATEGORY[code[0]], "texts": [],
                                              "drug_class": code[1:5] if code[0] == "X" else None})
            else:
                row = items.setdefault(code, {"code_prefix": code, "name": p.item_name, "texts": []})
            if p.constraint and p.constraint not in row["texts"]:
                row["texts"].append(p.constraint)
            _merge(row, pr.values, p, unused)
            by_key.setdefault(code, []).append(p)
    manifest = Manifest(
        name="nhsa-liangku", version=max((p.published for p in live), default=dt.date(2025, 1, 1)).isoformat(),
        region="000000", layer="national", illustrative=False, path=lk.folder,
        description="国家医保局公布的智能监管规则库知识点（第1–17批及2026-01-28修订）/ NHSA published knowledge points")
    src_file = str(lk.folder / POINTS_FILE)
    drow: dict[tuple[str, ...], PackRow] = {}
    for code, r in sorted(drugs.items()):
        values = {"code_prefix": code, "generic_name": r["generic_name"], "category": r["category"],
                  "chrgitm_lv": None, "restriction_text": "；".join(r["texts"]) or None,
                  "gender": r.get("gender"), "age_min": r.get("age_min"), "age_max": r.get("age_max"),
                  "min_level": r.get("min_level"), "second_line": bool(r.get("second_line")),
                  "insurance_only": r.get("insurance_only"), "drug_class": r.get("drug_class")}
        children = {"kb_drug_indication": r.get("indications", []), "kb_drug_visit": r.get("visit_types", [])}
        drow[(code,)] = PackRow("kb_drug", (code,), values, children, False, src_file, 0)
    irow: dict[tuple[str, ...], PackRow] = {}
    for code, r in sorted(items.items()):
        values = {"code_prefix": code, "name": r["name"], "category": None, "gender": r.get("gender"),
                  "age_min": r.get("age_min"), "age_max": r.get("age_max"), "connotation": "；".join(r["texts"]) or None}
        irow[(code,)] = PackRow("kb_item", (code,), values, {"kb_item_dept": [], "kb_item_indication": []},
                                False, src_file, 0)
    rrow: dict[tuple[str, ...], PackRow] = {(a, b, "included"): PackRow("kb_item_relation", (a, b, "included"), v, {}, False, src_file, 0)
            for (a, b), v in sorted(rels.items())}
    pack = Pack(manifest, {"kb_drug": drow, "kb_item": irow, "kb_item_relation": rrow})
    day = as_of or dt.date.max
    superseded = sorted((p.supersedes, p.kp_id) for p in lk.points.values() if p.supersedes and p.published <= day)
    report = ImportReport(lk.folder, as_of, len(lk.points), len(live), superseded, per_class, unused,
                          list(lk.problems), {"kb_drug": len(drow), "kb_item": len(irow), "kb_item_relation": len(rrow)})
    return pack, NationalPoints(by_key, report, dict(lk.points))


def national_points_from(rows: Iterable[dict[str, Any]]) -> NationalPoints:
    """Citations from points written inline (golden cases): each row a point with its ``codes``;
    a 重复收费 pair is keyed ``code_a>code_b`` as its kb_item_relation row is."""
    by_key: dict[str, list[Point]] = {}
    for r in rows:
        codes = tuple(str(c) for c in r.get("codes", ()))
        p = Point(str(r["kp_id"]), str(r.get("batch", "")), dt.date.fromisoformat(str(r["published"])),
                  str(r["rule_class"]), str(r.get("gz_code") or ""), str(r.get("level1", "")), str(r.get("level2", "")),
                  str(r["item_name"]), str(r.get("constraint", "")), str(r.get("detect_logic", "")),
                  str(r.get("limit", "")), str(r.get("supersedes", "")), str(r.get("source_file", "")),
                  int(r.get("source_row", 0)), codes)
        keys = [f"{codes[0]}>{codes[1]}"] if p.rule_class == "医疗服务项目重复收费" and len(codes) == 2 else list(codes)
        for k in keys:
            by_key.setdefault(k, []).append(p)
    report = ImportReport(Path("<inline>"), None, len(by_key), len(by_key), [], {}, [], [], {})
    return NationalPoints(by_key, report)
