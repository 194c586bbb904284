"""The canonical tables (DESIGN.md: a superset of the national centre tables and 3101 DTOs).

Conventions pinned here and relied on by every rule:
- money is integer fen (``*_fen``), quantities are integer thousandths (``*_milli``);
- refund lines carry negative quantity and amount and are netted by summing per
  (encounter, code) — see docs/schema.md;
- ``visit_type`` is the canonical class derived from the national ``med_type`` code;
- ``medins_lv`` is the level as an integer 1/2/3 (0 for pharmacies and unrated).
"""

from __future__ import annotations

from .columns import Column as C
from .columns import Table

PATIENTS = Table(
    name="patients",
    zh="参保人",
    en="insured persons",
    national_table="MDTRT_D (person part) / 3101 patient_dtos",
    key=("psn_no",),
    columns=(
        C("psn_no", "str", "人员编号", "insured person id", True, ("psn_no",), ("人员编号", "个人编号", "参保人ID", "参保人编号"), interface=("patn_id",)),
        C("psn_name", "str", "姓名", "name (masked in UI and logs)", False, ("psn_name",), ("姓名", "参保人姓名", "患者姓名"), interface=("patn_name",)),
        C("certno", "str", "证件号码", "identity number (masked)", False, ("certno",), ("证件号码", "身份证号")),
        C("gend", "str", "性别(1男 2女 0未知 9未说明)", "gender code GB/T 2261.1", True, ("gend",), ("性别",), r"^[0129]$"),
        C("brdy", "date", "出生日期", "birth date", True, ("brdy",), ("出生日期",)),
        C("insutype", "str", "险种类型(310职工 390居民)", "insurance type", True, ("insutype",), ("险种类型", "险种")),
        C("insu_admdvs", "str", "参保地统筹区", "pooling region of insurance", True, ("insu_admdvs",), ("参保地", "统筹区", "参保统筹区"), interface=("poolarea",)),
        C("die_date", "date", "死亡日期", "date of death, if any", False, ("die_date",), ("死亡日期",)),
    ),
)

INSTITUTIONS = Table(
    name="institutions",
    zh="定点医药机构",
    en="designated medical institutions and pharmacies",
    national_table="MDTRT_D (institution part) / 3101 fsi_encounter_dtos",
    key=("fixmedins_code",),
    columns=(
        C("fixmedins_code", "str", "定点医药机构编号", "institution code", True, ("fixmedins_code",), ("机构编码", "定点机构编码", "医疗机构编码"), interface=("medins_id",)),
        C("fixmedins_name", "str", "定点医药机构名称", "institution name", True, ("fixmedins_name",), ("机构名称", "定点机构名称", "医疗机构名称"), interface=("medins_name",)),
        C("fixmedins_type", "str", "机构类型(hospital/pharmacy/clinic)", "institution type; from the code's first letter (H/P) when absent", True, ("fixmedins_type",), ("机构类型",), r"^(hospital|pharmacy|clinic)$", interface=("medins_type",)),
        C("medins_lv", "int", "机构级别(1一级 2二级 3三级 0无/不适用)", "hospital level 1-3; 0 = none / not applicable (pharmacies, empty hosp_lv)", True, ("medins_lv",), ("医院等级", "机构级别")),
        C("hosp_lv", "str", "医院等级代码(01三级特等…14一级无等)", "national hospital grade code", False, ("hosp_lv",), ("医院等级代码",), interface=("medins_lv",)),
        C("admdvs", "str", "机构所在统筹区", "pooling region of the institution", True, ("fix_blng_admdvs",), ("所属统筹区", "机构统筹区"), interface=("medins_admdvs",)),
        C("designation_date", "date", "定点协议开始日期", "date of designation (starts the guidance period)", False, ("begndate", "fixmedins_begndate"), ("定点日期", "定点时间", "协议开始日期", "定点协议开始日期")),
        C("guidance_flag", "bool", "政策辅导期标志", "in the guidance period (only used when designation_date is absent)", False, (), ("辅导期标志",)),
        C("guidance_extended_flag", "bool", "辅导期内有轻微违规(辅导期延长)", "minor violation recorded: guidance period extended", False, (), ("辅导期延长标志", "辅导期轻微违规")),
        C("regional_center_flag", "bool", "区域医疗中心标志", "regional medical centre", False, (), ("区域医疗中心",)),
    ),
)

