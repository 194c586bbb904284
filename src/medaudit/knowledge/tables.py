"""Knowledge-base (知识库) tables as engines see them: the contract between packs and rule SQL.

Packs are CSV folders (see docs/knowledge.md). List-valued CSV columns (``|``-separated) are
exploded by the loader into the normalised child tables below, so rule SQL only ever does
equality and prefix joins — portable to DuckDB, SQLite and Spark.

Pinned semantics:
- a row matches a national code when the code starts with ``code_prefix`` (longest prefix wins);
- ``age_min`` is inclusive and ``age_max`` exclusive, in completed years at the service date;
- ``gender`` is the allowed gender code ('1' male, '2' female), NULL when unrestricted;
- ``min_level`` is the lowest institution level (1/2/3) allowed, NULL when unrestricted;
- money in fen, doses in thousandths of ``dose_unit``.
"""

from __future__ import annotations

from medaudit.knowledge.tables_charging_freq import CHARGING_FREQ_TABLES
from medaudit.knowledge.tables_persons import KB_DIAG_AGE, KB_DIAG_GENDER
from medaudit.knowledge.tables_policy import POLICY_TABLES
from medaudit.knowledge.tables_swaps import SWAPS_TABLES
from medaudit.schema.columns import Column as C
from medaudit.schema.columns import Table

KB_DRUG = Table(
    name="kb_drug",
    zh="药品目录及限定支付范围",
    en="drug catalogue with payment restrictions",
    key=("code_prefix",),
    columns=(
        C("code_prefix", "str", "药品编码前缀", "national drug code prefix", True),
        C("generic_name", "str", "通用名", "generic name", True),
        C("dosage_form", "str", "剂型", "dosage form", False),
        C("category", "str", "类别(西药/中成药/中药饮片)", "category", True),
        C("chrgitm_lv", "str", "甲乙类(甲/乙/丙)", "catalogue class (required in pack CSVs; NULL on a national "
          "knowledge-point row, which does not give it)", False),
        C("restriction_text", "str", "限定支付范围", "payment restriction text", False),
        C("gender", "str", "限定性别", "allowed gender", False),
        C("age_min", "int", "最小年龄(含)", "minimum age, inclusive", False),
        C("age_max", "int", "最大年龄(不含)", "maximum age, exclusive", False),
        C("min_level", "int", "最低医院级别", "minimum institution level", False),
        C("second_line", "bool", "二线用药", "second-line drug", False),
        C("insurance_only", "str", "限险种(工伤/生育)", "limited to work-injury or maternity", False),
        C("max_daily_dose_milli", "milli", "每日最大剂量(千分之一)", "max daily dose", False),
        C("dose_unit", "str", "剂量单位", "dose unit", False),
        C("max_days", "int", "最大开药天数", "max days of supply per prescription", False),
        C("ingredient", "str", "活性成分", "active ingredient (for 重复用药)", False),
        C("drug_class", "str", "药理分类(ATC类)", "pharmacological class, e.g. ATC J01C (for 二线用药: a first-line drug of the same class)", False),
        C("unit", "str", "最小包装单位", "sale unit", False),
        C("ref_price_fen", "fen", "参考单价(分)", "reference unit price", False),
    ),
)

KB_DRUG_INDICATION = Table("kb_drug_indication", "药品适应症", "drug indication ICD-10 prefixes",
    (C("code_prefix", "str", "药品编码前缀", "drug prefix", True),
     C("icd_prefix", "str", "诊断编码前缀", "ICD-10 prefix", True)), key=("code_prefix", "icd_prefix"))

KB_DRUG_VISIT = Table("kb_drug_visit", "药品限就医方式", "allowed visit types of a drug",
    (C("code_prefix", "str", "药品编码前缀", "drug prefix", True),
     C("visit_type", "str", "就诊类型", "allowed visit type", True)), key=("code_prefix", "visit_type"))

KB_ITEM = Table(
    name="kb_item",
    zh="医疗服务项目",
    en="medical service items",
    key=("code_prefix",),
    columns=(
        C("code_prefix", "str", "项目编码前缀", "service item code prefix", True),
        C("name", "str", "项目名称", "item name", True),
        C("category", "str", "收费类别代码", "med_chrgitm_type (required in pack CSVs; NULL on a national "
          "knowledge-point row)", False),
        C("unit", "str", "计价单位", "unit", False),
        C("price_cap_lv1_fen", "fen", "一级医院限价(分)", "price cap, level 1", False),
        C("price_cap_lv2_fen", "fen", "二级医院限价(分)", "price cap, level 2", False),
        C("price_cap_lv3_fen", "fen", "三级医院限价(分)", "price cap, level 3", False),
        C("max_per_day", "int", "每日最大次数", "max units per day", False),
        C("max_per_encounter", "int", "每次就诊最大次数", "max units per encounter", False),
        C("gender", "str", "限定性别", "allowed gender", False),
        C("age_min", "int", "最小年龄(含)", "minimum age", False),
        C("age_max", "int", "最大年龄(不含)", "maximum age", False),
        C("connotation", "str", "项目内涵", "what the item includes", False),
    ),
)

