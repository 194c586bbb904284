"""What a rule is (templates, instances, packs) — independent of how any engine runs it."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Stage = Literal["事前", "事中", "事后"]
ResultType = Literal["明确", "可疑"]
Action = Literal["提醒", "拦截", "扣款", "送人工审核"]
ParamType = Literal["int", "str", "bool"]

#: finding columns every template's SQL must return (besides its declared evidence columns)
CORE_COLUMNS = ("instance_id", "mdtrt_id", "line_id", "related_line_id", "amount_fen", "kb_ref")


class ParamSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    type: ParamType = "int"
    default: Any
    zh: str = Field(description="中文说明")
    min: int | None = None
    max: int | None = None


class EquivalentMutant(BaseModel):
    """A mutant of the template's SQL that no claim can tell apart from the original, and why.

    ``mutant`` is the id `medaudit rules test --mutate` prints; a declaration naming no current
    mutant, or one the golden cases kill, fails the mutation run.
    """

    model_config = ConfigDict(extra="forbid")
    mutant: str = Field(min_length=1)
    reason: str = Field(min_length=1, description="一句话说明为何等价")


#: official rule codes of the 规则库（2025年版）: GZ (rules) and ZB (统计指标) + 14 digits
NHSA_CODE = r"^(GZ|ZB)\d{14}$"
NHSA_CLASS_COUNT = 88


class NhsaClass(BaseModel):
    """One of the 88 rule classes of NHSA's 《规则库、知识库（2025年版）》 a template implements.

    ``code`` is the official rule code (GZ/ZB…); classes new in 2025 have none yet. ``coverage``
    ``partly`` says what of the class the template leaves out, in ``note``.
    """

    model_config = ConfigDict(extra="forbid")
    seq: int = Field(ge=1, le=NHSA_CLASS_COUNT, description="规则分类序号(1–88)")
    name: str = Field(min_length=1, description="官方规则分类名称")
    code: str | None = Field(None, pattern=NHSA_CODE, description="官方规则编码")
    coverage: Literal["full", "partly"] = "full"
    note: str = ""

    @model_validator(mode="after")
    def _partly_says_what(self) -> NhsaClass:
        if self.coverage == "partly" and not self.note.strip():
            raise ValueError(f"class {self.seq}: coverage partly needs a note saying what is not covered")
        return self


class Template(BaseModel):
    """A rule template: one SQL query covering all its instances, plus its rule-card metadata."""

    model_config = ConfigDict(extra="forbid")
    id: str
    name: str
    version: int = 1
    category: Literal["医保管理类", "临床诊疗类", "药品类", "数据质量类"]
    tag: Literal["合理检查", "合理用药", "合理治疗", "规范收费", "数据质量"]
    stages: list[Stage]
    result_type: ResultType
    time_window: str
    lookback_days: int = Field(0, description="history the real-time path must load (days)")
    scenes: list[str]
    supervised: list[str] = ["定点医疗机构"]
    params: list[ParamSpec] = []
    evidence: list[str] = []
    kb_table: str | None = None
    amount: str = Field(description="金额计算口径")
    reason: str = Field(description="中文违规内容模板, {evidence} placeholders")
    logic: str = Field(description="审核逻辑")
    default_action: Action = "提醒"
    default_points: int = 0
    equivalent_mutants: list[EquivalentMutant] = []
    #: the national rule classes implemented (required: an empty list needs ``nhsa_note``)
    nhsa: list[NhsaClass]
    nhsa_note: str = ""
    #: the rows of the consolidated catalogue (DOMAIN.md §1.2: A1–D12, DQ for data quality) implemented
    catalogue: list[str] = Field(min_length=1)
    sql: str = ""

    @model_validator(mode="after")
    def _why_no_class(self) -> Template:
        if not self.nhsa and not self.nhsa_note.strip():
            raise ValueError("a template implementing none of the 88 national rule classes must say why in nhsa_note")
        return self

    @field_validator("nhsa")
    @classmethod
    def _each_class_once(cls, v: list[NhsaClass]) -> list[NhsaClass]:
        seqs = [c.seq for c in v]
        dup = sorted({i for i in seqs if seqs.count(i) > 1})
        if dup:
            raise ValueError(f"national rule class listed twice: {dup}")
        return v

    @field_validator("catalogue")
    @classmethod
    def _catalogue_rows(cls, v: list[str]) -> list[str]:
        from medaudit.rules.coverage import catalogue_rows

        unknown = [r for r in v if r not in catalogue_rows()]
        if unknown:
            raise ValueError(f"catalogue rows not in rules/catalogue.yaml: {unknown}")
        return v

    @property
    def nhsa_codes(self) -> list[str]:
        return [c.code for c in self.nhsa if c.code]

    @property
    def nhsa_names(self) -> list[str]:
        return [c.name for c in self.nhsa]

    @field_validator("equivalent_mutants")
    @classmethod
    def _one_declaration_each(cls, v: list[EquivalentMutant]) -> list[EquivalentMutant]:
        ids = [m.mutant for m in v]
        dup = sorted({i for i in ids if ids.count(i) > 1})
        if dup:
            raise ValueError(f"equivalent mutant declared twice: {dup}")
        return v

    @field_validator("id")
    @classmethod
    def _id_is_identifier(cls, v: str) -> str:
        if not v.isidentifier():
            raise ValueError(f"template id must be an identifier: {v!r}")
        return v


class Scope(BaseModel):
    """Where an instance applies; an empty list means no restriction on that dimension."""

    model_config = ConfigDict(extra="forbid")
    regions: list[str] = []
    levels: list[int] = []
    insutypes: list[str] = []
    visit_types: list[str] = []
    institution_types: list[str] = []


class Instance(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    template: str
    version: int = 1
    name: str | None = None
    params: dict[str, Any] = {}
    scope: Scope = Scope()
    action: Action | None = None
    severity: Literal["明确违规", "高度可疑", "可疑"] | None = None
    points: int | None = None
    effective_from: dt.date = dt.date(2000, 1, 1)
    effective_to: dt.date | None = None
    enabled: bool = True


class PackManifest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    version: str
    layer: Literal["national", "province", "city"] = "national"
    region: str | None = None
    description: str = ""
