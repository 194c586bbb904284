"""National code dictionaries that canonical columns are derived from (DOMAIN.md §2.5)."""

from __future__ import annotations

import re

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

#: a med_type outside the dictionary (a region's extension such as 1101 or 2199) keeps its family: the
#: first listed prefix it starts with decides (NHSA: 1x 门诊, 13 急诊, 14 门诊慢特病, 2x 住院, 41 药店购药,
#: 51/52 生育门诊/住院). dq_code_set reports the code; the claim is audited with the family's visit type.
MED_TYPE_PREFIX_VISIT: tuple[tuple[str, str], ...] = (
    ("13", "emergency"), ("14", "chronic"), ("41", "pharmacy"), ("51", "outpatient"), ("52", "inpatient"),
    ("1", "outpatient"), ("2", "inpatient"), ("4", "pharmacy"),
)


def visit_of_med_type(med_type: str | None) -> str | None:
    """The canonical visit type of a national (or regionally extended) med_type; None when unknown."""
    if not med_type:
        return None
    if med_type in MED_TYPE_VISIT:
        return MED_TYPE_VISIT[med_type]
    return next((v for prefix, v in MED_TYPE_PREFIX_VISIT if med_type.startswith(prefix)), None)


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

#: 险种类型 (insutype), the national dictionary
INSUTYPE_ZH: dict[str, str] = {
    "310": "职工基本医疗保险", "320": "公务员医疗补助", "330": "大额医疗费用补助", "340": "离休人员医疗保障",
    "350": "一至六级残废军人医疗补助", "360": "老红军医疗保障", "370": "企业补充医疗保险", "380": "新型农村合作医疗",
    "390": "城乡居民基本医疗保险", "391": "城镇居民基本医疗保险", "392": "城乡居民大病医疗保险",
    "399": "其他特殊人员医疗保障", "410": "长期照护保险", "510": "生育保险",
}

GEND_ZH: dict[str, str] = {"1": "男", "2": "女", "0": "未知", "9": "未说明"}

#: national hosp_lv code -> its Chinese name
HOSP_LV_NAME_ZH: dict[str, str] = {
    "01": "三级特等", "02": "三级甲等", "03": "三级乙等", "04": "三级丙等", "05": "二级甲等", "06": "二级乙等",
    "07": "二级丙等", "08": "一级甲等", "09": "一级乙等", "10": "一级丙等", "11": "无等级", "12": "三级无等",
    "13": "二级无等", "14": "一级无等",
}


def national_hosp_lv(code: str) -> str | None:
    """A 医院等级 code as the national dictionary writes it (two digits), or None when it is not one.

    Ingest pads one-digit codes the same way (validate.py), so ``"5"`` is 二级甲等 on every path — never
    a bare level 1/2/3, which would read ``"1"`` (三级特等) as 一级.
    """
    text = code.strip()
    if text.isdigit() and len(text) == 1:
        text = text.zfill(2)
    return text if text in HOSP_LV_LEVEL else None


#: 卫生机构（组织）分类代码 (WS 218) class letter -> canonical fixmedins_type. The platform's ``medins_type``
#: carries these (``A1`` 综合医院, ``A5`` 专科医院, ``D2`` 诊所 …); only the classes that hold a
#: 定点医疗机构 agreement are listed.
MEDINS_CLASS_TYPE: dict[str, str] = {
    "A": "hospital",  # 医院
    "B": "hospital",  # 社区卫生服务中心（站）
    "C": "hospital",  # 卫生院
    "D": "clinic",    # 门诊部、诊所、医务室、村卫生室
    "E": "hospital",  # 急救中心（站）
    "G": "hospital",  # 妇幼保健院（所、站）
    "H": "hospital",  # 专科疾病防治院（所、站）
}
MEDINS_CLASS_ZH: dict[str, str] = {
    "A": "医院", "B": "社区卫生服务中心（站）", "C": "卫生院", "D": "门诊部/诊所/医务室/村卫生室",
    "E": "急救中心（站）", "G": "妇幼保健院（所、站）", "H": "专科疾病防治院（所、站）",
}
#: 定点医药机构类型 as some clients send it in the same field: 1 定点医疗机构, 2 定点零售药店
FIXMEDINS_TYPE_CODE: dict[str, str] = {"1": "hospital", "2": "pharmacy"}
#: a WS 218 class code as medins_type carries it (one letter, up to three digits); ingest matches it in SQL
MEDINS_TYPE_PATTERN = r"[A-HJ-Z]\d{0,3}"
_MEDINS_TYPE = re.compile(f"^{MEDINS_TYPE_PATTERN}$")


