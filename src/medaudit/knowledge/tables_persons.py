"""Knowledge the person-level rules read: ICD-10 diagnoses specific to one sex (诊断与性别不符) or to
an age range (诊断与年龄不符).

``kb_diag_gender`` rows match a diagnosis code by prefix (longest prefix wins) and give the only sex
the diagnosis can belong to. The national starter rows below are illustrative: blocks of ICD-10
chapters XIV/XV/II every coder knows to be sex-specific (pregnancy O00–O9A, female pelvic and genital
N70–N98, female genital cancers C51–C58, male genital N40–N51 and C60–C63), written as 3-character
(chapter O: 1-character) prefixes of the 医保版 ICD-10 codes. Cross-sex exceptions reuse
``kb_gender_exception`` (a prefix there exempts the diagnosis codes it starts).
"""

from __future__ import annotations

from medaudit.schema.columns import Column as C
from medaudit.schema.columns import Table

KB_DIAG_GENDER = Table("kb_diag_gender", "诊断限定性别", "ICD-10 diagnoses specific to one sex",
    (C("icd_prefix", "str", "诊断编码前缀", "ICD-10 prefix (longest prefix wins)", True),
     C("gender", "str", "限定性别", "the only sex the diagnosis fits: '1' male, '2' female", True),
     C("name", "str", "诊断类目名称", "name of the block or category", True),
     C("note", "str", "说明", "note", False)), key=("icd_prefix",))

#: (first 3-character category, last one, sex, block name): expanded to one row per category
_BLOCKS: tuple[tuple[str, str, str, str], ...] = (
    ("N70", "N77", "2", "女性盆腔器官炎性疾病"),
    ("N80", "N98", "2", "女性生殖道非炎性疾患"),
    ("C51", "C58", "2", "女性生殖器官恶性肿瘤"),
    ("D25", "D28", "2", "女性生殖器官良性肿瘤"),
    ("Z32", "Z37", "2", "与妊娠、分娩有关的保健服务"),
    ("N40", "N51", "1", "男性生殖器官疾病"),
    ("C60", "C63", "1", "男性生殖器官恶性肿瘤"),
    ("D29", "D29", "1", "男性生殖器官良性肿瘤"),
)


def _categories(first: str, last: str) -> list[str]:
    letter, lo, hi = first[0], int(first[1:]), int(last[1:])
    return [f"{letter}{n:02d}" for n in range(lo, hi + 1)]


def national_diag_gender_rows() -> list[dict[str, str]]:
    """The illustrative national rows of diag_genders.csv (build_national.py writes them)."""
    rows = [{"icd_prefix": "O", "gender": "2", "name": "妊娠、分娩和产褥期（O00–O9A）", "note": "示例性"}]
    for first, last, sex, name in _BLOCKS:
        for code in _categories(first, last):
            rows.append({"icd_prefix": code, "gender": sex, "name": name, "note": "示例性"})
    return rows


KB_DIAG_AGE = Table("kb_diag_age", "诊断限定年龄", "ICD-10 diagnoses specific to an age range",
    (C("icd_prefix", "str", "诊断编码前缀", "ICD-10 prefix (longest prefix wins)", True),
     C("age_min", "int", "最小年龄(含)", "minimum age in completed years, inclusive", False),
     C("age_max", "int", "最大年龄(不含)", "maximum age in completed years, exclusive", False),
     C("name", "str", "诊断类目名称", "name of the block or category", True),
     C("note", "str", "说明", "note", False)), key=("icd_prefix",))


def national_diag_age_rows() -> list[dict[str, str]]:
    """The illustrative national rows of diag_ages.csv: perinatal conditions (P00–P96) and the liveborn
    infant (Z38) only under one year; pregnancy, childbirth and its care (O, Z32–Z37, Z39) only from
    12 to 55 years — the shape of the age edits of ICD-10 code editors (newborn / maternity ages)."""
    rows = [{"icd_prefix": c, "age_min": "", "age_max": "1", "name": "起源于围生期的某些情况（P00–P96）",
             "note": "示例性"} for c in _categories("P00", "P96")]
    rows.append({"icd_prefix": "Z38", "age_min": "", "age_max": "1", "name": "按出生地分类的活产婴儿", "note": "示例性"})
    rows.append({"icd_prefix": "O", "age_min": "12", "age_max": "56", "name": "妊娠、分娩和产褥期（O00–O9A）",
                 "note": "示例性"})
    for c in [*_categories("Z32", "Z37"), "Z39"]:
        rows.append({"icd_prefix": c, "age_min": "12", "age_max": "56", "name": "与妊娠、分娩有关的保健服务",
                     "note": "示例性"})
    return rows
