"""Knowledge table of 串换项目/药品 (B9): pairs of a billed catalogue entry and the cheaper entry that
was likely performed or dispensed instead, with the signal that points at the swap.

Kept as its own table because a swap is a relation between two catalogue rows (``kb_item`` or
``kb_drug`` prefixes, matched exactly as the relation tables are) plus the evidence kind, which no
catalogue column can hold. One row per (pair, signal, diagnosis): a 诊断 signal lists each diagnosis
prefix that points at the cheaper entry as its own row, so rules join on equality and prefix match
without splitting lists.
"""

from __future__ import annotations

from medaudit.schema.columns import Column as C
from medaudit.schema.columns import Table

#: signal kinds: a diagnosis of the encounter points at the cheaper entry; the line's unit price
#: matches the cheaper entry's reference price rather than the billed entry's
SWAP_DIAG = "诊断"
SWAP_PRICE = "单价"
SWAP_SIGNALS = (SWAP_DIAG, SWAP_PRICE)

KB_ITEM_SWAP = Table(
    "kb_item_swap", "串换项目/药品对照", "billed entry, the cheaper entry likely done instead, and the signal",
    (C("billed_prefix", "str", "收费项目/药品编码前缀", "billed kb_item or kb_drug code_prefix (exact)", True),
     C("actual_prefix", "str", "疑似实际项目/药品编码前缀", "kb_item or kb_drug code_prefix of the cheaper entry", True),
     C("signal", "str", "串换信号(诊断/单价)", "signal kind", True),
     C("icd_prefix", "str", "提示实际项目的诊断编码前缀", "diagnosis prefix pointing at the cheaper entry (诊断)",
       False),
     C("tolerance_pct", "int", "单价与实际项目参考价允许偏差(%)",
       "unit price within this % of the cheaper entry's reference price (单价; NULL: the rule parameter)", False),
     C("note", "str", "说明", "note / source", False)),
    key=("billed_prefix", "actual_prefix", "signal", "icd_prefix"))

SWAPS_TABLES: tuple[Table, ...] = (KB_ITEM_SWAP,)
