"""Coverage of the 88 national rule classes (《规则库、知识库（2025年版）》) by the rule templates.

Generated from each template's ``nhsa`` metadata, the class list ``rule_classes_2025.tsv`` of the
NHSA reference data, and the reviewable reasons in ``nhsa_not_implemented.yaml`` — never by hand.
A class is *implemented* when some template covers it fully, *partly* when templates cover only part
of it (their notes say what is missing), and *not* otherwise (with the reason).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

from medaudit.rules.model import Template

REASONS_FILE = Path(__file__).resolve().parent / "nhsa_not_implemented.yaml"
CATALOGUE_FILE = Path(__file__).resolve().parent / "catalogue.yaml"
STATUS_ZH = {"implemented": "已实现", "partly": "部分实现", "not": "未实现"}


@dataclass
class ClassCoverage:
    seq: int
    tier1: str
    tier2: str
    name: str
    code: str
    has_points: bool
    status: str
    templates: list[str] = field(default_factory=list)
    reason: str = ""


def read_reasons(path: Path = REASONS_FILE) -> dict[int, str]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {int(k): str(v) for k, v in data.items()}


def check_metadata(templates: Mapping[str, Template], classes: Sequence[Mapping[str, str]]) -> list[str]:
    """Template class entries whose number, name or official code disagree with the class list."""
    by_seq = {int(c["seq"]): c for c in classes}
    out: list[str] = []
    for t in templates.values():
        for c in t.nhsa:
            ref = by_seq.get(c.seq)
            if ref is None:
                out.append(f"{t.id}: class {c.seq} is not in the class list")
                continue
            if c.name != ref["name"]:
                out.append(f"{t.id}: class {c.seq} is named {ref['name']!r}, not {c.name!r}")
            if (c.code or "") != (ref.get("gz_code_1_0") or ""):
                out.append(f"{t.id}: class {c.seq} has official code {ref.get('gz_code_1_0') or '(none)'!r}, "
                           f"not {c.code!r}")
    return out


def coverage(templates: Mapping[str, Template], classes: Sequence[Mapping[str, str]],
             reasons: Mapping[int, str]) -> list[ClassCoverage]:
    rows: list[ClassCoverage] = []
    for c in classes:
        seq = int(c["seq"])
        full = [t.id for t in templates.values() for n in t.nhsa if n.seq == seq and n.coverage == "full"]
        part = [(t.id, n.note) for t in templates.values() for n in t.nhsa if n.seq == seq and n.coverage == "partly"]
        if full:
            status, tids, reason = "implemented", full + [tid for tid, _ in part], ""
        elif part:
            status, tids, reason = "partly", [tid for tid, _ in part], "；".join(f"{tid}：{note}" for tid, note in part)
        else:
            status, tids, reason = "not", [], reasons.get(seq, "")
        rows.append(ClassCoverage(seq, c["tier1"], c["tier2"], c["name"], c.get("gz_code_1_0") or "",
                                  c.get("has_kp_detail") == "1", status, tids, reason))
    return rows


def check_reasons(rows: Sequence[ClassCoverage], reasons: Mapping[int, str]) -> list[str]:
    """Every unimplemented class has a reason; no reason is kept for a class a template now covers."""
    out = [f"class {r.seq} {r.name}: not implemented and no reason in {REASONS_FILE.name}"
           for r in rows if r.status == "not" and not r.reason.strip()]
    covered = {r.seq for r in rows if r.status != "not"}
    out += [f"class {s}: covered by a template but still listed in {REASONS_FILE.name}" for s in sorted(reasons)
            if s in covered]
    return out


def render_table(rows: Sequence[ClassCoverage]) -> list[str]:
    counts = {s: sum(1 for r in rows if r.status == s) for s in STATUS_ZH}
    lines = [
        "## 国家规则分类覆盖 / coverage of the 88 national rule classes",
        "",
        "《规则库、知识库（2025年版）》（2026-02-12）的规则分类与实现它们的模板，由模板元数据 `nhsa`、参考数据",
        "`nhsa-liangku/rule_classes_2025.tsv` 与 `src/medaudit/rules/nhsa_not_implemented.yaml` 生成。",
        "",
        f"已实现 {counts['implemented']} · 部分实现 {counts['partly']} · 未实现 {counts['not']}（共 {len(rows)} 类）"
        f" / implemented {counts['implemented']}, partly {counts['partly']}, not {counts['not']}",
        "",
        "| 序号 | 一级 | 二级 | 规则分类 | 规则编码 | 国家知识点 | 状态 | 模板 | 说明 |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        tids = "、".join(f"`{t}`" for t in dict.fromkeys(r.templates)) or "—"
        lines.append(f"| {r.seq} | {r.tier1} | {r.tier2} | {r.name} | {r.code or '（新增）'} | "
                     f"{'有' if r.has_points else '—'} | {STATUS_ZH[r.status]} | {tids} | {r.reason or '—'} |")
    return lines


def coverage_section(templates: Mapping[str, Template], folder: Path | None = None) -> list[str]:
    """The docs/rules.md section; says so plainly when the class list is not available."""
    from medaudit.knowledge.errors import KnowledgeError
    from medaudit.knowledge.liangku import CLASSES_FILE, liangku_dir, read_classes

    try:
        classes = read_classes(folder)
    except KnowledgeError:
        where = (folder or liangku_dir()) / CLASSES_FILE
        return ["## 国家规则分类覆盖 / coverage of the 88 national rule classes", "",
                f"未找到 {where}，无法生成覆盖表 / class list not found."]
    return render_table(coverage(templates, classes, read_reasons()))


@lru_cache(maxsize=1)
def catalogue_rows() -> dict[str, dict[str, str]]:
    """The rows of DOMAIN.md §1.2 (and DQ): id -> {name, reason when no template implements it}."""
    data = yaml.safe_load(CATALOGUE_FILE.read_text(encoding="utf-8")) or {}
    return {str(k): {str(a): str(b) for a, b in v.items()} for k, v in data.items()}


def catalogue_coverage(templates: Mapping[str, Template]) -> list[tuple[str, str, list[str], str]]:
    """(row id, name, implementing template ids, reason) for every catalogue row."""
    return [(rid, row["name"], [t.id for t in templates.values() if rid in t.catalogue], row.get("reason", ""))
            for rid, row in catalogue_rows().items()]


def check_catalogue(templates: Mapping[str, Template]) -> list[str]:
    """Every row is implemented or says why not; a row some template implements keeps no reason."""
    out: list[str] = []
    for rid, name, tids, reason in catalogue_coverage(templates):
        if not tids and not reason.strip():
            out.append(f"catalogue row {rid} {name}: no template and no reason in {CATALOGUE_FILE.name}")
        if tids and reason:
            out.append(f"catalogue row {rid} {name}: implemented by {tids} but still has a reason")
    return out


def catalogue_section(templates: Mapping[str, Template]) -> list[str]:
    rows = catalogue_coverage(templates)
    done = sum(1 for r in rows if r[2])
    lines = [
        "## 规则目录覆盖 / coverage of the consolidated catalogue (DOMAIN.md §1.2)",
        "",
        "由模板元数据 `catalogue` 与 `src/medaudit/rules/catalogue.yaml` 生成；未实现的行写明原因。",
        "",
        f"已实现 {done} · 未实现 {len(rows) - done}（共 {len(rows)} 行） / implemented {done}, not {len(rows) - done}",
        "",
        "| 行 | 规则 | 模板 | 未实现原因 |",
        "|---|---|---|---|",
    ]
    for rid, name, tids, reason in rows:
        lines.append(f"| {rid} | {name} | {'、'.join(f'`{t}`' for t in tids) or '—'} | {reason or '—'} |")
    return lines
