"""A Python view of the knowledge tables tailored to generation: indexed rows and prefix matching.

The generator reads knowledge once (a few hundred to a few thousand rows) into plain objects, so the
clinical templates can be checked against every restriction in Python before they are stamped out
by the vectorised expansion.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

#: national code lengths: 西药 23, 中成药 20, 中药饮片 (T...) 20, 医用耗材 20, service items 15 or 9
_DRUG_LEN = {"X": 23, "Z": 20, "T": 20}


@dataclass
class Drug:
    idx: int
    prefix: str
    name: str
    category: str
    lv: str
    gender: str | None
    age_min: int | None
    age_max: int | None
    min_level: int | None
    second_line: bool
    insurance_only: str | None
    max_dose: int | None
    dose_unit: str | None
    max_days: int | None
    ingredient: str | None
    drug_class: str | None
    unit: str
    price: int
    indications: list[str] = field(default_factory=list)
    visits: list[str] = field(default_factory=list)
    code: str = ""

    @property
    def chrgitm_type(self) -> str:
        return {"西药": "09", "中成药": "11", "中药饮片": "10"}.get(self.category, "09")


@dataclass
class Item:
    idx: int
    prefix: str
    name: str
    category: str
    unit: str
    caps: tuple[int | None, int | None, int | None]
    max_per_day: int | None
    max_per_encounter: int | None
    gender: str | None
    age_min: int | None
    age_max: int | None
    depts: list[str] = field(default_factory=list)
    indications: list[str] = field(default_factory=list)
    code: str = ""
    #: 限工伤/限生育 (kb_item_insurance)
    insurance_only: str | None = None

    def cap(self, level: int) -> int | None:
        return self.caps[max(level, 1) - 1]


@dataclass(frozen=True)
class Relation:
    code_a: str
    code_b: str
    relation: str
    window: str

    @property
    def time_window_day(self) -> bool:
        return self.window == "day"


def _rows(tables: dict[str, pa.Table], name: str) -> list[dict[str, Any]]:
    t = tables.get(name)
    return [] if t is None else t.to_pylist()


def _opt_int(v: Any) -> int | None:
    return None if v is None else int(v)


class KB:
    """Indexed knowledge for the generator; all iteration orders follow the table order (deterministic)."""

    def __init__(self, tables: dict[str, pa.Table]):
        self.tables = tables
        ind: dict[str, list[str]] = {}
        for r in _rows(tables, "kb_drug_indication"):
            ind.setdefault(r["code_prefix"], []).append(r["icd_prefix"])
        vis: dict[str, list[str]] = {}
        for r in _rows(tables, "kb_drug_visit"):
            vis.setdefault(r["code_prefix"], []).append(r["visit_type"])
        self.drugs: list[Drug] = []
        for r in _rows(tables, "kb_drug"):
            p = r["code_prefix"]
            self.drugs.append(Drug(
                idx=len(self.drugs), prefix=p, name=r["generic_name"] + (r.get("dosage_form") or ""),
                category=r["category"], lv=r["chrgitm_lv"], gender=r.get("gender"),
                age_min=_opt_int(r.get("age_min")), age_max=_opt_int(r.get("age_max")),
                min_level=_opt_int(r.get("min_level")), second_line=bool(r.get("second_line")),
                insurance_only=r.get("insurance_only"), max_dose=_opt_int(r.get("max_daily_dose_milli")),
                dose_unit=r.get("dose_unit"), max_days=_opt_int(r.get("max_days")),
                ingredient=r.get("ingredient"), drug_class=r.get("drug_class"), unit=r.get("unit") or "盒",
                price=int(r.get("ref_price_fen") or 0) or 1500,
                indications=ind.get(p, []), visits=vis.get(p, [])))
        idept: dict[str, list[str]] = {}
        for r in _rows(tables, "kb_item_dept"):
            idept.setdefault(r["code_prefix"], []).append(r["dept_code"])
        iind: dict[str, list[str]] = {}
        for r in _rows(tables, "kb_item_indication"):
            iind.setdefault(r["code_prefix"], []).append(r["icd_prefix"])
        self.items: list[Item] = []
        for r in _rows(tables, "kb_item"):
            p = r["code_prefix"]
            self.items.append(Item(
                idx=len(self.items), prefix=p, name=r["name"], category=r["category"], unit=r.get("unit") or "次",
                caps=(_opt_int(r.get("price_cap_lv1_fen")), _opt_int(r.get("price_cap_lv2_fen")),
                      _opt_int(r.get("price_cap_lv3_fen"))),
                max_per_day=_opt_int(r.get("max_per_day")), max_per_encounter=_opt_int(r.get("max_per_encounter")),
                gender=r.get("gender"), age_min=_opt_int(r.get("age_min")), age_max=_opt_int(r.get("age_max")),
                depts=idept.get(p, []), indications=iind.get(p, [])))
        for r in _rows(tables, "kb_item_insurance"):
            for it in self.items:
                if it.prefix == r["code_prefix"]:
                    it.insurance_only = r["insurance_only"]
        #: payment-policy knowledge by exact catalogue prefix: 饮片 pay rule, (course days, gap days)
        self.herb_rule: dict[str, str] = {r["code_prefix"]: r["pay_rule"] for r in _rows(tables, "kb_herb_policy")}
        self.course: dict[str, tuple[int, int | None]] = {
            r["code_prefix"]: (int(r["course_days"]), _opt_int(r.get("gap_days"))) for r in _rows(tables, "kb_course_limit")}
        self.relations = [Relation(r["code_a"], r["code_b"], r["relation"], r["time_window"])
                          for r in _rows(tables, "kb_item_relation")]
        self.panels: dict[str, list[str]] = {}
        for rel in self.relations:
            if rel.relation == "decomposed":
                self.panels.setdefault(rel.code_a, []).append(rel.code_b)
        self.contra = [(r["prefix_a"], r["prefix_b"]) for r in _rows(tables, "kb_contraindication")]
        self._contra_cache: dict[tuple[str, bool], frozenset[int]] = {}
        self._rel_cache: dict[str, tuple[frozenset[int], frozenset[int]]] = {}
        self.gender_exceptions = [r["code_prefix"] for r in _rows(tables, "kb_gender_exception")]
        self.chronic: dict[str, list[str]] = {}
        self.chronic_names: dict[str, str] = {}
        for r in _rows(tables, "kb_chronic_drug"):
            self.chronic.setdefault(r["dise_no"], []).append(r["drug_prefix"])
            self.chronic_names[r["dise_no"]] = r["dise_name"]
        self._drug_prefixes = sorted(((d.prefix, d.idx) for d in self.drugs), key=lambda x: (-len(x[0]), x[0]))
        self._item_prefixes = sorted(((i.prefix, i.idx) for i in self.items), key=lambda x: (-len(x[0]), x[0]))
        for d in self.drugs:
            d.code = self._make_code(d.prefix, _DRUG_LEN.get(d.prefix[:1], 20), d.idx, drug=True)
        for it in self.items:
            it.code = self._make_code(it.prefix, 20 if it.prefix[:1] == "C" else 15, it.idx, drug=False)

    # -- matching ------------------------------------------------------------------------------
    def match_drug(self, code: str) -> Drug | None:
        for p, i in self._drug_prefixes:
            if code.startswith(p):
                return self.drugs[i]
        return None

    def match_item(self, code: str) -> Item | None:
        for p, i in self._item_prefixes:
            if code.startswith(p):
                return self.items[i]
        return None

    def gender_exempt(self, code: str) -> bool:
        return any(code.startswith(p) for p in self.gender_exceptions)

    def contraindicated(self, a: str, b: str) -> bool:
        return bool(self.contra_sides(a) & self.contra_sides(b, other=True)) or bool(
            self.contra_sides(b) & self.contra_sides(a, other=True))

    def contra_sides(self, code: str, other: bool = False) -> frozenset[int]:
        """Indices of contraindication pairs whose A side (or B side with ``other``) matches ``code``."""
        key = (code, other)
        hit = self._contra_cache.get(key)
        if hit is None:
            hit = frozenset(k for k, (x, y) in enumerate(self.contra) if code.startswith(y if other else x))
            self._contra_cache[key] = hit
        return hit

    def rel_sides(self, code: str) -> tuple[frozenset[int], frozenset[int]]:
        """Indices of item relations whose code_a / code_b matches ``code`` (cached per code)."""
        hit = self._rel_cache.get(code)
        if hit is None:
            hit = (frozenset(k for k, r in enumerate(self.relations) if code.startswith(r.code_a)),
                   frozenset(k for k, r in enumerate(self.relations) if code.startswith(r.code_b)))
            self._rel_cache[code] = hit
        return hit

    def _make_code(self, prefix: str, length: int, idx: int, *, drug: bool) -> str:
        """A full national-looking code for a knowledge row whose longest matching prefix is that row."""
        if len(prefix) < length:
            suffix = f"{(idx * 7919 + 101) % 10 ** 8:08d}" * 3
            code = prefix + suffix[: length - len(prefix)]
            hit = self.match_drug(code) if drug else self.match_item(code)
            if hit is not None and hit.prefix == prefix and (
                (self.match_item(code) is None) if drug else (self.match_drug(code) is None)
            ):
                return code
        return prefix

    def contra_partners(self, code: str) -> list[Drug]:
        if not hasattr(self, "_partners"):
            self._partners: dict[str, list[Drug]] = {}
            for a, b in self.contra_pairs():
                self._partners.setdefault(a.code, []).append(b)
                self._partners.setdefault(b.code, []).append(a)
        return self._partners.get(code, [])

    def contra_pairs(self) -> list[tuple[Drug, Drug]]:
        if not hasattr(self, "_contra_pairs"):
            self._contra_pairs = [(a, b) for a in self.drugs for b in self.drugs
                                  if a.idx < b.idx and self.contraindicated(a.code, b.code)]
        return self._contra_pairs

    def not_in_catalogue_code(self) -> str:
        """A realistic service-item code that no drug or item row matches (for 目录外项目)."""
        for n in range(1000):
            code = f"99{(n * 104729 + 31337) % 10 ** 13:013d}"
            if self.match_drug(code) is None and self.match_item(code) is None:
                return code
        raise RuntimeError("no free code")  # pragma: no cover
