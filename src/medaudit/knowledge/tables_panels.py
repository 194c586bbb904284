"""Knowledge table of the surcharge rule (B11 重复加收): which 加收项 may be billed how often on a base item.

Kept apart from :mod:`medaudit.knowledge.tables` so the rule's contract with its SQL is read in one
place. Both codes reference catalogue entries by their exact ``kb_item.code_prefix`` (the rule joins
them on ``line_ctx.item_prefix``): national surcharge codes extend their base item's code (the last
four digits 0001, 0002… of the 15-digit 医疗服务项目 code), so each surcharge has exactly one base.
"""

from __future__ import annotations

from medaudit.schema.columns import Column as C
from medaudit.schema.columns import Table

KB_ITEM_SURCHARGE = Table(
    "kb_item_surcharge", "加收项目限定", "surcharges (加收项) with their base item, daily limit and exclusive group",
    (C("surcharge_prefix", "str", "加收项目编码前缀", "surcharge item prefix (a kb_item code_prefix)", True),
     C("base_prefix", "str", "基础项目编码前缀", "base item prefix (a kb_item code_prefix) the surcharge is added to",
       True),
     C("max_per_day", "int", "同一基础项目每日最多加收次数",
       "max units of this surcharge per base item, encounter and day (empty: no daily limit)", False),
     C("excl_group", "str", "互斥加收组",
       "surcharges of one group are mutually exclusive on the same base item and day (empty: none)", False),
     C("note", "str", "说明", "note / source", False)),
    key=("surcharge_prefix",))

PANELS_TABLES: tuple[Table, ...] = (KB_ITEM_SURCHARGE,)
