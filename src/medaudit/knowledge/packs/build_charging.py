"""Charging-rule rows of the illustrative national pack, generated from ``charging_data.py``.

Called by :func:`medaudit.knowledge.packs.build_national.main`: consumables (``consumables.csv``),
the consumables' ``requires`` relations (appended to ``item_relations.csv``), item levels
(``item_levels.csv``), consumable quantity limits (``consumable_limits.csv``) and surgery groups
(``surgeries.csv``).
"""

from __future__ import annotations

from decimal import Decimal

from medaudit.knowledge.packs import charging_data as C
from medaudit.knowledge.packs.textrows import data_lines

META = ["ver", "begndate", "enddate"]


def build(item_by_name: dict[str, str], meta: dict[str, str]) -> tuple[dict[str, tuple[list[dict[str, str]], list[str]]],
                                                                       list[dict[str, str]]]:
    """(extra CSV files: name -> (rows, header), relation rows to append to item_relations.csv)."""
    consumables: list[dict[str, str]] = []
    limits: list[dict[str, str]] = []
    relations: list[dict[str, str]] = []
    for tok in data_lines(C.CONSUMABLES):
        prefix, name, generic, unit, high, price = tok[:6]
        flags = dict(t.split("=", 1) for t in tok[6:])
        assert prefix.startswith("C") and prefix[1:].isdigit() and len(prefix) == 12, prefix
        Decimal(price)
        consumables.append({"code_prefix": prefix, "name": name, "generic_name": generic, "spec": "", "model": "",
                            "unit": unit, "high_value": high, "ref_price": price, **meta})
        if "max" in flags:
            limits.append({"code_prefix": prefix, "max_per_encounter": flags["max"],
                           "note": f"{name}单次就诊使用超过{flags['max']}{unit}不合常理（示例）", **meta})
        if "requires" in flags:
            names, window = flags["requires"].split("@")
            for n in names.split("|"):
                relations.append({"code_a": prefix, "code_b": item_by_name[n], "relation": "requires",
                                  "time_window": window, "note": f"{name}须有相应手术或操作（{names.replace('|', '、')}任一）",
                                  **meta})
    levels = [{"code_prefix": item_by_name[n], "min_level": lv, "note": note, **meta}
              for n, lv, note in data_lines(C.ITEM_LEVELS)]
    surgeries = [{"code_prefix": item_by_name[n], "surgery_group": g, "note": f"{g}组手术", **meta}
                 for n, g in data_lines(C.SURGERIES)]
    files = {
        "consumables.csv": (consumables, ["code_prefix", "name", "generic_name", "spec", "model", "unit", "high_value",
                                          "ref_price", *META]),
        "consumable_limits.csv": (limits, ["code_prefix", "max_per_encounter", "note", *META]),
        "item_levels.csv": (levels, ["code_prefix", "min_level", "note", *META]),
        "surgeries.csv": (surgeries, ["code_prefix", "surgery_group", "note", *META]),
    }
    return files, relations
