"""Cross-table consistency of a merged knowledge base.

A reference that matches nothing is harmless to SQL (the join simply finds no row) but is almost
always a typo, so ``medaudit knowledge validate`` reports it with the file and line of the row.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable
from typing import TYPE_CHECKING

from medaudit.knowledge.errors import Problem

if TYPE_CHECKING:
    from medaudit.knowledge.pack import KnowledgeBase


class PrefixIndex:
    """Answers "does any code relate to this prefix" in O(log n): a code that starts with the
    prefix, or a catalogue prefix that the (more specific) reference starts with."""

    def __init__(self, codes: Iterable[str]) -> None:
        self._sorted = sorted(set(codes))
        self._set = set(self._sorted)

    def __len__(self) -> int:
        return len(self._sorted)

    def has_code_under(self, prefix: str) -> bool:
        i = bisect_left(self._sorted, prefix)
        return i < len(self._sorted) and self._sorted[i].startswith(prefix)

    def related(self, ref: str) -> bool:
        return self.has_code_under(ref) or any(ref[:n] in self._set for n in range(1, len(ref)))


def _where(kb: KnowledgeBase, table: str, key: tuple[str, ...]) -> tuple[str, int | None]:
    src = kb.sources.get((table, key))
    return (src[0], src[1]) if src else (table, None)


def check_references(kb: KnowledgeBase) -> list[Problem]:
    drugs = PrefixIndex(kb.tables["kb_drug"].column("code_prefix").to_pylist())
    items = PrefixIndex(kb.tables["kb_item"].column("code_prefix").to_pylist())
    consumables = PrefixIndex(kb.tables["kb_consumable"].column("code_prefix").to_pylist())
    out: list[Problem] = []

    def check(table: str, key_cols: tuple[str, ...], col: str, index: PrefixIndex | tuple[PrefixIndex, ...],
              what: str) -> None:
        indexes = index if isinstance(index, tuple) else (index,)
        for row in kb.tables[table].to_pylist():
            ref = row[col]
            if not any(ix.related(ref) for ix in indexes):
                f, line = _where(kb, table, tuple(str(row[k]) for k in key_cols))
                out.append(Problem(f, line, col, f"{what}中不存在编码 {ref} / code not found in {what}"))

    # a consumable may require a procedure (关联: 耗材 → 手术/操作)
    check("kb_item_relation", ("code_a", "code_b", "relation"), "code_a", (items, consumables), "诊疗项目或医用耗材目录")
    check("kb_item_level", ("code_prefix",), "code_prefix", items, "诊疗项目目录")
    check("kb_surgery", ("code_prefix",), "code_prefix", items, "诊疗项目目录")
    check("kb_consumable_limit", ("code_prefix",), "code_prefix", consumables, "医用耗材目录")
    check("kb_item_relation", ("code_a", "code_b", "relation"), "code_b", items, "诊疗项目目录")
    check("kb_contraindication", ("prefix_a", "prefix_b"), "prefix_a", drugs, "药品目录")
    check("kb_contraindication", ("prefix_a", "prefix_b"), "prefix_b", drugs, "药品目录")
    check("kb_chronic_drug", ("dise_no", "drug_prefix"), "drug_prefix", drugs, "药品目录")
    check("kb_key_drug", ("code_prefix",), "code_prefix", drugs, "药品目录")
    # an exception may also exempt diagnoses (diagnosis_gender): a prefix related to a kb_diag_gender row
    diags = PrefixIndex(kb.tables["kb_diag_gender"].column("icd_prefix").to_pylist())
    check("kb_gender_exception", ("code_prefix",), "code_prefix", (drugs, items, diags), "药品、诊疗项目或诊断限定性别目录")

    names: dict[str, str] = {}
    for row in kb.tables["kb_chronic_drug"].to_pylist():
        first = names.setdefault(row["dise_no"], row["dise_name"])
        if first != row["dise_name"]:
            f, line = _where(kb, "kb_chronic_drug", (row["dise_no"], row["drug_prefix"]))
            out.append(Problem(f, line, "dise_name",
                               f"病种 {row['dise_no']} 名称不一致：{first} / {row['dise_name']} / inconsistent disease name"))
    pairs = {(r["prefix_a"], r["prefix_b"]) for r in kb.tables["kb_contraindication"].to_pylist()}
    for a, b in sorted(pairs):
        if (b, a) in pairs and a < b:
            f, line = _where(kb, "kb_contraindication", (b, a))
            out.append(Problem(f, line, "prefix_a", f"配伍禁忌 {a}/{b} 正反重复 / pair listed in both orders"))
    return out


def check_indications(kb: KnowledgeBase) -> list[Problem]:
    """ICD prefixes that match no code of the diagnosis list (meaningful only with the full list)."""
    icd = PrefixIndex(kb.tables["kb_diagnosis"].column("code").to_pylist())
    out: list[Problem] = []
    for table, parent in (("kb_drug_indication", "kb_drug"), ("kb_item_indication", "kb_item")):
        for row in kb.tables[table].to_pylist():
            if not icd.has_code_under(row["icd_prefix"]):
                f, line = _where(kb, parent, (row["code_prefix"],))
                col = "indications"
                out.append(Problem(f, line, col, f"医保版ICD-10中没有以 {row['icd_prefix']} 开头的诊断 / "
                                                 f"no diagnosis code starts with {row['icd_prefix']}"))
    return out