STAFF = Table(
    name="staff",
    zh="医保医师/药师",
    en="insurance-registered staff",
    national_table="医保医师代码",
    key=("staff_code",),
    columns=(
        C("staff_code", "str", "医保医师/药师代码", "national staff code", True, ("dr_codg", "prac_psn_codg", "psn_code"), ("医师代码", "医保医师代码", "医师编码", "医保医师国家代码", "医保医师编码", "医保药师代码", "医保护士代码", "人员代码"), interface=("drord_dr_codg",)),
        C("staff_name", "str", "姓名", "name", False, ("dr_name", "prac_psn_name", "psn_name"), ("医师姓名", "人员姓名")),
        C("role", "str", "类别(医师/药师/护士/技师)", "role; derived from the title code when absent (docs/ingest.md)", True, (), ("类别", "人员类别")),
        C("fixmedins_code", "str", "所在机构", "institution", True, ("fixmedins_code", "medins_code"), ("机构编码", "定点医药机构编号", "定点机构编码", "医疗机构编码")),
        C("dept_code", "str", "科室代码", "department code", False, ("dept_codg", "hosp_dept_codg"), ("科室代码", "科室编码"), interface=("drord_dept_codg",)),
        C("dept_name", "str", "科室名称", "department name", False, ("dept_name", "hosp_dept_name"), ("科室名称", "科室"), interface=("drord_dept_name",)),
        C("profttl", "str", "职称(231主任医师…235医士 241主任药师… 251主任护师…)", "professional title code (GB/T 8561)", False, ("profttl", "dr_profttl"), ("职称", "职称代码", "专业技术职务"), interface=("drord_dr_profttl",)),
        # 医保支付资格 (驾照式记分, DOMAIN.md §5.4) as the master data carries it now: the current status and
        # its period; engine.prepare.STAFF_STATUS turns it into the staff_status relation the rules read
        C("pay_qual_stas", "str", "医保支付资格状态(正常/暂停/终止)", "payment qualification status: 正常, 暂停 (中止), 终止", False, (), ("医保支付资格状态", "支付资格状态", "医保支付资格", "资格状态", "登记备案状态")),
        C("pay_qual_begndate", "date", "支付资格暂停/终止开始日期", "first day of the suspension or termination", False, (), ("支付资格暂停开始日期", "暂停开始日期", "资格状态开始日期", "处理开始日期")),
        C("pay_qual_enddate", "date", "支付资格暂停结束日期(含)", "last day of the suspension, inclusive (empty: open-ended)", False, (), ("支付资格暂停结束日期", "暂停结束日期", "资格状态结束日期", "处理结束日期")),
    ),
)

