"""National code dictionaries that canonical columns are derived from (DOMAIN.md §2.5)."""

from __future__ import annotations

#: national med_type -> canonical visit_type
MED_TYPE_VISIT: dict[str, str] = {
    "11": "outpatient",
    "12": "outpatient",
    "13": "emergency",
    "120": "emergency",
    "14": "chronic",
    "140104": "chronic",
    "140201": "chronic",
    "140401": "chronic",
    "21": "inpatient",
    "210104": "inpatient",
    "28": "inpatient",
    "71": "inpatient",
    "41": "pharmacy",
}

#: canonical visit_type -> default national med_type (for export and synthetic data)
VISIT_MED_TYPE: dict[str, str] = {
    "outpatient": "11",
    "emergency": "13",
    "chronic": "14",
    "inpatient": "21",
    "pharmacy": "41",
}

VISIT_TYPE_ZH: dict[str, str] = {
    "outpatient": "门诊",
    "emergency": "急诊",
    "chronic": "门慢门特",
    "inpatient": "住院",
    "pharmacy": "药店购药",
}

#: national hosp_lv code -> level 1/2/3 (0 unrated)
HOSP_LV_LEVEL: dict[str, int] = {
    "01": 3, "02": 3, "03": 3, "04": 3, "12": 3,
    "05": 2, "06": 2, "07": 2, "13": 2,
    "08": 1, "09": 1, "10": 1, "14": 1,
    "11": 0,
}

LEVEL_ZH: dict[int, str] = {0: "无等级", 1: "一级", 2: "二级", 3: "三级"}

#: med_chrgitm_type code -> Chinese name
CHRGITM_TYPE_ZH: dict[str, str] = {
    "01": "床位费", "02": "诊察费", "03": "检查费", "04": "化验费", "05": "治疗费",
    "06": "手术费", "07": "护理费", "08": "卫生材料费", "09": "西药费", "10": "中药饮片费",
    "11": "中成药费", "12": "一般诊疗费", "13": "挂号费", "14": "其他费",
}
DRUG_CHRGITM_TYPES = ("09", "10", "11")

INSUTYPE_ZH: dict[str, str] = {
    "310": "职工基本医疗保险", "340": "离休人员医疗保障", "390": "城乡居民基本医疗保险",
    "391": "城乡居民大病医疗保险", "392": "城乡居民大病医疗保险",
}

GEND_ZH: dict[str, str] = {"1": "男", "2": "女", "0": "未知", "9": "未说明"}

#: institution type from the first letter of the national institution code (DOMAIN.md §2.4:
#: 定点医疗机构 H + 11, 定点零售药店 P + 11), used when an export has no type column
FIXMEDINS_TYPE_BY_PREFIX: dict[str, str] = {"H": "hospital", "P": "pharmacy"}

#: Chinese type words seen in exports -> canonical fixmedins_type
FIXMEDINS_TYPE_WORDS: dict[str, str] = {
    "定点医疗机构": "hospital", "医疗机构": "hospital", "医院": "hospital",
    "定点零售药店": "pharmacy", "零售药店": "pharmacy", "药店": "pharmacy",
    "诊所": "clinic", "门诊部": "clinic",
}

#: professional-title code prefix (GB/T 8561 专业技术职务代码: 23x 医疗, 24x 药学, 25x 护理, 26x 技术)
#: -> staff role, for staff exports without a role column; ``MEDAUDIT_STAFF_TITLE_ROLES`` overrides
#: or adds prefixes (longest prefix wins)
TITLE_ROLE: dict[str, str] = {"23": "医师", "24": "药师", "25": "护士", "26": "技师"}