KB_ITEM_DEPT = Table("kb_item_dept", "项目限科室", "departments allowed to bill an item",
    (C("code_prefix", "str", "项目编码前缀", "item prefix", True),
     C("dept_code", "str", "科室代码", "department", True)), key=("code_prefix", "dept_code"))

KB_ITEM_INDICATION = Table("kb_item_indication", "项目适应症", "diagnoses that justify an item",
    (C("code_prefix", "str", "项目编码前缀", "item prefix", True),
     C("icd_prefix", "str", "诊断编码前缀", "ICD-10 prefix", True)), key=("code_prefix", "icd_prefix"))

KB_ITEM_RELATION = Table(
    name="kb_item_relation",
    zh="项目关系",
    en="relations between items",
    key=("code_a", "code_b", "relation"),
    columns=(
        C("code_a", "str", "主项编码前缀", "main item prefix", True),
        C("code_b", "str", "从项编码前缀", "related item prefix", True),
        C("relation", "str", "关系(exclusive互斥/included内涵/requires依赖/decomposed分解)", "relation kind", True),
        C("time_window", "str", "频度(day单日/encounter单次就诊)", "window", True),
        C("note", "str", "说明", "note", False),
    ),
)

KB_CONTRAINDICATION = Table("kb_contraindication", "配伍禁忌", "contraindicated drug pairs",
    (C("prefix_a", "str", "药品A编码前缀", "drug A prefix", True),
     C("prefix_b", "str", "药品B编码前缀", "drug B prefix", True),
     C("severity", "str", "严重程度", "severity", False),
     C("note", "str", "说明", "note", False)), key=("prefix_a", "prefix_b"))

KB_CHRONIC_DRUG = Table("kb_chronic_drug", "门慢门特病种用药", "chronic-disease drug lists",
    (C("dise_no", "str", "病种编码", "chronic disease code", True),
     C("dise_name", "str", "病种名称", "disease name", True),
     C("drug_prefix", "str", "药品编码前缀", "allowed drug prefix", True)), key=("dise_no", "drug_prefix"))

KB_KEY_DRUG = Table("kb_key_drug", "重点监控药品", "key monitored drugs",
    (C("code_prefix", "str", "药品编码前缀", "drug prefix", True),
     C("name", "str", "药品名称", "name", True),
     C("reason", "str", "监控原因", "why monitored", False)), key=("code_prefix",))

KB_GENDER_EXCEPTION = Table("kb_gender_exception", "性别限定除外", "cross-gender exception list",
    (C("code_prefix", "str", "编码前缀", "code prefix", True),
     C("note", "str", "说明", "note", False)), key=("code_prefix",))

KB_CONSUMABLE = Table(
    name="kb_consumable",
    zh="医用耗材目录",
    en="medical consumables catalogue",
    key=("code_prefix",),
    columns=(
        C("code_prefix", "str", "耗材编码前缀", "consumable code prefix (27-character national code or a prefix)", True),
        C("name", "str", "耗材名称", "consumable name", True),
        C("generic_name", "str", "医保通用名", "insurance generic name", False),
        C("spec", "str", "规格", "specification", False),
        C("model", "str", "型号", "model", False),
        C("unit", "str", "最小使用单位", "unit", False),
        C("high_value", "bool", "高值耗材", "high-value consumable", False),
        C("ref_price_fen", "fen", "参考单价(分)", "reference unit price", False),
    ),
)

KB_DIAGNOSIS = Table("kb_diagnosis", "医保版ICD-10诊断", "diagnosis codes",
    (C("code", "str", "诊断代码", "code", True), C("name", "str", "名称", "name", True)), key=("code",))

KB_PROCEDURE = Table("kb_procedure", "医保版ICD-9-CM-3手术操作", "procedure codes",
    (C("code", "str", "手术操作代码", "code", True), C("name", "str", "名称", "name", True)), key=("code",))

from medaudit.knowledge.tables_charging import CHARGING_TABLES  # noqa: E402
from medaudit.knowledge.tables_panels import PANELS_TABLES  # noqa: E402

KB_TABLES: dict[str, Table] = {
    t.name: t
    for t in (KB_DRUG, KB_DRUG_INDICATION, KB_DRUG_VISIT, KB_ITEM, KB_ITEM_DEPT, KB_ITEM_INDICATION,
              KB_ITEM_RELATION, KB_CONTRAINDICATION, KB_CHRONIC_DRUG, KB_KEY_DRUG, KB_GENDER_EXCEPTION,
              KB_CONSUMABLE, KB_DIAGNOSIS, KB_PROCEDURE, KB_DIAG_GENDER, KB_DIAG_AGE, *CHARGING_TABLES,
              *POLICY_TABLES, *CHARGING_FREQ_TABLES, *PANELS_TABLES, *SWAPS_TABLES)
}
