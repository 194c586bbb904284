"""How well the active knowledge pack knows the codes in a claims data set, per code class.

A pack that does not fit the data (another region's catalogue, the illustrative starter pack on a
real region) turns every line into a 目录外 or 超标准收费 finding and drowns the real ones. Coverage
is measured before an audit so that this is said once, with the unknown codes that matter most,
instead of as 100,000 findings.

Pinned semantics:
- a line's class comes from its 收费类别 ``med_chrgitm_type``: 09/10/11 drug, 08 consumable, anything
  else (including empty) service item — the split ``line_ctx.is_drug`` uses;
- a drug or service-item line's code is *known* when the drug or the service-item catalogue has a
  prefix of it — the match (``medaudit.engine.prepare``) and the test ``not_in_catalogue`` uses, so
  coverage predicts exactly which lines that rule would flag; a consumable line's code is known when
  any catalogue (consumables included) has a prefix of it;
- self-paid lines (``selfpay_flag``) are left out: they are not claimed from the fund;
- lines are counted without refund rows; amounts are net of refunds (refund rows carry negative amounts).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from medaudit.engine.prepare import _match
from medaudit.knowledge.tables import KB_TABLES
from medaudit.schema import money
from medaudit.schema.arrow import arrow_schema
from medaudit.schema.codes import DRUG_CHRGITM_TYPES

if TYPE_CHECKING:
    from medaudit.engine.runner import KnowledgeLike

CLASSES = ("drug", "item", "consumable")
CLASS_ZH = {"drug": "药品", "item": "医疗服务项目", "consumable": "医用耗材"}
CATALOGUE_TABLES = {"drug": "kb_drug", "item": "kb_item", "consumable": "kb_consumable"}
#: the default share of drug or service-item amount the pack must know (``audit --coverage-min``)
DEFAULT_MIN_SHARE = 0.90
#: classes whose amount share decides whether the pack fits (consumable lines are not checked by
#: ``not_in_catalogue``, so their coverage is reported but does not gate)
GATED_CLASSES = ("drug", "item")
#: templates whose per-line findings only mean something when the pack fits the data
CATALOGUE_TEMPLATES = ("not_in_catalogue", "over_price")

_CODES_SQL = f"""
SELECT f.hilist_code,
       CASE WHEN f.med_chrgitm_type IN ({", ".join(f"'{t}'" for t in DRUG_CHRGITM_TYPES)}) THEN 'drug'
            WHEN f.med_chrgitm_type = '08' THEN 'consumable' ELSE 'item' END AS cls,
       MIN(f.hilist_name) AS hilist_name,
       CAST(SUM(CASE WHEN COALESCE(f.refund_flag, FALSE) THEN 0 ELSE 1 END) AS BIGINT) AS lines,
       CAST(SUM(f.amt_fen) AS BIGINT) AS amount_fen