def institution_type(medins_type: str) -> str | None:
    """Canonical fixmedins_type for a ``medins_type`` code (WS 218 class or 1/2), None when not in the sets."""
    text = medins_type.strip().upper()
    if text in FIXMEDINS_TYPE_CODE:
        return FIXMEDINS_TYPE_CODE[text]
    return MEDINS_CLASS_TYPE.get(text[0]) if _MEDINS_TYPE.match(text) else None


#: 专业技术职务代码 (GB/T 8561) of the health series: 23x 医疗, 24x 药剂, 25x 护理, 26x 技术
PROFTTL_ZH: dict[str, str] = {
    "231": "主任医师", "232": "副主任医师", "233": "主治医师", "234": "医师", "235": "医士",
    "241": "主任药师", "242": "副主任药师", "243": "主管药师", "244": "药师", "245": "药士",
    "251": "主任护师", "252": "副主任护师", "253": "主管护师", "254": "护师", "255": "护士",
    "261": "主任技师", "262": "副主任技师", "263": "主管技师", "264": "技师", "265": "技士",
}
#: 专业技术职务级别 (GB/T 8561: 1 正高 2 副高 3 中级 4 师级/助理 5 士级/员级), which many HIS send in
#: ``drord_dr_profttl``; for the ordering doctor each level is exactly one physician title.
PROFTTL_LEVEL_PHYSICIAN: dict[str, str] = {"1": "231", "2": "232", "3": "233", "4": "234", "5": "235"}
PROFTTL_LEVEL_ZH: dict[str, str] = {"1": "正高级", "2": "副高级", "3": "中级", "4": "初级（师级）", "5": "初级（士级）",
                                    "9": "未定职级"}


def physician_title(code: str) -> tuple[str | None, bool]:
    """(GB/T 8561 title code, code was understood) for an ordering doctor's ``drord_dr_profttl``.

    ``9`` 未定职级 is understood and has no title; anything else outside both code sets is not understood.
    """
    text = code.strip()
    if text in PROFTTL_ZH:
        return text, True
    if text in PROFTTL_LEVEL_PHYSICIAN:
        return PROFTTL_LEVEL_PHYSICIAN[text], True
    if text == "9":
        return None, True
    return None, False


#: classes a regional 异地结算标志 (out_setl_flag) dictionary maps its codes to (DOMAIN.md §7: the codes
#: differ by region — 0/1 in one, 2 本地 / 3 省内异地 / 4 跨省异地 in another)
OUT_SETL_CLASS_ZH: dict[str, str] = {
    "local": "本地就医", "remote": "异地就医", "remote_in_province": "省内异地就医",
    "remote_cross_province": "跨省异地就医",
}
#: the dictionary used where a region configures none ("*" = every region)
DEFAULT_OUT_SETL_FLAG_CODES: dict[str, dict[str, str]] = {"*": {"0": "local", "1": "remote"}}


def out_setl_dictionary(config: dict[str, dict[str, str]], admdvs: str | None) -> tuple[str, dict[str, str]]:
    """(configured region key, code -> class) for the region an encounter is settled in.

    Keys are 医保区划 prefixes (``"45"`` a province, ``"450100"`` a pooling region); the longest
    matching prefix wins, ``"*"`` is the fallback.
    """
    region = admdvs or ""
    keys = sorted((k for k in config if k != "*" and region.startswith(k)), key=len, reverse=True)
    key = keys[0] if keys else "*"
    return key, config.get(key, {})


def check_out_setl_config(config: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
    """Refuse a dictionary naming a class that does not exist (a typo must not make a region local)."""
    for region, codes in config.items():
        for code, cls in codes.items():
            if cls not in OUT_SETL_CLASS_ZH:
                raise ValueError(f"out_setl_flag_codes[{region!r}][{code!r}] = {cls!r}: "
                                 f"class must be one of {sorted(OUT_SETL_CLASS_ZH)}")
    return config
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
