"""A small knowledge fixture exercising every restriction kind, independent of the shipped pack."""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from medaudit.knowledge.tables import KB_TABLES
from medaudit.schema.arrow import arrow_schema

# code_prefix, generic, category, gender, age_min, age_max, min_level, second_line, max_dose, unit, max_days,
# ingredient, class, price, indications, visits
DRUGS: list[tuple[Any, ...]] = [
    ("XJ01CAA040A0", "阿莫西林胶囊", "西药", None, None, None, None, False, 4000, "mg", None, "阿莫西林", "J01C", 1200, "", ""),
    ("XJ01CAA040E0", "阿莫西林颗粒", "西药", None, None, None, None, False, 4000, "mg", None, "阿莫西林", "J01C", 1500, "", ""),
    ("XJ01DCA040B0", "头孢呋辛酯片", "西药", None, None, None, None, False, 1000, "mg", None, "头孢呋辛", "J01D", 2500, "", ""),
    ("XJ01DHM090B0", "美罗培南注射剂", "西药", None, None, None, 2, True, 6000, "mg", None, "美罗培南", "J01D", 9800, "J18|A41", "inpatient"),
    ("XJ01MAL080A0", "左氧氟沙星片", "西药", None, 18, None, None, False, 500, "mg", None, "左氧氟沙星", "J01M", 1800, "", ""),
    ("XR05XAA010E0", "小儿氨酚黄那敏颗粒", "西药", None, None, 14, None, False, None, None, None, "氨酚黄那敏", "R05X", 900, "", ""),
    ("XC08CAA053A0", "氨氯地平片", "西药", None, None, None, None, False, 10, "mg", None, "氨氯地平", "C08C", 2100, "I10|I11|I20|I25", ""),
    ("XC09CAE050A0", "厄贝沙坦片", "西药", None, None, None, None, False, 300, "mg", None, "厄贝沙坦", "C09C", 2800, "I10|I11", ""),
    ("XA10BAA040A0", "二甲双胍片", "西药", None, None, None, None, False, 2550, "mg", None, "二甲双胍", "A10B", 1600, "E11", ""),
    ("XA10BFA050A0", "阿卡波糖片", "西药", None, None, None, None, False, 300, "mg", None, "阿卡波糖", "A10B", 3300, "E11", ""),
    ("XG03DAA050A0", "黄体酮胶囊", "西药", "2", None, None, None, False, 400, "mg", None, "黄体酮", "G03D", 4200, "", ""),
    ("XG04CAT010A0", "坦索罗辛缓释胶囊", "西药", "1", None, None, None, False, 400, "μg", None, "坦索罗辛", "G04C", 3900, "N40", ""),
    ("XB05BAZ010B0", "脂肪乳注射液", "西药", None, None, None, None, False, None, None, None, "脂肪乳", "B05B", 8500, "", "inpatient"),
    ("XL01XEA030A0", "伊马替尼片", "西药", None, None, None, 3, False, 600, "mg", None, "伊马替尼", "L01X", 25000, "C92", ""),
    ("XA02BCO010A0", "奥美拉唑肠溶胶囊", "西药", None, None, None, None, False, 40, "mg", 14, "奥美拉唑", "A02B", 1400, "", ""),
    ("XB01ACA040A0", "阿司匹林肠溶片", "西药", None, None, None, None, False, 300, "mg", None, "阿司匹林", "B01A", 800, "", ""),
    ("XB01ACW070A0", "华法林钠片", "西药", None, None, None, None, False, 10, "mg", None, "华法林", "B01A", 1100, "", ""),
    ("XN02BEA010A0", "对乙酰氨基酚片", "西药", None, None, None, None, False, 2000, "mg", None, "对乙酰氨基酚", "N02B", 500, "", ""),
    ("ZA01AAV0010", "连花清瘟胶囊", "中成药", None, None, None, None, False, None, None, None, "连花清瘟", "ZA01", 1900, "", ""),
]
RELATIONS = [
    ("120400001", "121400001", "included", "day"),  # 急诊监护费 includes 静脉输液
    ("250301001", "250301002", "exclusive", "day"),
    ("250305000", "250305001", "decomposed", "day"),
    ("250305000", "250305002", "decomposed", "day"),
    ("250305000", "250305003", "decomposed", "day"),
]
# prefix, name, category, unit, caps(lv1,lv2,lv3), per_day, per_enc, gender, age_min, age_max, depts, indications
ITEMS: list[tuple[Any, ...]] = [
    ("110900001", "普通病房床位费", "01", "日", (3000, 4000, 5000), 1, None, None, None, None, "", ""),
    ("110200001", "住院诊查费", "02", "日", (1000, 1500, 2000), 1, None, None, None, None, "", ""),
    ("120100002", "Ⅱ级护理", "07", "日", (1500, 2000, 2500), 1, None, None, None, None, "", ""),
    ("110200003", "门诊诊查费", "02", "次", (800, 1200, 2500), 1, None, None, None, None, "", ""),
    ("120400001", "急诊监护费", "05", "小时", (600, 800, 1000), 24, None, None, None, None, "", ""),
    ("121400001", "静脉输液", "05", "次", (500, 700, 900), 3, None, None, None, None, "", ""),
    ("250101015", "血细胞分析", "04", "次", (1500, 1800, 2000), 2, None, None, None, None, "", ""),
    ("250301001", "尿常规", "04", "次", (800, 1000, 1200), 1, None, None, None, None, "", ""),
    ("250301002", "尿沉渣定量", "04", "次", (900, 1100, 1300), 1, None, None, None, None, "", ""),
    ("250305000", "肝功能组套", "04", "组", (6000, 7000, 8000), 1, None, None, None, None, "", ""),
    ("250305001", "丙氨酸氨基转移酶测定", "04", "项", (400, 500, 600), 1, None, None, None, None, "", ""),
    ("250305002", "天门冬氨酸氨基转移酶测定", "04", "项", (400, 500, 600), 1, None, None, None, None, "", ""),
    ("250305003", "总胆红素测定", "04", "项", (400, 500, 600), 1, None, None, None, None, "", ""),
    ("250307001", "糖化血红蛋白测定", "04", "次", (4000, 5000, 6000), 1, 2, None, None, None, "", "E10|E11"),
    ("220600001", "妇科超声检查", "03", "次", (6000, 7000, 8000), 1, None, "2", None, None, "", ""),
    ("220600002", "前列腺超声检查", "03", "次", (6000, 7000, 8000), 1, None, "1", None, None, "", ""),
    ("230100001", "胸部X线摄影", "03", "次", (5000, 6000, 7000), 2, None, None, None, None, "", ""),
    ("310701001", "常规心电图检查", "03", "次", (1500, 2000, 2500), 2, None, None, None, None, "", ""),
    ("340100001", "康复评定", "05", "次", (3000, 4000, 5000), 1, 3, None, None, None, "A21", ""),
    ("311201001", "新生儿蓝光治疗", "05", "小时", (600, 800, 1000), 24, None, None, None, 1, "", ""),
]


