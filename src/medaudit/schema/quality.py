"""Schema-derived reference relations the data-quality rules (数据质量类) read.

The rules compare claims with the canonical schema itself, not with knowledge: which 结算清单 fields
must be filled (``dq_field``) and which codes a coded field may hold (``dq_code``, the national code
dictionaries of :mod:`medaudit.schema.codes` that the canonical columns are derived from). They are
built here once from the column specs, so a field's Chinese and national names in a finding are the
ones the schema (and docs/schema.md) gives, and every engine registers the same rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import pyarrow as pa

from .codes import GEND_ZH, HOSP_LV_NAME_ZH, INSUTYPE_ZH, MED_TYPE_VISIT, VISIT_TYPE_ZH
from .columns import Column as C
from .columns import Table
from .tables import TABLES


@dataclass(frozen=True)
class QualityField:
    """A field a data-quality rule checks: where it is, when it must be filled, which code set it uses."""

    table: str
    field: str
    #: when the field must be filled (Chinese, shown in the reason); None: not a required field
    required_when: str | None = None
    #: name of the code set the field's values must come from (rows in ``dq_code``); None: not coded
    code_set: str | None = None


#: The fields the data-quality rules know. A required field is checked by dq_required_missing (its SQL
#: states each field's condition; the rule reports only the fields listed here), a coded field by
#: dq_code_set. Table and field must exist in the canonical schema (tests).
QUALITY_FIELDS: tuple[QualityField, ...] = (
    QualityField("encounters", "dscg_maindiag_code", required_when="门急诊、门慢门特及住院就诊"),
    QualityField("encounters", "dscg_time", required_when="已结算的住院"),
    QualityField("encounters", "dscg_way", required_when="已出院的住院"),
    QualityField("encounters", "chfpdr_code", required_when="全部就诊"),
    QualityField("encounters", "dept_code", required_when="门急诊、门慢门特及住院就诊"),
    QualityField("encounters", "med_type", code_set="医疗类别代码集"),
    QualityField("encounters", "insutype", code_set="险种类型代码集"),
    QualityField("patients", "gend", code_set="性别代码集(GB/T 2261.1)"),
    QualityField("institutions", "hosp_lv", code_set="医院等级代码集"),
)

#: the allowed codes of each code set, with their names (from medaudit.schema.codes)
CODE_SETS: dict[str, dict[str, str]] = {
    "med_type": {k: VISIT_TYPE_ZH[v] for k, v in MED_TYPE_VISIT.items()},
    "insutype": dict(INSUTYPE_ZH),
    "gend": dict(GEND_ZH),
    "hosp_lv": dict(HOSP_LV_NAME_ZH),
}

DQ_FIELD = Table(
    name="dq_field",
    zh="数据质量校验字段",
    en="fields the data-quality rules check",
    key=("field",),
    columns=(
        C("table_name", "str", "所在表", "canonical table", True),
        C("field", "str", "字段(规范名)", "canonical column", True),
        C("field_zh", "str", "字段中文名", "Chinese name (schema)", True),
        C("field_national", "str", "国家字段名", "national field name (schema), the canonical name when none", True),
        C("required_when", "str", "必填条件", "when the field must be filled; NULL: not required", False),
        C("code_set", "str", "代码集名称", "code set name; NULL: not coded", False),
    ),
)

DQ_CODE = Table(
    name="dq_code",
    zh="数据质量代码集",
    en="allowed codes of coded fields",
    key=("field", "code"),
    columns=(
        C("field", "str", "字段(规范名)", "canonical column", True),
        C("code", "str", "代码", "allowed code", True),
        C("code_name", "str", "代码名称", "code name", True),
    ),
)


def _column(table: str, field: str) -> C:
    return next(c for c in TABLES[table].columns if c.name == field)


def field_zh(table: str, field: str) -> str:
    """The column's Chinese name without its inline code list (``性别(1男 2女…)`` → ``性别``)."""
    zh = _column(table, field).zh
    return zh.split("(")[0].split("（")[0]


def field_national(table: str, field: str) -> str:
    col = _column(table, field)
    return col.national[0] if col.national else field


@lru_cache(maxsize=1)
def quality_tables() -> dict[str, pa.Table]:
    """``dq_field`` and ``dq_code`` as Arrow tables (built once; immutable)."""
    from .arrow import arrow_schema

    fields = pa.Table.from_pylist([
        {"table_name": f.table, "field": f.field, "field_zh": field_zh(f.table, f.field),
         "field_national": field_national(f.table, f.field), "required_when": f.required_when,
         "code_set": f.code_set} for f in QUALITY_FIELDS], schema=arrow_schema(DQ_FIELD))
    codes = pa.Table.from_pylist([
        {"field": f, "code": code, "code_name": name} for f, codes in CODE_SETS.items()
        for code, name in codes.items()], schema=arrow_schema(DQ_CODE))
    return {"dq_field": fields, "dq_code": codes}
