"""Golden cases: hand-made claims that must (or must not) produce exact findings for a template.

A case lists rows per table; rows are merged onto small defaults (one patient, one institution,
one outpatient encounter) so each case states only what matters to its rule.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import yaml

from medaudit.knowledge.tables import KB_TABLES
from medaudit.rules.loader import RuleBase, load_templates
from medaudit.rules.model import Instance
from medaudit.schema import TABLES
from medaudit.schema.rows import rows_to_table

GOLDEN_DIR = Path(__file__).parent / "golden"

DEFAULTS: dict[str, dict[str, Any]] = {
    "patients": {"psn_no": "P1", "gend": "1", "brdy": "1980-05-01", "insutype": "310", "insu_admdvs": "440100"},
    "institutions": {"fixmedins_code": "H1", "fixmedins_name": "示例市第一人民医院", "fixmedins_type": "hospital",
                     "medins_lv": 3, "admdvs": "440100"},
    "encounters": {"mdtrt_id": "E1", "psn_no": "P1", "fixmedins_code": "H1", "med_type": "11",
                   "visit_type": "outpatient", "adm_time": "2025-03-01 09:00:00", "dscg_time": "2025-03-01 10:00:00",
                   "psn_admdvs": "440100", "medins_admdvs": "440100", "insutype": "310",
                   "setl_time": "2025-03-01 10:00:00", "medfee_sumamt_fen": 0, "fund_pay_fen": 0, "psn_pay_fen": 0},
    "fee_lines": {"mdtrt_id": "E1", "med_chrgitm_type": "09", "cnt_milli": 1000, "pric_fen": 1000,
                  "fee_ocur_time": "2025-03-01 09:30:00"},
    "diagnoses": {"mdtrt_id": "E1", "maindiag_flag": True, "diag_type": "2"},
    "operations": {"mdtrt_id": "E1"},
    "staff": {},
}
ALWAYS = ("patients", "institutions", "encounters")


@dataclass
class GoldenCase:
    template: str
    name: str
    claims: dict[str, pa.Table]
    knowledge: dict[str, pa.Table]
    params: dict[str, Any]
    expect: list[dict[str, Any]]
    #: national knowledge points written inline (kp_id, published, rule_class, gz_code, item_name,
    #: constraint, detect_logic, codes): findings on their codes must cite them
    national: list[dict[str, Any]] = field(default_factory=list)


def _fee_defaults(row: dict[str, Any]) -> dict[str, Any]:
    merged = {**DEFAULTS["fee_lines"], **row}
    merged.setdefault("hilist_name", merged.get("hilist_code"))
    if "amt_fen" not in merged:
        merged["amt_fen"] = int(merged["cnt_milli"]) * int(merged["pric_fen"]) // 1000
    return merged


def build_case(template: str, doc: dict[str, Any]) -> GoldenCase:
    claims: dict[str, pa.Table] = {}
    given = doc.get("claims", {})
    for name, table in TABLES.items():
        rows = given.get(name)
        if rows is None:
            rows = [{}] if name in ALWAYS else []
        merged = [_fee_defaults(r) if name == "fee_lines" else {**DEFAULTS[name], **r} for r in rows]
        claims[name] = rows_to_table(table, merged)
    knowledge = {name: rows_to_table(KB_TABLES[name], rows) for name, rows in doc.get("knowledge", {}).items()}
    return GoldenCase(template, doc["name"], claims, knowledge, doc.get("params", {}), doc.get("expect", []),
                      doc.get("national_points", []))


def load_cases(template: str, directory: Path = GOLDEN_DIR) -> list[GoldenCase]:
    path = directory / f"{template}.yaml"
    if not path.exists():
        return []
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [build_case(template, c) for c in doc["cases"]]


class _KB:
    def __init__(self, tables: dict[str, pa.Table], national: Any = None) -> None:
        self.tables = tables
        self.versions = {"golden": "1"}
        self.national = national

    def cite(self, kb_ref: str | None, codes: Sequence[str], classes: Sequence[str]) -> str | None:
        return None if self.national is None else self.national.cite(kb_ref, codes, classes)


def case_kb(case: GoldenCase) -> _KB:
    """The case's knowledge tables, with its inline national points (if any) to cite."""
    national = None
    if case.national:
        from medaudit.knowledge.liangku import national_points_from

        national = national_points_from(case.national)
    return _KB(case.knowledge, national)


def case_rulebase(case: GoldenCase) -> RuleBase:
    templates = load_templates()
    inst = Instance(id=case.template, template=case.template, params=case.params)
    return RuleBase(templates, {inst.id: inst}, {"golden": "1"})


def run_case(case: GoldenCase, backend_name: str = "duckdb") -> pa.Table:
    from medaudit.engine.backends import get_backend
    from medaudit.engine.runner import audit

    backend = get_backend(backend_name)
    try:
        return audit(backend, case.claims, case_kb(case), case_rulebase(case))
    finally:
        backend.close()


def compare(case: GoldenCase, findings: pa.Table) -> list[str]:
    """Differences between expected and actual findings (empty when the case passes)."""
    problems: list[str] = []
    got = {(r["mdtrt_id"], r["line_id"], r["related_line_id"]): r for r in findings.to_pylist()}
    want = {(e["mdtrt_id"], e.get("line_id"), e.get("related_line_id")): e for e in case.expect}
    for key in sorted(set(want) - set(got), key=str):
        problems.append(f"missing finding {key}")
    for key in sorted(set(got) - set(want), key=str):
        problems.append(f"unexpected finding {key}: {got[key]['reason']}")
    for key in set(want) & set(got):
        e, g = want[key], got[key]
        if int(e["amount_fen"]) != g["amount_fen"]:
            problems.append(f"{key}: amount {g['amount_fen']} != expected {e['amount_fen']}")
        if "reason" in e and e["reason"] != g["reason"]:
            problems.append(f"{key}: reason {g['reason']!r} != expected {e['reason']!r}")
        if "kb_ref" in e and e["kb_ref"] != g["kb_ref"]:
            problems.append(f"{key}: kb_ref {g['kb_ref']!r} != expected {e['kb_ref']!r}")
    return problems
