"""Illustrative national rows of the charging-rule knowledge tables (see build_national.py).

Items are named as in ``national_data.ITEMS`` and resolved to their codes when the pack is built.
Limits follow the published examples where one exists (第八批-4 周期超频次: 糖化血红蛋白 15 天 1 次,
血清果糖胺 7 天 1 次, 手功能评定/平衡功能评定 14 天 1 次; 新生儿蓝光治疗单次计价 24 小时); the other
rows are illustrative values, not a legal catalogue.
"""

from __future__ import annotations

from collections.abc import Callable

from medaudit.knowledge.packs import national_data as D
from medaudit.knowledge.packs.textrows import data_lines

# item  max_units  period_days  note
CYCLES = """
糖化血红蛋白测定 1 15 每15天限收1次（第八批-4）
血清果糖胺测定 1 7 每7天限收1次（第八批-4）
手功能评定 1 14 评定间隔不短于14天（第八批-3/-4）
平衡功能评定 1 14 评定间隔不短于14天（第八批-4）
幽门螺杆菌尿素呼气试验(C13) 1 30 示例：30天内限收1次
动态心电图(24小时) 1 7 示例：7天内限收1次
"""

# item  max_units_per_charge  note
CHARGE_LIMITS = """
新生儿蓝光治疗 24 单次计价不超过24小时
X线计算机体层(CT)平扫 3 示例：单次平扫计价不超过3个部位
磁共振(MRI)平扫 3 示例：单次平扫计价不超过3个部位
龋齿充填术 4 示例：单次充填不超过4牙
液氮冷冻治疗 3 示例：单次治疗计价不超过3次
"""

# panel  component-prefix[+component-prefix…]  note   (a component is an item name or a code prefix)
PANELS = """
乙型肝炎血清学标志物检测(五项) 00250403001+乙型肝炎e抗原测定(HBeAg)+乙型肝炎核心抗体测定(抗-HBc) 乙肝五项含HBsAg、HBeAg、抗-HBc等单项
输血前感染性疾病筛查(四项) 00250403001+丙型肝炎抗体测定(抗-HCV)+人免疫缺陷病毒抗体测定(抗-HIV)+梅毒螺旋体特异抗体测定 输血前四项含乙肝表面抗原、丙肝抗体、HIV抗体、梅毒抗体
"""


def build(item_by_name: dict[str, str], write: Callable[[str, list[dict[str, str]], list[str]], None]) -> str:
    """Write the family's CSVs of the national pack; returns a one-line summary."""
    meta = {"ver": D.VER, "begndate": D.BEGNDATE, "enddate": ""}
    cycles = [{"code_prefix": item_by_name[n], "max_units": k, "period_days": d, "note": " ".join(note), **meta}
              for n, k, d, *note in data_lines(CYCLES)]
    limits = [{"code_prefix": item_by_name[n], "max_units": k, "note": " ".join(note), **meta}
              for n, k, *note in data_lines(CHARGE_LIMITS)]
    panels = []
    for panel, comps, *note in data_lines(PANELS):
        for c in comps.split("+"):
            prefix = c if c.isdigit() else item_by_name[c]
            panels.append({"panel_prefix": item_by_name[panel], "component_prefix": prefix, "note": " ".join(note),
                           **meta})
    m = list(meta)
    write("item_cycles.csv", cycles, ["code_prefix", "max_units", "period_days", "note", *m])
    write("item_charge_limits.csv", limits, ["code_prefix", "max_units", "note", *m])
    write("item_panels.csv", panels, ["panel_prefix", "component_prefix", "note", *m])
    return f"item cycles {len(cycles)}, charge limits {len(limits)}, panel components {len(panels)}"
