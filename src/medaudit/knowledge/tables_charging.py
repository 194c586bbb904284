"""Knowledge tables of the charging-rule family (B10 主次手术, B13 虚记): levels, quantities, surgeries.

Each table references catalogue entries by their exact ``code_prefix`` (``kb_item`` for service items,
``kb_consumable`` for consumables), as the relation tables do, so rules join on the line's longest
matching catalogue prefix with equality.
"""

from __future__ import annotations

from medaudit.schema.columns import Column as C
from medaudit.schema.columns import Table

KB_ITEM_LEVEL = Table(
    "kb_item_level", "医疗服务项目限医疗机构级别", "lowest institution level that can perform an item",
    (C("code_prefix", "str", "项目编码前缀", "service item prefix (a kb_item code_prefix)", True),
     C("min_level", "int", "最低医疗机构级别(1/2/3)", "lowest institution level allowed to bill it", True),
     C("note", "str", "说明", "note", False)),
    key=("code_prefix",))

KB_CONSUMABLE_LIMIT = Table(
    "kb_consumable_limit", "医用耗材单次就诊数量上限", "plausible maximum quantity of a consumable per encounter",
    (C("code_prefix", "str", "耗材编码前缀", "consumable prefix (a kb_consumable code_prefix)", True),
     C("max_per_encounter", "int", "每次就诊最大数量", "max units per encounter", True),
     C("note", "str", "说明", "note", False)),
    key=("code_prefix",))

KB_SURGERY = Table(
    "kb_surgery", "主次手术组别", "surgeries that are discounted when billed after another of their group",
    (C("code_prefix", "str", "手术项目编码前缀", "surgery item prefix (a kb_item code_prefix)", True),
     C("surgery_group", "str", "手术组别(同一切口/入路)", "group of surgeries done through one incision or approach",
       True),
     C("note", "str", "说明", "note", False)),
    key=("code_prefix",))

CHARGING_TABLES = (KB_ITEM_LEVEL, KB_CONSUMABLE_LIMIT, KB_SURGERY)
