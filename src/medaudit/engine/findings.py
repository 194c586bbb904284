"""Turning raw rule rows into explained findings — one implementation for every engine.

A finding's id is a hash of (instance, encounter, offending line, related line): stable across
re-runs and rule versions, so review decisions and appeals follow the same finding.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from typing import Any

import pyarrow as pa

from medaudit.engine.compile import ENC_COLUMNS
from medaudit.engine.prepare import EPOCH
from medaudit.rules.loader import RuleBase
from medaudit.rules.model import CORE_COLUMNS, Instance, Template
from medaudit.schema.money import units_text, yuan_text

_EPOCH = dt.date.fromisoformat(EPOCH)

FINDINGS_SCHEMA = pa.schema([
    ("finding_id", pa.string()),
    ("rule_id", pa.string()),
    ("rule_name", pa.string()),
    ("rule_version", pa.int32()),
    ("instance_id", pa.string()),
    ("instance_version", pa.int32()),
    ("mdtrt_id", pa.string()),
    ("psn_no", pa.string()),
    ("fixmedins_code", pa.string()),
    ("line_id", pa.string()),
    ("related_line_id", pa.string()),
    ("amount_fen", pa.int64()),
    ("result_type", pa.string()),
    ("action", pa.string()),
    ("severity", pa.string()),
    ("points", pa.int32()),
    ("category", pa.string()),
    ("reason", pa.string()),
    ("kb_table", pa.string()),
    ("kb_ref", pa.string()),
    ("evidence", pa.string()),
    ("dr_code", pa.string()),
    ("dept_code", pa.string()),
    ("visit_type", pa.string()),
    ("medins_admdvs", pa.string()),
    ("setl_date", pa.date32()),
    ("versions", pa.string()),
])


def empty_findings() -> pa.Table:
    return FINDINGS_SCHEMA.empty_table()


def _plain(value: Any) -> Any:
    """Engine-neutral evidence values: DuckDB returns integer sums as HUGEINT (Decimal) where SQLite
    and Spark return int, so whole Decimals become int and evidence JSON is identical everywhere."""
    if isinstance(value, Decimal) and value == value.to_integral_value():
        return int(value)
    return value


def finding_id(instance_id: str, mdtrt_id: str, line_id: str | None, related: str | None) -> str:
    key = "\x1f".join((instance_id, mdtrt_id, line_id or "", related or ""))
    return hashlib.sha1(key.encode("utf-8")).hexdigest()[:20]


def _in_scope(inst: Instance, row: dict[str, Any]) -> bool:
    s = inst.scope
    day = _EPOCH + dt.timedelta(days=int(row["enc_setl_dn"])) if row["enc_setl_dn"] is not None else None
    if day is not None and (day < inst.effective_from or (inst.effective_to and day >= inst.effective_to)):
        return False
    return not (
        (s.regions and row["enc_medins_admdvs"] not in s.regions)
        or (s.levels and row["enc_medins_lv"] not in s.levels)
        or (s.insutypes and row["enc_insutype"] not in s.insutypes)
        or (s.visit_types and row["enc_visit_type"] not in s.visit_types)
        or (s.institution_types and row["enc_fixmedins_type"] not in s.institution_types)
    )


def _display(name: str, value: Any) -> tuple[str, Any]:
    """Human forms of pinned encodings: ``*_fen`` → yuan, ``*_dn`` → date, ``*_milli`` → units."""
    if value is None:  # the human alias still exists, so a reason naming it shows "—", not a template error
        return _display(name, 0)[0], "—"
    if name.endswith("_fen"):
        return name[:-4] + "_yuan", yuan_text(int(value))
    if name.endswith("_dn"):
        return name[:-3] + "_date", (_EPOCH + dt.timedelta(days=int(value))).isoformat()
    if name.endswith("_milli"):
        return name[:-6], units_text(int(value))
    return name, value


def render_reason(template: Template, row: dict[str, Any]) -> str:
    values: dict[str, Any] = {}
    for key in (*template.evidence, "amount_fen"):
        v = _plain(row.get(key))
        values[key] = "—" if v is None else v
        alias, shown = _display(key, v)
        values[alias] = shown
    try:
        return template.reason.format_map(values)
    except (KeyError, ValueError, IndexError) as exc:  # a template bug must not lose the finding
        return f"{template.name}（原因模板错误: {exc}）"


def _raw_order(row: dict[str, Any]) -> tuple[str, ...]:
    """Deterministic processing order (NULLs first) ending with the whole row, so when two raw rows
    share a finding id the same one wins on every engine, whatever order the engine returned."""
    key = tuple("" if row[c] is None else "\x01" + str(row[c])
                for c in ("mdtrt_id", "line_id", "related_line_id", "instance_id", "kb_ref"))
    whole = json.dumps({k: _plain(v) for k, v in row.items()}, sort_keys=True, default=str, ensure_ascii=False)
    return (*key, whole)


#: ``cite(kb_ref, official rule codes, class names)`` → kb_ref extended with the national knowledge
#: point(s) behind it (see KnowledgeBase.cite), or None when no national point stands behind it
Citer = Callable[[str | None, Sequence[str], Sequence[str]], str | None]


def finalize_rows(raw: pa.Table, template: Template, instances: Iterable[Instance], rulebase: RuleBase,
                  versions: dict[str, str], cite: Citer | None = None) -> list[dict[str, Any]]:
    """Scope-filter raw rows and turn them into finding rows with ids, reasons and evidence.

    Plain Python on purpose: raw rows are findings-scale (a few per request in real time, a small
    share of lines in batch), where Arrow kernels cost more than they save.
    """
    if raw.num_rows == 0:
        return []
    by_id = {i.id: i for i in instances}
    versions_json = json.dumps(versions, ensure_ascii=False, sort_keys=True)
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    for row in sorted(raw.to_pylist(), key=_raw_order):
        inst = by_id.get(row["instance_id"])
        if inst is None or not _in_scope(inst, row):
            continue
        fid = finding_id(inst.id, row["mdtrt_id"], row["line_id"], row["related_line_id"])
        if fid in seen:
            continue
        seen.add(fid)
        action, severity, points, name = rulebase.describe(inst)
        evidence = {k: _plain(row[k]) for k in template.evidence}
        setl_dn = row["enc_setl_dn"]
        kb_ref = row["kb_ref"]
        if cite is not None and template.nhsa:
            kb_ref = cite(kb_ref, template.nhsa_codes, template.nhsa_names) or kb_ref
        out.append({
            "finding_id": fid, "rule_id": template.id, "rule_name": name, "rule_version": template.version,
            "instance_id": inst.id, "instance_version": inst.version, "mdtrt_id": row["mdtrt_id"],
            "psn_no": row["enc_psn_no"], "fixmedins_code": row["enc_fixmedins_code"],
            "line_id": row["line_id"], "related_line_id": row["related_line_id"],
            "amount_fen": int(row["amount_fen"] or 0), "result_type": template.result_type,
            "action": action, "severity": severity, "points": points, "category": template.category,
            "reason": render_reason(template, row), "kb_table": template.kb_table, "kb_ref": kb_ref,
            "evidence": json.dumps(evidence, ensure_ascii=False, default=str, sort_keys=True),
            "dr_code": None, "dept_code": None,
            "visit_type": row["enc_visit_type"], "medins_admdvs": row["enc_medins_admdvs"],
            "setl_date": None if setl_dn is None else _EPOCH + dt.timedelta(days=int(setl_dn)),
            "versions": versions_json,
        })
    out.sort(key=lambda r: (r["mdtrt_id"], r["finding_id"]))
    return out


def finalize(raw: pa.Table, template: Template, instances: Iterable[Instance], rulebase: RuleBase,
             versions: dict[str, str], cite: Citer | None = None) -> pa.Table:
    """:func:`finalize_rows` as an Arrow table of FINDINGS_SCHEMA."""
    rows = finalize_rows(raw, template, instances, rulebase, versions, cite)
    return pa.Table.from_pylist(rows, schema=FINDINGS_SCHEMA) if rows else empty_findings()


RAW_COLUMNS = (*CORE_COLUMNS, *(f"enc_{c}" for c in ENC_COLUMNS))


def with_staff(findings: pa.Table, staff: pa.Table) -> pa.Table:
    """Fill ``dr_code``/``dept_code`` from the FINDING_STAFF query's rows (keyed by encounter and line)."""
    if findings.num_rows == 0 or staff.num_rows == 0:
        return findings
    by_key = {(r["mdtrt_id"], r["line_id"]): (r["dr_code"], r["dept_code"]) for r in staff.to_pylist()}
    keys = zip(findings.column("mdtrt_id").to_pylist(), findings.column("line_id").to_pylist(), strict=True)
    pairs = [by_key.get(k, (None, None)) for k in keys]
    findings = findings.set_column(findings.schema.get_field_index("dr_code"), "dr_code",
                                   pa.array([p[0] for p in pairs], pa.string()))
    return findings.set_column(findings.schema.get_field_index("dept_code"), "dept_code",
                               pa.array([p[1] for p in pairs], pa.string()))