def _table(name: str, rows: list[dict[str, Any]]) -> pa.Table:
    schema = arrow_schema(KB_TABLES[name])
    return pa.Table.from_pylist(rows, schema=schema)


def dev_tables() -> dict[str, pa.Table]:
    drugs, dind, dvis = [], [], []
    for (p, g, cat, gen, amin, amax, lvl, second, dose, unit, days, ingr, cls, price, ind, vis) in DRUGS:
        drugs.append({"code_prefix": p, "generic_name": g, "category": cat, "chrgitm_lv": "乙", "gender": gen,
                      "age_min": amin, "age_max": amax, "min_level": lvl, "second_line": second,
                      "max_daily_dose_milli": None if dose is None else dose * 1000, "dose_unit": unit,
                      "max_days": days, "ingredient": ingr, "drug_class": cls, "unit": "盒", "ref_price_fen": price})
        dind += [{"code_prefix": p, "icd_prefix": x} for x in ind.split("|") if x]
        dvis += [{"code_prefix": p, "visit_type": x} for x in vis.split("|") if x]
    items, idept, iind = [], [], []
    for (p, n, cat, unit, caps, pd, pe, gen, amin, amax, depts, ind) in ITEMS:
        items.append({"code_prefix": p, "name": n, "category": cat, "unit": unit, "price_cap_lv1_fen": caps[0],
                      "price_cap_lv2_fen": caps[1], "price_cap_lv3_fen": caps[2], "max_per_day": pd,
                      "max_per_encounter": pe, "gender": gen, "age_min": amin, "age_max": amax})
        idept += [{"code_prefix": p, "dept_code": x} for x in depts.split("|") if x]
        iind += [{"code_prefix": p, "icd_prefix": x} for x in ind.split("|") if x]
    return {
        "kb_drug": _table("kb_drug", drugs),
        "kb_drug_indication": _table("kb_drug_indication", dind),
        "kb_drug_visit": _table("kb_drug_visit", dvis),
        "kb_item": _table("kb_item", items),
        "kb_item_dept": _table("kb_item_dept", idept),
        "kb_item_indication": _table("kb_item_indication", iind),
        "kb_item_relation": _table("kb_item_relation", [
            {"code_a": a, "code_b": b, "relation": r, "time_window": w} for a, b, r, w in RELATIONS]),
        "kb_contraindication": _table("kb_contraindication", [
            {"prefix_a": "XB01ACA040", "prefix_b": "XB01ACW070", "severity": "严重"}]),
        "kb_chronic_drug": _table("kb_chronic_drug", [
            {"dise_no": "M03900", "dise_name": "高血压", "drug_prefix": "XC08CAA053A0"},
            {"dise_no": "M03900", "dise_name": "高血压", "drug_prefix": "XC09CAE050A0"},
            {"dise_no": "M01600", "dise_name": "糖尿病", "drug_prefix": "XA10BAA040A0"},
            {"dise_no": "M01600", "dise_name": "糖尿病", "drug_prefix": "XA10BFA050A0"},
        ]),
        "kb_gender_exception": _table("kb_gender_exception", []),
    }
