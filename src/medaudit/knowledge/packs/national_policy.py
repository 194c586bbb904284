# ruff: noqa: E501
"""Illustrative payment-policy knowledge of the starter national pack (read by build_national.py).

限险种 service items (A2), 中药饮片 rows with their pay rules (A13) and payment course limits (A10/A11),
modelled on the NHSA knowledge-point classes 1–4, 10, 16, 17 and 23; simplified and NOT a legal
catalogue. Flagged 饮片 carry the national codes the NHSA points list for them (T + 9 digits); the
unflagged ones are shaped the same way (功效分类 + serial) and are not official codes.
"""

from __future__ import annotations

from typing import Any

from medaudit.knowledge.packs.textrows import data_lines

#: extra 西药 lines in national_data.WESTERN's format (course-limited drugs without other limits)
WESTERN = """
# --- 限支付疗程（第六批知识点的示例）
N07XX 天麻素 注射 乙 支 12.00 r=支付不超过14天
C05CX 七叶皂苷钠 注射 乙 支 18.00 r=支付不超过10天
"""

#: 中药饮片: code, name, 甲乙丙, unit, price (yuan), pay rule ('' when none)
HERBS = """
T001700101 甘草 甲 克 0.08 -
T001700102 黄芪 甲 克 0.12 -
T001700103 当归 甲 克 0.25 -
T001700104 白术 甲 克 0.15 -
T001200101 茯苓 甲 克 0.10 -
T000900101 陈皮 甲 克 0.06 -
T000700200 丁香 乙 克 0.30 单方不予支付
T001700643 人参片 乙 克 2.50 单方不予支付
T000700035 八角茴香 乙 克 0.08 单方不予支付
T001100659 三七粉 乙 克 1.80 单方不予支付
T001700233 阿胶 丙 克 6.00 单复方均不予支付
T001700024 白糖参 丙 克 3.00 单复方均不予支付
"""

HERB_NOTES = {
    "单方不予支付": "单独使用时统筹基金不予支付，且全部由这些饮片组成的处方统筹基金也不予支付",
    "单复方均不予支付": "不得纳入基金支付范围的中药饮片",
}

#: extra service items in national_data.ITEMS' format (计划生育 items for the 限生育 rows)
ITEMS = """
# --- 计划生育（限生育保险的示例）
331200006 0000 宫内节育器取出术 06 次 50.00 60.00 80.00 dept=妇
"""

#: 限险种 service items: item name, 工伤|生育, note
ITEM_INSURANCE = """
宫内节育器取出术 生育 计划生育手术费用由生育保险支付
"""

#: 限支付疗程: drug generic name[@form] or item name, course days, gap days ('-': the rule parameter), note
COURSES = """
天麻素 14 - 支付不超过14天
七叶皂苷钠 10 - 支付不超过10天
"""


def herb_drugs(ver: str, begndate: str) -> list[dict[str, Any]]:
    """kb_drug rows of the 饮片 (same columns as build_national.build_drugs writes)."""
    rows = []
    for code, name, lv, unit, price, _rule in data_lines(HERBS):
        rows.append({
            "code_prefix": code, "generic_name": name, "dosage_form": "饮片", "category": "中药饮片",
            "chrgitm_lv": lv, "restriction_text": HERB_NOTES.get(_rule, ""), "gender": "", "age_min": "",
            "age_max": "", "min_level": "", "second_line": "0", "insurance_only": "", "max_daily_dose": "",
            "dose_unit": "", "max_days": "", "ingredient": "", "drug_class": code[:5], "unit": unit,
            "ref_price": price, "indications": "", "visit_types": "", "ver": ver, "begndate": begndate,
            "enddate": "",
        })
    return rows


def tables(drug_prefixes: Any, item_by_name: dict[str, str], ver: str, begndate: str) -> dict[str, tuple[list[str], list[dict[str, str]]]]:
    """CSV name -> (header, rows) of the policy tables; ``drug_prefixes(ref)`` resolves a drug name."""
    meta = {"ver": ver, "begndate": begndate, "enddate": ""}
    herb = [{"code_prefix": code, "pay_rule": rule, "note": HERB_NOTES[rule], **meta}
            for code, _n, _lv, _u, _p, rule in data_lines(HERBS) if rule != "-"]
    ins = [{"code_prefix": item_by_name[name], "insurance_only": kind, "note": " ".join(note), **meta}
           for name, kind, *note in data_lines(ITEM_INSURANCE)]
    course: list[dict[str, str]] = []
    for ref, days, gap, *note in data_lines(COURSES):
        prefixes = [item_by_name[ref]] if ref in item_by_name else drug_prefixes(ref)
        course += [{"code_prefix": p, "course_days": days, "gap_days": "" if gap == "-" else gap,
                    "note": " ".join(note), **meta} for p in prefixes]
    tail = ["ver", "begndate", "enddate"]
    return {
        "item_insurance.csv": (["code_prefix", "insurance_only", "note", *tail], ins),
        "herb_policy.csv": (["code_prefix", "pay_rule", "note", *tail], herb),
        "course_limits.csv": (["code_prefix", "course_days", "gap_days", "note", *tail], course),
    }