FROM fee_lines f
WHERE NOT COALESCE(f.selfpay_flag, FALSE) AND f.hilist_code IS NOT NULL
GROUP BY 1, 2
"""


@dataclass(frozen=True)
class UnknownCode:
    code: str
    name: str | None
    cls: str
    lines: int
    amount_fen: int


@dataclass
class ClassCoverage:
    cls: str
    lines: int = 0
    known_lines: int = 0
    amount_fen: int = 0
    known_amount_fen: int = 0
    codes: int = 0
    known_codes: int = 0

    @property
    def line_share(self) -> float | None:
        return self.known_lines / self.lines if self.lines else None

    @property
    def amount_share(self) -> float | None:
        return self.known_amount_fen / self.amount_fen if self.amount_fen > 0 else None

    def as_dict(self) -> dict[str, Any]:
        return {"class": self.cls, "class_zh": CLASS_ZH[self.cls], "lines": self.lines,
                "known_lines": self.known_lines, "line_share": self.line_share,
                "amount_fen": self.amount_fen, "known_amount_fen": self.known_amount_fen,
                "amount_share": self.amount_share, "codes": self.codes, "known_codes": self.known_codes}


@dataclass
class Coverage:
    classes: dict[str, ClassCoverage]
    unknown: list[UnknownCode]  # every unknown code, largest amount first
    pack: str
    min_share: float = DEFAULT_MIN_SHARE
    notes: list[str] = field(default_factory=list)

    def top_unknown(self, n: int = 10, cls: str | None = None) -> list[UnknownCode]:
        return [u for u in self.unknown if cls is None or u.cls == cls][:n]

    def failing(self) -> list[ClassCoverage]:
        """Gated classes whose known share of amount is below ``min_share`` (a class without amount
        cannot fail: there is nothing to mis-flag)."""
        out = []
        for c in GATED_CLASSES:
            share = self.classes[c].amount_share
            if share is not None and share < self.min_share:
                out.append(self.classes[c])
        return out

    @property
    def fits(self) -> bool:
        return not self.failing()

    def misfit_message(self, top: int = 10) -> str:
        """The one message ``audit`` prints when the pack does not fit (Chinese, NHSA terms)."""
        parts = "，".join(f"{CLASS_ZH[c.cls]}金额覆盖率 {pct(c.amount_share)}" for c in self.failing())
        lines = [f"知识库（{self.pack}）与数据不匹配：{parts}，低于阈值 {pct(self.min_share)}。"
                 f"已不输出逐条的目录外项目、超标准收费疑点（{'、'.join(CATALOGUE_TEMPLATES)}）；"
                 f"请用 `medaudit knowledge import` 导入本地区医保目录，或加 --force 强制输出。"
                 f" / The knowledge pack does not fit the data; catalogue and price findings suppressed (--force to emit).",
                 "金额最大的未知编码 / top unknown codes by amount:"]
        for u in self.top_unknown(top):
            lines.append(f"  {u.code}  {u.name or ''}（{CLASS_ZH[u.cls]}）{u.lines:,} 条明细，{yuan_text(u.amount_fen)} 元")
        return "\n".join(lines)

    def as_dict(self, top: int = 10) -> dict[str, Any]:
        return {"pack": self.pack, "min_share": self.min_share, "fits": self.fits,
                "classes": [self.classes[c].as_dict() for c in CLASSES],
                "top_unknown": [{"code": u.code, "name": u.name, "class": u.cls, "lines": u.lines,
                                 "amount_fen": u.amount_fen} for u in self.top_unknown(top)],
                "unknown_codes": len(self.unknown), "notes": self.notes}


def pct(share: float | None) -> str:
    return "—" if share is None else f"{share * 100:.1f}%"


def yuan_text(fen: int) -> str:
    return money.yuan_text(fen, grouped=True)


def coverage_of(fee_lines: pa.Table | Sequence[Path], kb: KnowledgeLike, *, pack: str = "",
                min_share: float = DEFAULT_MIN_SHARE) -> Coverage:
    """Coverage of ``fee_lines`` (canonical table or Parquet files) by ``kb``; one DuckDB pass over
    the lines, then the prefix match over the distinct codes only."""
    from medaudit.engine.backends import get_backend

    backend = get_backend("duckdb")
    try:
        if isinstance(fee_lines, pa.Table):
            backend.register("fee_lines", fee_lines)
        else:
            backend.register_parquet("fee_lines", list(fee_lines))
        for name in CATALOGUE_TABLES.values():
            data = kb.tables.get(name)
            backend.register(name, data if data is not None else arrow_schema(KB_TABLES[name]).empty_table())
        backend.materialize("cov_codes", _CODES_SQL)
        matched = {cls: set(backend.query(_match(name, "cov_codes")).column("hilist_code").to_pylist())
                   for cls, name in CATALOGUE_TABLES.items()}
        codes = backend.query("SELECT hilist_code, cls, hilist_name, lines, amount_fen FROM cov_codes").to_pylist()
    finally:
        backend.close()
    classes = {c: ClassCoverage(c) for c in CLASSES}
    known = matched["drug"] | matched["item"]
    unknown: list[UnknownCode] = []
    for r in codes:
        c = classes[r["cls"]]
        amt = int(r["amount_fen"] or 0)
        c.lines += int(r["lines"])
        c.amount_fen += amt
        c.codes += 1
        if r["hilist_code"] in known or (r["cls"] == "consumable" and r["hilist_code"] in matched["consumable"]):
            c.known_lines += int(r["lines"])
            c.known_amount_fen += amt
            c.known_codes += 1
        else:
            unknown.append(UnknownCode(r["hilist_code"], r["hilist_name"], r["cls"], int(r["lines"]), amt))
    unknown.sort(key=lambda u: (-u.amount_fen, u.code, u.cls))
    return Coverage(classes, unknown, pack, min_share)


def coverage_of_folder(folder: str | Path, kb: KnowledgeLike, *, pack: str = "",
                       min_share: float = DEFAULT_MIN_SHARE) -> Coverage:
    """Coverage of the canonical Parquet folder an audit reads."""
    from medaudit.engine.batch import canonical_inputs
    from medaudit.errors import InputError

    inputs = canonical_inputs(str(folder))
    if "fee_lines" not in inputs:
        raise InputError(f"输入目录缺少 fee_lines.parquet / missing canonical table fee_lines in {folder}")
    return coverage_of(inputs["fee_lines"], kb, pack=pack, min_share=min_share)


@dataclass
class CatalogueGate:
    """What ``audit`` runs after checking coverage: the templates kept, those held back and why."""

    coverage: Coverage | None  # None: not measured (input on shared storage the engine reads itself)
    template_ids: list[str]
    skipped: list[str]

    @property
    def message(self) -> str | None:
        if self.coverage is None:
            return ("未检查目录覆盖率：输入在远程存储上，请先用 `medaudit knowledge coverage` 检查 "
                    "/ catalogue coverage not checked for remote input")
        return self.coverage.misfit_message() if self.skipped else None

    def as_dict(self) -> dict[str, Any]:
        if self.coverage is None:
            return {"checked": False, "skipped_templates": self.skipped}
        return {"checked": True, **self.coverage.as_dict(), "skipped_templates": self.skipped}


def catalogue_gate(folder: str | Path, kb: KnowledgeLike, active: Sequence[str], *, pack: str = "",
                   min_share: float = DEFAULT_MIN_SHARE, force: bool = False) -> CatalogueGate:
    """Check coverage before an audit: when the pack does not fit, hold back the per-line catalogue
    and price templates (unless ``force``), so one message replaces a flood of meaningless findings."""
    if not 0 <= min_share <= 1:
        from medaudit.errors import InputError

        raise InputError(f"覆盖率阈值应在 0 到 1 之间 / --coverage-min must be between 0 and 1: {min_share}")
    text = str(folder)
    if "://" in text and not text.startswith("file://"):
        return CatalogueGate(None, list(active), [])
    cov = coverage_of_folder(folder, kb, pack=pack, min_share=min_share)
    skipped = [] if force or cov.fits else [t for t in active if t in CATALOGUE_TEMPLATES]
    return CatalogueGate(cov, [t for t in active if t not in skipped], skipped)
