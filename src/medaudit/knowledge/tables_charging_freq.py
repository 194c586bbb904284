"""Knowledge tables of the charging-rule family (规范收费: B2 周期超频次, B4 超单次计价数量, B7 组合项目重复).

Kept apart from :mod:`medaudit.knowledge.tables` so the family's contract with its rule SQL is read in
one place. Item codes in ``kb_item_cycle`` and ``kb_item_charge_limit`` reference catalogue entries by
their exact ``kb_item.code_prefix`` (rules join them on ``line_ctx.item_prefix``); ``kb_item_panel``
names a panel by its catalogue prefix but its components by *code prefix* (one row may cover a whole
family of single tests, whatever the catalogue splits them into).
"""

from __future__ import annotations

from medaudit.schema.columns import Column as C
from medaudit.schema.columns import Table

KB_ITEM_CYCLE = Table(
    "kb_item_cycle", "项目周期频次限定", "items limited to N units per rolling D days per patient",
    (C("code_prefix", "str", "项目编码前缀", "service item prefix (a kb_item code_prefix)", True),
     C("max_units", "int", "周期内最大次数", "max units in any window of period_days days", True),
     C("period_days", "int", "周期天数", "window length in days (1–365), the fee day included", True),
     C("note", "str", "说明", "note / source", False)),
    key=("code_prefix",))

KB_ITEM_CHARGE_LIMIT = Table(
    "kb_item_charge_limit", "项目单次计价数量上限", "max quantity one charge (fee line) of an item may bill",
    (C("code_prefix", "str", "项目编码前缀", "service item prefix (a kb_item code_prefix)", True),
     C("max_units", "int", "单次计价最大数量", "max units on one fee line", True),
     C("note", "str", "说明", "note / source", False)),
    key=("code_prefix",))

KB_ITEM_PANEL = Table(
    "kb_item_panel", "组合项目构成", "panels (组合项目) and the code prefixes of their components",
    (C("panel_prefix", "str", "组合项目编码前缀", "panel item prefix (a kb_item code_prefix)", True),
     C("component_prefix", "str", "组成项目编码前缀", "prefix of the component codes (any length)", True),
     C("note", "str", "说明", "note / source", False)),
    key=("panel_prefix", "component_prefix"))

CHARGING_FREQ_TABLES: tuple[Table, ...] = (KB_ITEM_CYCLE, KB_ITEM_CHARGE_LIMIT, KB_ITEM_PANEL)
