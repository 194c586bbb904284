"""Request and response shapes for the OpenAPI document (national field names, DOMAIN.md §3).

The handlers parse bodies leniently themselves (mapping.py) — these models only document the
contract, so the schema a client or a fuzzer reads is the national one. Types are deliberately
loose where real HIS integrations send strings for numbers.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, create_model

from medaudit.schema.national import dto_columns, interface_names

Num = float | int | str | None
Txt = str | int | None


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


def _dto(name: str, base: type[_Open], required: tuple[str, ...] = ()) -> Any:
    """A DTO model: ``base`` holds the 3101-only fields; every field that carries a canonical column is
    generated from the one national mapping (schema.national.DTO_COLUMNS and the column specs), so
    the document cannot name a field differently from what api.mapping reads."""
    fields: dict[str, Any] = {}
    for _, col in dto_columns(name):
        unit = "（元）" if col.kind == "fen" else ""
        for i, field in enumerate(interface_names(col)):
            if col.name in required and i == 0:
                fields[field] = (str, Field(description=f"{col.zh}{unit}（必填）"))
            else:
                fields[field] = (Num if col.kind in ("fen", "milli", "int") else Txt, Field(None, description=f"{col.zh}{unit}"))
    return create_model(name, __base__=base, **fields)


class _Order(_Open):
    rxno: Txt = Field(None, description="处方号")
    long_drord_flag: Txt = Field(None, description="长期医嘱标志 1/0")
    hilist_type: Txt = Field(None, description="目录类别 101/102/201/301")
    hilist_lv: Txt = Field(None, description="目录等级 01甲 02乙 03丙")
    hosplist_name: Txt = Field(None, description="医院目录名称（无医保目录名称时使用）")
    curr_drord_flag: Txt = Field(None, description="本次处方标志 1本次 0历史")
    drugtracinfo: list[dict[str, Txt]] | None = Field(None, description="追溯码信息（每盒一条 drug_trac_codg）")


class _Diagnose(_Open):
    dise_id: Txt = None
    dias_srt_no: Txt = None
    dise_date: Txt = None


class _Operation(_Open):
    setl_list_oprn_id: Txt = None


OrderDTO = _dto("OrderDTO", _Order, ("line_id", "hilist_code"))
DiagnoseDTO = _dto("DiagnoseDTO", _Diagnose)
OperationDTO = _dto("OperationDTO", _Operation)


class _Encounter(_Open):
    med_mdtrt_type: Txt = Field(None, description="就诊类型 1门诊 2住院 3购药")
    selfpay_amt: Num = Field(None, description="自费金额（元）")
    ma_amt: Num = Field(None, description="医疗救助支付（元）")
    out_setl_flag: Txt = Field(None, description="异地结算标志（按地区代码集）")
    fsi_diagnose_dtos: list[DiagnoseDTO] | None = None  # type: ignore[valid-type]
    fsi_order_dtos: list[OrderDTO] | None = None  # type: ignore[valid-type]
    fsi_operation_dtos: list[OperationDTO] | None = None  # type: ignore[valid-type]


EncounterDTO = _dto("EncounterDTO", _Encounter, ("mdtrt_id", "fixmedins_code"))


class _Patient(_Open):
    curr_mdtrt_id: Txt = Field(None, description="本次就诊ID")
    fsi_encounter_dtos: list[EncounterDTO] = Field(description="就诊信息（可含历史就诊）")  # type: ignore[valid-type]


PatientDTO = _dto("PatientDTO", _Patient, ("psn_no",))


class AuditData(_Open):
    syscode: Txt = Field(None, description="调用方系统简码")
    task_id: Txt = Field(None, description="任务ID")
    trig_scen: Txt = Field(None, description="触发场景 1–9")
    rule_ids: list[str] | None = Field(None, description="规则标识集合")
    patient_dtos: list[PatientDTO]  # type: ignore[valid-type]


class AuditRequest(_Open):
    """Either the bare ``data`` object or the national envelope ``{"infno", "input": {"data": …}}``."""

    syscode: Txt = None
    task_id: Txt = None
    trig_scen: Txt = None
    rule_ids: list[str] | None = None
    patient_dtos: list[PatientDTO]  # type: ignore[valid-type]


class AuditInput(_Open):
    data: AuditData


class AuditRequestEnvelope(_Open):
    """The national message envelope (报文信封)."""

    infno: Txt = Field(None, description="交易编号 3101 / 3102")
    msgid: Txt = None
    infver: Txt = None
    fixmedins_code: Txt = None
    inf_time: Txt = None
    input: AuditInput


class Warn(_Open):
    warn_rslt_id: str = Field(description="违规标识（3101/3102返回的jr_id）")
    dspo_way: str = Field(description="处理方式 1继续执行医嘱 2返回修改医嘱")
    dspo_way_rea: str | None = Field(None, description="处理原因（继续执行时必填）")


class FeedbackRequest(_Open):
    warn_type: str = Field(description="反馈类型 1事前 2事中")
    warns: list[Warn]


class FeedbackInput(_Open):
    data: FeedbackRequest


class FeedbackRequestEnvelope(_Open):
    infno: Txt = Field(None, description="交易编号 3103")
    msgid: Txt = None
    input: FeedbackInput


class Detail(BaseModel):
    jrd_id: str
    patn_id: str
    mdtrt_id: str | None
    rx_id: str | None
    vola_item_type: str = Field(description="1违规项 2涉及项（其他机构的明细不返回）")
    vola_amt: float


class Result(BaseModel):
    jr_id: str
    rule_id: str
    rule_name: str
    vola_cont: str
    patn_id: str
    mdtrt_id: str
    vola_amt: float
    vola_amt_stas: str
    sev_deg: str
    sev_deg_name: str
    vola_evid: str
    vola_bhvr_type: str
    vola_bhvr_type_name: str
    task_id: str
    result_type: str = Field(description="明确 / 可疑")
    dspo_act: str = Field(description="规则处置：拦截/提醒/扣款/送人工审核")
    intercept_flag: str = Field(description="1 = HIS应拦截（明确且处置为拦截）")
    other_medins_flag: str = Field(description="1 = 依据该参保人在其他定点医疗机构的记录判定（其明细不返回）")
    judge_result_detail_dtos: list[Detail]


class WarningItem(BaseModel):
    path: str
    message: str


class AuditOutput(BaseModel):
    task_id: str
    intercept: bool
    result: list[Result]
    warnings: list[WarningItem]
    rules_run: int = Field(description="本次运行的规则模板数；有医嘱明细而为0时warnings首条说明")
    packs: dict[str, dict[str, str]] = Field(description="所用知识包与规则包 {knowledge: {名称: 版本}, rules: {名称: 版本}}")
    history_encounters: int = Field(description="从历史库读取并使用的本机构历史就诊数")


class AuditEnvelope(BaseModel):
    """The answer when the request came in the national envelope."""

    infcode: int
    err_msg: str
    output: AuditOutput


class FeedbackOutput(BaseModel):
    accepted: int
    warnings: list[WarningItem]


class FeedbackEnvelope(BaseModel):
    infcode: int
    err_msg: str
    output: FeedbackOutput


class ErrorBody(BaseModel):
    """Every 4xx: what is wrong (Chinese / English) and, for bad input, the field path."""

    code: str
    err_msg: str
    path: str | None = None


class ErrorEnvelope(BaseModel):
    infcode: int = Field(description="-1")
    err_msg: str
    output: None = None


class RuleFeedback(BaseModel):
    rule_id: str
    rule_name: str
    results: int
    feedbacks: int
    continued: int
    modified: int
    continue_rate: float | None


class FeedbackStats(BaseModel):
    institution: str
    rules: list[RuleFeedback]


class StageTiming(BaseModel):
    n: int
    p50_ms: float
    p99_ms: float
    mean_ms: float


class Health(BaseModel):
    status: str
    templates: int
    versions_digest: str


class Lookup(BaseModel):
    id: int
    at: str = Field(description="查询时间")
    request_id: str
    key_prefix: str
    institution: str
    endpoint: str
    psn_no: str = Field(description="被查询历史的人员编号")
    since: str = Field(description="读取历史的起始时间（本次就诊时间减回溯天数）")
    visit_time: str = Field(description="本次就诊时间")
    own_found: int = Field(description="使用的本机构历史就诊数")
    other_found: int = Field(description="使用的其他机构历史就诊数")
    results_other: int = Field(description="依据其他机构记录判定的违规结果数")


class Lookups(BaseModel):
    lookups: list[Lookup]
