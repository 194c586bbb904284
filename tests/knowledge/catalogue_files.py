"""Catalogues in the national download layouts, built from real national codes (shared/data/nhsa-liangku)."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import openpyxl

from medaudit.settings import get_settings

DRUG_HEADER = ["药品代码", "注册名称", "商品名称", "注册剂型", "注册规格", "最小包装单位", "药品企业", "批准文号",
               "甲乙类", "备注"]
ITEM_HEADER = ["项目编码", "项目名称", "项目内涵", "除外内容", "计价单位", "说明", "一级价格（元）", "二级价格（元）",
               "三级价格（元）"]
CONS_HEADER = ["耗材代码", "耗材名称", "医保通用名", "规格", "型号", "最小使用单位", "高值耗材标志"]


@dataclass(frozen=True)
class RealCodes:
    western: list[tuple[str, str]]  # 23-character 西药 codes with their generic names
    patent: list[tuple[str, str]]  # 20-character 中成药 codes
    items: list[tuple[str, str]]  # 15-digit service-item codes


@lru_cache(maxsize=1)
def real_codes() -> RealCodes:
    base = get_settings().reference_data / "nhsa-liangku"
    with (base / "knowledge_points.tsv").open(encoding="utf-8") as fh:
        names = {r["kp_id"]: r["item_name"] for r in csv.DictReader(fh, delimiter="\t")}
    west: dict[str, str] = {}
    patent: dict[str, str] = {}
    items: dict[str, str] = {}
    with (base / "knowledge_point_codes.tsv").open(encoding="utf-8") as fh:
        for r in csv.DictReader(fh, delimiter="\t"):
            code, name = r["med_code"], names[r["kp_id"]]
            if "×" in name:
                continue
            if len(code) == 23 and code[0] == "X" and len(west) < 6:
                west.setdefault(code, name)
            elif len(code) == 20 and code[0] == "Z" and len(patent) < 3:
                patent.setdefault(code, name)
            elif len(code) == 15 and code.isdigit() and len(items) < 6:
                items.setdefault(code, name)
    return RealCodes(sorted(west.items()), sorted(patent.items()), sorted(items.items()))


def write_drugs_gbk(path: Path, *, bad_rows: bool) -> Path:
    """西药中成药 download as GBK CSV with a title row; with ``bad_rows`` four rows it cannot use."""
    codes = real_codes()
    rows = [["国家医保药品分类与代码（西药中成药）", *[""] * (len(DRUG_HEADER) - 1)], DRUG_HEADER]
    for i, (code, name) in enumerate(codes.western[:4]):
        rows.append([code, name, "", "片剂", "0.25g", "盒", "某制药有限公司", f"国药准字H2000{i}", "甲" if i % 2 else "乙类",
                     "限成人" if i == 0 else ""])
    for code, name in codes.patent[:2]:
        rows.append([code, name, "", "丸剂", "6g", "盒", "某中药厂", "国药准字Z20000001", "甲类", ""])
    if bad_rows:
        c4, n4 = codes.western[4]
        c5, n5 = codes.western[5]
        rows += [
            [c4, n4, "", "片剂", "", "盒", "", "", "", ""],           # no 甲乙类: not a catalogue drug
            [c5, n5, "", "片剂", "", "盒", "", "", "丁", ""],         # no such class
            [codes.western[0][0], codes.western[0][1], "", "", "", "", "", "", "甲", ""],  # duplicate code
            ["", "无编码药品", "", "", "", "", "", "", "甲", ""],      # empty code
        ]
    with path.open("w", encoding="gbk", newline="") as fh:
        csv.writer(fh).writerows(rows)
    return path


def write_items_xlsx(path: Path, *, bad_rows: bool) -> Path:
    """医疗服务项目 with price by level as xlsx; with ``bad_rows`` two rows it cannot use."""
    codes = real_codes()
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["医疗服务项目价格（示例地区）"])
    ws.append(ITEM_HEADER)
    for i, (code, name) in enumerate(codes.items[:4]):
        ws.append([code, name, "含耗材" if i == 0 else None, None, "次", None, 10 + i, 12 + i, 15.5 + i])
    if bad_rows:
        ws.append([codes.items[4][0], codes.items[4][1], None, None, "次", None, "12.345", 13, 14])  # 3 decimals
        ws.append([codes.items[5][0], codes.items[5][1], None, None, "次", None, 20, 18, 25])  # lv2 below lv1
    wb.save(path)
    return path


CONSUMABLES = [
    ("C03040110000001223100000012", "一次性使用无菌注射器", "注射器", "5ml", "带针", "支", "0"),
    ("C14010100101001024400000056", "冠状动脉药物洗脱支架", "支架", "3.0*18mm", "A型", "个", "1"),
]


def write_consumables_utf8(path: Path) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(CONS_HEADER)
        w.writerows(CONSUMABLES)
    return path
