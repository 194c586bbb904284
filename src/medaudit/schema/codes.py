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
