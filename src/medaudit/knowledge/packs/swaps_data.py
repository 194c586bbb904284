# ruff: noqa: E501
"""Illustrative national rows for 串换项目/药品 (B9, kb_item_swap) and 医疗服务项目限支付疗程 (A11, item
rows of kb_course_limit), read by build_national.py. Simplified and NOT a legal catalogue.

The course-limited training items carry the codes the NHSA 第八批-3 knowledge points give them
(003402000210000 减重支持系统训练, 003402000240000 平衡功能训练, 003402000250000 手功能训练) with their
published limits; their prices are illustrative. The swap pairs follow the commonly audited
examples (大清创 billed for a 浅表损伤, 特大换药 billed at the price of a 中换药, an expensive
cephalosporin billed at the price of a cheap one) on codes already in the pack.
"""

from __future__ import annotations

from typing import Any

from medaudit.knowledge.packs.textrows import data_lines

#: extra service items in national_data.ITEMS' format (康复训练 items of the 第八批-3 疗程 points)
ITEMS = """
# --- 限支付疗程（第八批-3 医疗服务项目限支付疗程的示例）
340200021 0000 减重支持系统训练 05 次 40.00 50.00 60.00 day=1
340200024 0000 平衡功能训练 05 次 25.00 30.00 35.00 day=1
340200025 0000 手功能训练 05 次 25.00 30.00 35.00 day=1
"""

#: 限支付疗程 of service items: item name, course days, gap days ('-': the rule parameter), note
COURSES = """
减重支持系统训练 30 - 支付不超过30天（第八批-3）
平衡功能训练 90 - 一个疾病过程支付不超过90天（第八批-3）
手功能训练 90 - 一个疾病过程支付不超过90天（第八批-3）
"""

#: 串换: billed (item name or drug generic@form), actual, signal, ICD prefixes ('|', 诊断) or
#: tolerance % ('-': the rule parameter, 单价), note
SWAPS = """
清创缝合(大) 清创缝合(小) 诊断 S00|S10|S20|S30|S40|S50|S60|S70|S80|S90|T00 浅表损伤只需小清创，按大清创收费疑似串换
清创缝合(中) 清创缝合(小) 诊断 S00|S10|S20|S30|S40|S50|S60|S70|S80|S90|T00 浅表损伤只需小清创，按中清创收费疑似串换
换药(特大) 换药(中) 单价 - 按特大换药编码收费而单价与中换药相符，疑似串换
换药(大) 换药(小) 单价 - 按大换药编码收费而单价与小换药相符，疑似串换
头孢哌酮舒巴坦@注射剂 头孢唑林@注射剂 单价 - 按头孢哌酮舒巴坦收费而单价与头孢唑林相符，疑似串换药品
"""


def extend(tables: dict[str, tuple[list[str], list[dict[str, str]]]], drug_prefixes: Any,
           item_by_name: dict[str, str], ver: str, begndate: str) -> None:
    """Add the item course rows to course_limits.csv and the swap table (item_swaps.csv) to ``tables``
    (CSV name -> (header, rows), as national_policy.tables returns)."""
    meta = {"ver": ver, "begndate": begndate, "enddate": ""}

    def prefixes(ref: str) -> list[str]:
        return [item_by_name[ref]] if ref in item_by_name else list(drug_prefixes(ref))

    _header, course = tables["course_limits.csv"]
    for ref, days, gap, *note in data_lines(COURSES):
        course += [{"code_prefix": p, "course_days": days, "gap_days": "" if gap == "-" else gap,
                    "note": " ".join(note), **meta} for p in prefixes(ref)]
    swaps: list[dict[str, str]] = []
    for billed, actual, signal, arg, *note in data_lines(SWAPS):
        for b in prefixes(billed):
            for a in prefixes(actual):
                icds = arg.split("|") if signal == "诊断" else [""]
                tol = "" if signal == "诊断" or arg == "-" else arg
                swaps += [{"billed_prefix": b, "actual_prefix": a, "signal": signal, "icd_prefix": icd,
                           "tolerance_pct": tol, "note": " ".join(note), **meta} for icd in icds]
    tables["item_swaps.csv"] = (["billed_prefix", "actual_prefix", "signal", "icd_prefix", "tolerance_pct", "note",
                                 "ver", "begndate", "enddate"], swaps)
