"""Knowledge tables of the payment-policy rule family (A2 限险种, A10/A11 限支付疗程, A13 中药饮片).

Each row names a catalogue entry by its exact ``code_prefix`` (a ``kb_drug`` or ``kb_item`` row), as
the relation tables do, so rules join on ``drug_prefix`` / ``item_prefix`` equality. Kept apart from
kb_drug/kb_item because most catalogue rows carry none of these limits and because the national
knowledge points publish them as separate rule classes.
"""

from __future__ import annotations

from medaudit.schema.columns import Column as C
from medaudit.schema.columns import Table

#: 中药饮片 pay rules (national classes 4 and 3)
HERB_SINGLE = "单方不予支付"
HERB_NEVER = "单复方均不予支付"
HERB_RULES = (HERB_SINGLE, HERB_NEVER)

KB_ITEM_INSURANCE = Table(
    "kb_item_insurance", "医疗服务项目限险种", "service items payable only by work-injury or maternity insurance",
    (C("code_prefix", "str", "项目编码前缀", "kb_item code_prefix (exact)", True),
     C("insurance_only", "str", "限险种(工伤/生育)", "limited to work-injury or maternity", True),
     C("note", "str", "说明", "note", False)),
    key=("code_prefix",))

KB_HERB_POLICY = Table(
    "kb_herb_policy", "中药饮片支付限定", "decoction pieces the fund does not pay alone (or at all)",
    (C("code_prefix", "str", "饮片编码前缀", "kb_drug code_prefix (exact) of a 中药饮片", True),
     C("pay_rule", "str", "支付限定(单方不予支付/单复方均不予支付)", "pay rule", True),
     C("note", "str", "说明", "note", False)),
    key=("code_prefix",))

KB_COURSE_LIMIT = Table(
    "kb_course_limit", "限支付疗程", "payment course limits of drugs and service items",
    (C("code_prefix", "str", "药品或项目编码前缀", "kb_drug or kb_item code_prefix (exact)", True),
     C("course_days", "int", "疗程内最多支付天数", "max days of use paid in one course", True),
     C("gap_days", "int", "停用超过该天数另起疗程", "days without use that start a new course (NULL: the rule parameter)",
       False),
     C("note", "str", "说明", "note", False)),
    key=("code_prefix",))

POLICY_TABLES = (KB_ITEM_INSURANCE, KB_HERB_POLICY, KB_COURSE_LIMIT)