ENCOUNTERS = Table(
    name="encounters",
    zh="就诊/结算",
    en="encounters with their settlement",
    national_table="MDTRT_D + SETL_D",
    key=("mdtrt_id",),
    foreign_keys={"psn_no": "patients", "fixmedins_code": "institutions"},
    columns=(
        C("mdtrt_id", "str", "就诊ID", "encounter id", True, ("mdtrt_id",), ("就诊ID", "就诊编号", "就诊流水号")),
        C("psn_no", "str", "人员编号", "insured person id", True, ("psn_no",), ("人员编号", "个人编号", "参保人ID"), interface=("patn_id",)),
        C("fixmedins_code", "str", "定点医药机构编号", "institution code", True, ("fixmedins_code",), ("机构编码", "定点机构编码"), interface=("medins_id",)),
        C("med_type", "str", "医疗类别(11普通门诊 13急诊 14门慢门特 21住院 41药店购药)", "national med_type code", True, ("med_type",), ("医疗类别",)),
        C("visit_type", "str", "就诊类型(outpatient/emergency/chronic/inpatient/pharmacy)", "canonical visit class derived from med_type", True, (), ("就诊类型",), r"^(outpatient|emergency|chronic|inpatient|pharmacy)$"),
        C("adm_time", "timestamp", "入院/就诊时间", "admission or visit start", True, ("begntime",), ("入院时间", "就诊时间", "入院日期"), interface=("adm_date",)),
        C("dscg_time", "timestamp", "出院/结束时间", "discharge or visit end", False, ("endtime",), ("出院时间", "出院日期"), interface=("dscg_date",)),
        C("dept_code", "str", "科室代码", "department code", False, ("adm_dept_codg",), ("科室代码", "入院科室代码")),
        C("dept_name", "str", "科室名称", "department name", False, ("adm_dept_name",), ("科室名称", "入院科室")),
        C("chfpdr_code", "str", "主诊医师代码", "attending doctor", False, ("chfpdr_code",), ("主诊医师代码", "主治医师代码"), interface=("dr_codg",)),
        C("dscg_maindiag_code", "str", "出院主诊断代码", "main discharge diagnosis", False, ("dscg_maindiag_code",), ("主诊断编码", "出院主诊断"), interface=("dscg_main_dise_codg",)),
        C("psn_admdvs", "str", "参保地统筹区", "patient's pooling region", True, ("insu_admdvs",), ("参保地",), interface=("poolarea",)),
        C("medins_admdvs", "str", "就医地统筹区", "institution's pooling region", True, ("mdtrtarea_admvs",), ("就医地",), interface=("medins_admdvs",)),
        C("remote_flag", "bool", "异地就医标志(1异地 0本地)", "treated outside the insurance pooling area, as the export states it (NULL: decided from the regions)", False, (), ("异地就医标志", "异地标志", "是否异地")),
        C("insutype", "str", "险种类型", "insurance type", True, ("insutype",), ("险种类型", "险种")),
        C("dise_no", "str", "病种编码(门慢门特)", "registered chronic disease (门慢门特 病种)", False, ("dise_no",), ("病种编码",)),
        C("setl_id", "str", "结算ID", "settlement id", False, ("setl_id",), ("结算ID",)),
        C("setl_time", "timestamp", "结算时间", "settlement date-time", True, ("setl_time",), ("结算时间", "结算日期"), interface=("setl_date",)),
        C("medfee_sumamt_fen", "fen", "医疗费总额(分)", "total amount, fen", True, ("medfee_sumamt",), ("医疗费总额", "总金额", "总费用")),
        C("fund_pay_fen", "fen", "基金支付总额(分)", "fund-paid amount, fen", True, ("fund_pay_sumamt",), ("基金支付", "统筹支付", "基金支付总额"), interface=("hifp_payamt",)),
        C("psn_pay_fen", "fen", "个人负担(分)", "self-paid amount, fen", True, ("psn_pay",), ("个人支付", "个人负担"), interface=("ownpay_amt",)),
        C("dscg_way", "str", "离院方式(1医嘱离院 … 5死亡 9其他)", "discharge status", False, ("dscg_way",), ("离院方式",)),
    ),
)

FEE_LINES = Table(
    name="fee_lines",
    zh="费用明细",
    en="fee lines (drugs, service items, consumables)",
    national_table="FEE_LIST_D / 2204 / 2301 feedetail / 3101 fsi_order_dtos",
    key=("line_id",),
    foreign_keys={"mdtrt_id": "encounters"},
    columns=(
        C("line_id", "str", "明细流水号", "fee line id", True, ("bkkp_sn", "feedetl_sn"), ("明细流水号", "费用明细ID", "明细ID", "记账流水号"), interface=("rx_id",)),
        C("mdtrt_id", "str", "就诊ID", "encounter id", True, ("mdtrt_id",), ("就诊ID", "就诊编号", "就诊流水号")),
        C("hilist_code", "str", "医保目录编码", "national drug/service/consumable code", True, ("hilist_code", "med_list_codg"), ("项目编码", "医保编码", "医保目录编码", "国家编码")),
        C("hilist_name", "str", "医保目录名称", "item name", True, ("hilist_name", "medins_list_name"), ("项目名称", "医保项目名称", "名称")),
        C("med_chrgitm_type", "str", "收费项目类别(01床位…09西药 10中药饮片 11中成药)", "national charge category", True, ("med_chrgitm_type",), ("收费类别", "费用类别", "项目类别"), interface=("chrg_type",)),
        C("cnt_milli", "milli", "数量(千分之一)", "quantity in thousandths", True, ("cnt",), ("数量",)),
        C("unit", "str", "计价单位", "unit", False, ("prcunt",), ("单位", "计价单位"), interface=("spec_unt",)),
        C("pric_fen", "fen", "单价(分)", "unit price, fen", True, ("pric",), ("单价",)),
        C("amt_fen", "fen", "明细项目费用总额(分)", "line amount, fen", True, ("det_item_fee_sumamt",), ("金额", "总金额", "明细金额"), interface=("sumamt",)),
        C("bilg_dr_code", "str", "开单医师代码", "ordering doctor", False, ("bilg_dr_codg", "bilg_dr_code"), ("开单医生", "开单医师", "开单医生代码"), interface=("drord_dr_codg",)),
        C("bilg_dept_code", "str", "开单科室代码", "ordering department", False, ("bilg_dept_codg",), ("开单科室",), interface=("drord_dept_codg",)),
        C("acord_dept_code", "str", "执行科室代码", "executing department", False, ("acord_dept_codg",), ("执行科室",)),
        C("fee_ocur_time", "timestamp", "费用发生时间", "charge date-time", True, ("fee_ocur_time",), ("费用发生时间", "收费时间", "发生时间"), interface=("fee_ocur_time", "drord_begn_date")),
        C("drug_trac_codg", "str", "药品追溯码", "drug traceability code", False, ("drug_trac_codg",), ("追溯码", "药品追溯码")),
        C("trdn_flag", "bool", "拆零标志", "split-package sale (拆零)", False, ("trdn_flag",), ("拆零标志",)),
        C("spec", "str", "规格", "specification", False, ("spec",), ("规格",)),
        C("prd_days", "int", "用药天数", "days of supply", False, ("prd_days",), ("用药天数", "天数")),
        C("daily_dose_milli", "milli", "每日剂量(千分之一)", "daily dose in thousandths of dose_unit", False, (), ("每日剂量",)),
        C("dose_unit", "str", "剂量单位", "unit of the daily dose", False, (), ("剂量单位",)),
        C("selfpay_flag", "bool", "自费标志", "billed as self-pay (not to the fund)", False, (), ("自费标志",), interface=("self_paying_flag", "selfpay_flag")),
        C("refund_flag", "bool", "退费标志", "refund line (negative quantity and amount)", False, (), ("退费标志",)),
        C("init_line_id", "str", "原明细流水号", "original line of a refund", False, ("init_feedetl_sn",), ("原明细流水号",)),
        C("drord_bhvr", "str", "医嘱行为(0其他 1出院带药)", "order behaviour", False, ("drord_bhvr",), ("医嘱行为",)),
    ),
)

