"""Other institutions' history in real-time answers: used for auditing, never shown.

The history store holds every institution's settled encounters, and cross-visit rules (同时住院,
住院期间门诊, 重复追溯码 …) need them. What an HIS gets back must not tell it *where* or *when* else
its patient was treated (docs/api.md): no other institution's code, encounter or line ids, or exact
dates. Two steps keep that true for every rule, present and future, without knowing its SQL:

1. :func:`alias_foreign` gives another institution's stored encounter opaque, request-local ids
   before it enters the engine, so an HIS-local id that happens to equal one of the caller's own ids
   cannot collide with it, and anything the rules echo back is recognisable as foreign.
2. :func:`redact` inspects each finding: if its related line, or any evidence value, is a foreign
   token (an alias, another institution's code, or a day that occurs only in foreign rows), the
   reason is replaced by a statement that says a record at another institution was relied on
   (e.g. "该参保人同期在其他定点医疗机构住院") and the related detail is dropped.

Bureau-side (batch) output does not pass through here and keeps full detail.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from medaudit.engine.prepare import EPOCH
from medaudit.schema.money import yuan_text

_EPOCH = dt.date.fromisoformat(EPOCH)
ALIAS_MARK = "~"

#: what a result relying on another institution's record says instead of the template's reason;
#: placeholders are evidence fields about the caller's own encounter and line only
REASONS: dict[str, str] = {
    "concurrent_stay": "本次住院期间，该参保人同期在其他定点医疗机构住院（其他机构的名称、就诊与日期不予返回），"
                       "同一时间两处住院，涉及基金{amount_yuan}元。",
    "outpatient_during_stay": "本次{visit_zh}结算时，该参保人处于在其他定点医疗机构住院期间（其他机构的名称、就诊与日期不予返回），"
                              "疑似住院期间门诊或药店购药，涉及基金{amount_yuan}元。",
    "duplicate_trace_code": "药品【{hilist_name}】追溯码{drug_trac_codg}已在其他定点医药机构结算（其他机构的名称、就诊与日期不予返回），"
                            "重复结算，违规金额{amount_yuan}元。",
    "drug_second_line": "药品【{hilist_name}】（{generic_name}）为限二线用药（{restriction_text}），结合该参保人在其他定点医疗机构的"
                        "用药记录，此前{lookback_days}天内无同类（{drug_class}）一线药品使用记录，涉及金额{amount_yuan}元。",
    "repeat_prescription": "药品【{hilist_name}】（{ingredient}）开药{prd_days}天，结合该参保人在其他定点医药机构的开药记录"
                           "（其他机构的名称、就诊与日期不予返回），开药时同成分药品尚余{on_hand_days}天用量，超过允许的"
                           "{max_overlap_days}天余量，疑似重复开药/超量持有，超出{excess_days}天部分涉及金额{amount_yuan}元。",
    "card_two_places": "本次结算前后{min_minutes}分钟内，该参保人的医保凭证在其他统筹区的定点医药机构另有结算（其他机构的名称、"
                       "就诊与时间不予返回），两地就医时间上不可能，疑似冒名就医（人证不符），涉及基金{amount_yuan}元。",
}
GENERIC_REASON = ("【{rule_name}】依据该参保人在其他定点医疗机构的就诊记录判定（其他机构的名称、就诊与日期不予返回），"
                  "涉及金额{amount_yuan}元。")


@dataclass
class Foreign:
    """Tokens of other institutions' rows merged into one request."""

    institutions: set[str] = field(default_factory=set)
    ids: set[str] = field(default_factory=set)  # aliased encounter and line ids
    days: set[int] = field(default_factory=set)  # day numbers (EPOCH-based) occurring in foreign rows
    own_days: set[int] = field(default_factory=set)

    def __bool__(self) -> bool:
        return bool(self.ids)


def _alias(*parts: str) -> str:
    return ALIAS_MARK + hashlib.sha1("\x1f".join(parts).encode("utf-8")).hexdigest()[:16]


def _day(value: Any) -> int | None:
    if not isinstance(value, str) or len(value) < 10:
        return None
    try:
        return (dt.date.fromisoformat(value[:10]) - _EPOCH).days
    except ValueError:
        return None


def _days(row: dict[str, Any]) -> set[int]:
    return {d for v in row.values() if (d := _day(v)) is not None}


def alias_foreign(payload: dict[str, list[dict[str, Any]]], institution: str, foreign: Foreign) -> dict[str, list[dict[str, Any]]]:
    """A copy of another institution's stored encounter with opaque ids (see module doc)."""
    out: dict[str, list[dict[str, Any]]] = {}
    enc_ids: dict[str, str] = {}
    for e in payload.get("encounters", []):
        enc_ids[e["mdtrt_id"]] = _alias(institution, e["mdtrt_id"])
    line_ids = {ln["line_id"]: _alias(institution, ln["mdtrt_id"], ln["line_id"]) for ln in payload.get("fee_lines", [])}
    for name, rows in payload.items():
        copied = []
        for r in rows:
            r = dict(r)
            if "mdtrt_id" in r and r["mdtrt_id"] in enc_ids:
                r["mdtrt_id"] = enc_ids[r["mdtrt_id"]]
            for col in ("line_id", "init_line_id"):
                if r.get(col) in line_ids:
                    r[col] = line_ids[r[col]]
            foreign.days |= _days(r)
            copied.append(r)
        out[name] = copied
    foreign.institutions.add(institution)
    foreign.ids |= set(enc_ids.values()) | set(line_ids.values())
    return out


def note_own(rows: dict[str, list[dict[str, Any]]], foreign: Foreign) -> None:
    """Days of the caller's own rows: an evidence day also found there reveals nothing foreign."""
    for name in ("encounters", "fee_lines", "operations"):
        for r in rows.get(name, []):
            foreign.own_days |= _days(r)


def _is_foreign(name: str, value: Any, foreign: Foreign, own_institution: str) -> bool:
    if isinstance(value, str):
        return value in foreign.ids or (value in foreign.institutions and value != own_institution)
    if isinstance(value, int) and not isinstance(value, bool) and name.endswith("_dn"):
        return value in foreign.days and value not in foreign.own_days
    return False


def relies_on_foreign(finding: dict[str, Any], foreign: Foreign, own_institution: str) -> bool:
    if not foreign:
        return False
    if finding.get("related_line_id") in foreign.ids:
        return True
    evidence = json.loads(finding["evidence"]) if finding.get("evidence") else {}
    return any(_is_foreign(k, v, foreign, own_institution) for k, v in evidence.items())


def redacted_reason(finding: dict[str, Any]) -> str:
    """The reason of a finding that relied on another institution's record (see module doc)."""
    values: dict[str, Any] = json.loads(finding["evidence"]) if finding.get("evidence") else {}
    values = {k: ("—" if v is None else v) for k, v in values.items()}
    values["amount_yuan"] = yuan_text(int(finding["amount_fen"]))
    values["rule_name"] = finding["rule_name"]
    template = REASONS.get(finding["rule_id"], GENERIC_REASON)
    try:
        return template.format_map(values)
    except (KeyError, ValueError, IndexError):
        return GENERIC_REASON.format_map(values)
