"""Illustrative national rows of ``kb_item_surcharge`` (B11 重复加收; see build_national.py).

Items are named as in ``national_data.ITEMS`` and resolved to their codes when the pack is built.
The surcharge codes are real national 医疗服务项目 codes (they appear in the 两库 knowledge points of
batch 7, 医疗服务项目重复收费: 肾上腺切除术(显微手术加收) 003303000210001, (经腹腔镜加收) 003303000210002,
经皮冠状动脉腔内成形术(PTCA)(扩张多支血管每支加收) 003205000020001), each extending its base item's
code. The national data carries no time-based surcharge codes (急诊/夜间/节假日加收 are provincial
price items), so the rows use technique surcharges; the limits and the exclusive group are
illustrative values, not a legal catalogue.
"""

from __future__ import annotations

from collections.abc import Callable

from medaudit.knowledge.packs import national_data as D
from medaudit.knowledge.packs.textrows import data_lines

# surcharge  base  max_per_day(- for none)  excl_group(- for none)  note
SURCHARGES = """
肾上腺切除术(显微手术加收) 肾上腺切除术 1 肾上腺切除术式加收 示例：同一台肾上腺切除术显微手术加收与经腹腔镜加收只能收取其一，每日限加收1次
肾上腺切除术(经腹腔镜加收) 肾上腺切除术 1 肾上腺切除术式加收 示例：同一台肾上腺切除术显微手术加收与经腹腔镜加收只能收取其一，每日限加收1次
经皮冠状动脉腔内成形术(PTCA)(扩张多支血管每支加收) 经皮冠状动脉腔内成形术(PTCA) 3 - 示例：扩张多支血管每支加收，同一台手术每日最多加收3支
"""


def build(item_by_name: dict[str, str], write: Callable[[str, list[dict[str, str]], list[str]], None]) -> str:
    """Write ``item_surcharges.csv`` of the national pack; returns a one-line summary."""
    meta = {"ver": D.VER, "begndate": D.BEGNDATE, "enddate": ""}
    rows = []
    for surcharge, base, max_per_day, group, *note in data_lines(SURCHARGES):
        rows.append({"surcharge_prefix": item_by_name[surcharge], "base_prefix": item_by_name[base],
                     "max_per_day": "" if max_per_day == "-" else max_per_day,
                     "excl_group": "" if group == "-" else group, "note": " ".join(note), **meta})
    write("item_surcharges.csv", rows,
          ["surcharge_prefix", "base_prefix", "max_per_day", "excl_group", "note", *list(meta)])
    return f"surcharges {len(rows)}"