DIAGNOSES = Table(
    name="diagnoses",
    zh="诊断",
    en="diagnoses (医保版 ICD-10)",
    national_table="SETL_LIST_DIAG_D / 3101 fsi_diagnose_dtos",
    key=("mdtrt_id", "diag_code", "diag_type"),
    foreign_keys={"mdtrt_id": "encounters"},
    columns=(
        C("mdtrt_id", "str", "就诊ID", "encounter id", True, ("mdtrt_id",), ("就诊ID", "就诊编号")),
        C("diag_code", "str", "诊断代码(医保版ICD-10)", "diagnosis code", True, ("diag_code",), ("诊断编码", "诊断代码", "疾病编码"), interface=("dise_codg",)),
        C("diag_name", "str", "诊断名称", "diagnosis name", False, ("diag_name",), ("诊断名称", "疾病名称"), interface=("dise_name",)),
        C("maindiag_flag", "bool", "主诊断标志", "main diagnosis", True, ("maindiag_flag",), ("主诊断标志",), interface=("maindise_flag",)),
        C("diag_type", "str", "诊断类别(1入院 2出院)", "admission or discharge diagnosis", False, ("diag_type",), ("诊断类别",), interface=("inout_dise_type",)),
    ),
)

OPERATIONS = Table(
    name="operations",
    zh="手术操作",
    en="operations (医保版 ICD-9-CM-3)",
    national_table="SETL_LIST_OPRN_D / 3101 fsi_operation_dtos",
    key=("mdtrt_id", "oprn_code", "oprn_time"),
    foreign_keys={"mdtrt_id": "encounters"},
    columns=(
        C("mdtrt_id", "str", "就诊ID", "encounter id", True, ("mdtrt_id",), ("就诊ID",)),
        C("oprn_code", "str", "手术操作代码(ICD-9-CM-3)", "procedure code", True, ("oprn_oprt_code",), ("手术编码", "手术操作代码"), interface=("oprn_code",)),
        C("oprn_name", "str", "手术操作名称", "procedure name", False, ("oprn_oprt_name",), ("手术名称",), interface=("oprn_name",)),
        C("main_oprn_flag", "bool", "主手术标志", "main procedure", False, ("main_oprn_flag",), ("主手术标志",)),
        C("oprn_time", "timestamp", "手术操作时间", "procedure date-time", False, ("oprn_oprt_date",), ("手术日期",), interface=("oprn_date",)),
        C("oper_dr_code", "str", "术者代码", "surgeon", False, ("oper_dr_code",), ("术者代码",)),
    ),
)

TABLES: dict[str, Table] = {
    t.name: t for t in (PATIENTS, INSTITUTIONS, STAFF, ENCOUNTERS, FEE_LINES, DIAGNOSES, OPERATIONS)
}
