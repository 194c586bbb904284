"""Look-up across the knowledge base by code (prefix) or Chinese name, for people and the console."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from medaudit.knowledge.pack import KnowledgeBase
from medaudit.schema.codes import CHRGITM_TYPE_ZH, GEND_ZH, LEVEL_ZH, VISIT_TYPE_ZH
from medaudit.schema.money import units_text, yuan_text

#: everyday names → catalogue wording (a query also matches names containing the expansion)
SYNONYMS: dict[str, tuple[str, ...]] = {
    "血常规": ("血细胞分析",), "肝功": ("肝功能",), "肾功": ("肾功能",), "血脂": ("血脂",),
    "凝血": ("凝血",), "彩超": ("彩色多普勒超声",), "B超": ("B超",), "CT": ("X线计算机体层(CT)",),
    "核磁": ("磁共振",), "MRI": ("磁共振",), "心电图": ("心电图",), "胃镜": ("胃镜",), "肠镜": ("结肠镜",),
    "输液": ("静脉输液",), "床位": ("床位费",), "护理": ("护理",), "针灸": ("针刺", "艾灸"),
}

KIND_ZH = {"drug": "药品", "item": "诊疗项目", "diagnosis": "诊断", "procedure": "手术操作"}


@dataclass
class Hit:
    kind: str
    code: str
    name: str
    row: dict[str, Any]
    lists: dict[str, list[str]] = field(default_factory=dict)
    restrictions: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "code": self.code, "name": self.name, "row": self.row,
                **self.lists, "restrictions": self.restrictions}


def yuan(fen: int | None) -> str:
    return yuan_text(fen) or ""


def _is_code_query(text: str) -> bool:
    return text.isascii() and any(ch.isdigit() for ch in text) or (text.isascii() and text[:1].isupper())


def _group(kb: KnowledgeBase, table: str, key: str, value: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    t = kb.tables[table]
    for k, v in zip(t.column(key).to_pylist(), t.column(value).to_pylist(), strict=True):
        out.setdefault(k, []).append(v)
    return out


def _age(row: dict[str, Any]) -> str | None:
    lo, hi = row.get("age_min"), row.get("age_max")
    if lo is None and hi is None:
        return None
    if lo is None:
        return f"年龄<{hi}岁"
    if hi is None:
        return f"年龄≥{lo}岁"
    return f"{lo}≤年龄<{hi}岁"


def search(kb: KnowledgeBase, text: str, *, limit: int = 50) -> list[Hit]:
    """Code-like text matches codes that start with it (or catalogue prefixes a full national code
    starts with); other text matches names containing it. ``limit`` applies per kind."""
    q = text.strip()
    if not q:
        return []
    as_code = _is_code_query(q) and q not in SYNONYMS
    qu = q.upper()
    terms = (q, *SYNONYMS.get(q, ()))

    def name_match(name: str) -> bool:
        return any(t in name for t in terms)

    def code_match(code: str, prefix_semantics: bool) -> bool:
        c = code.upper()
        return c.startswith(qu) or (prefix_semantics and qu.startswith(c))

    hits: list[Hit] = []
    drug_ind = _group(kb, "kb_drug_indication", "code_prefix", "icd_prefix")
    drug_visit = _group(kb, "kb_drug_visit", "code_prefix", "visit_type")
    key_drugs = {r["code_prefix"]: r["reason"] for r in kb.rows("kb_key_drug")}
    chronic: dict[str, list[str]] = {}
    for c in kb.rows("kb_chronic_drug"):
        chronic.setdefault(c["drug_prefix"], []).append(f"{c['dise_no']} {c['dise_name']}")
    illustrative = tuple(str(m.path) for m in kb.layers if m.illustrative and m.path is not None)

    def provenance(table: str, cp: str, r: list[str], lists: dict[str, Any]) -> None:
        """National points behind the row, or the illustrative mark when it comes from such a pack."""
        if kb.national is not None and kb.national.by_key.get(cp):
            r.extend(kb.national.describe(cp))
            lists["national_points"] = [p.as_dict() for p in kb.national.by_key[cp]]
        src = kb.sources.get((table, (cp,)))
        if src and illustrative and src[0].startswith(illustrative):
            r.append("示例性条目（非法定目录，无对应国家知识点）/ illustrative entry")
            lists["illustrative"] = True

    n = 0
    for row in kb.rows("kb_drug"):
        name = row["generic_name"]
        if not (code_match(row["code_prefix"], True) if as_code else
                name_match(name) or q in (row["ingredient"] or "")):
            continue
        cp = row["code_prefix"]
        r: list[str] = [f"{row['category']} {row['chrgitm_lv']}类" if row["chrgitm_lv"] else row["category"]]
        if row["restriction_text"]:
            r.append(f"限定支付范围：{row['restriction_text']}")
        if row["gender"]:
            r.append(f"限{GEND_ZH.get(row['gender'], row['gender'])}性")
        if (a := _age(row)) is not None:
            r.append(a)
        if row["min_level"]:
            r.append(f"限{LEVEL_ZH.get(row['min_level'], row['min_level'])}及以上医疗机构")
        if cp in drug_visit:
            r.append("就医方式：" + "/".join(VISIT_TYPE_ZH.get(v, v) for v in drug_visit[cp]))
        if cp in drug_ind:
            r.append("适应症：" + "|".join(drug_ind[cp]))
        if row["second_line"]:
            r.append("二线用药")
        if row["insurance_only"]:
            r.append(f"限{row['insurance_only']}保险")
        if row["max_daily_dose_milli"] is not None:
            r.append(f"每日最大 {units_text(row['max_daily_dose_milli'])}{row['dose_unit'] or ''}")
        if row["max_days"]:
            r.append(f"最多 {row['max_days']} 天")
        if cp in key_drugs:
            r.append(f"重点监控：{key_drugs[cp]}")
        if cp in chronic:
            r.append("门慢病种：" + "、".join(chronic[cp]))
        if row["ref_price_fen"] is not None:
            r.append(f"参考价 {yuan(row['ref_price_fen'])} 元/{row['unit'] or ''}")
        lists: dict[str, Any] = {"indications": drug_ind.get(cp, []), "visit_types": drug_visit.get(cp, [])}
        provenance("kb_drug", cp, r, lists)
        hits.append(Hit("drug", cp, f"{name}（{row['dosage_form']}）" if row["dosage_form"] else name, row, lists, r))
        n += 1
        if n >= limit:
            break

    item_ind = _group(kb, "kb_item_indication", "code_prefix", "icd_prefix")
    item_dept = _group(kb, "kb_item_dept", "code_prefix", "dept_code")
    rel_count: dict[str, int] = {}
    for rr in kb.rows("kb_item_relation"):
        rel_count[rr["code_a"]] = rel_count.get(rr["code_a"], 0) + 1
    n = 0
    for row in kb.rows("kb_item"):
        if not (code_match(row["code_prefix"], True) if as_code else name_match(row["name"])):
            continue
        cp = row["code_prefix"]
        r = [f"{CHRGITM_TYPE_ZH.get(row['category'], row['category'] or '')} 单位：{row['unit'] or ''}"]
        caps = [yuan(row[f"price_cap_lv{i}_fen"]) for i in (1, 2, 3)]
        if any(caps):
            r.append("限价(一/二/三级)：" + "/".join(c or "-" for c in caps) + " 元")
        if row["max_per_day"]:
            r.append(f"每日最多 {row['max_per_day']}")
        if row["max_per_encounter"]:
            r.append(f"每次就诊最多 {row['max_per_encounter']}")
        if row["gender"]:
            r.append(f"限{GEND_ZH.get(row['gender'], row['gender'])}性")
        if (a := _age(row)) is not None:
            r.append(a)
        if cp in item_dept:
            r.append("限科室：" + "|".join(item_dept[cp]))
        if cp in item_ind:
            r.append("适应症：" + "|".join(item_ind[cp]))
        if row["connotation"]:
            r.append(f"内涵：{row['connotation']}")
        if cp in rel_count:
            r.append(f"项目关系 {rel_count[cp]} 条")
        ilists: dict[str, Any] = {"departments": item_dept.get(cp, []), "indications": item_ind.get(cp, [])}
        provenance("kb_item", cp, r, ilists)
        hits.append(Hit("item", cp, row["name"], row, ilists, r))
        n += 1
        if n >= limit:
            break

    for kind, table in (("diagnosis", "kb_diagnosis"), ("procedure", "kb_procedure")):
        t = kb.tables[table]
        n = 0
        for code, name in zip(t.column("code").to_pylist(), t.column("name").to_pylist(), strict=True):
            if (code.upper().startswith(qu)) if as_code else name_match(name):
                hits.append(Hit(kind, code, name, {"code": code, "name": name}))
                n += 1
                if n >= limit:
                    break
    return hits
