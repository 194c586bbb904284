"""FastAPI application: 3101 事前 / 3102 事中 analysis, 3103 feedback, statistics, the admin trail.

Handlers are ``async def``; the audit itself (parse, map, history, rules, stores) runs through
:class:`~medaudit.api.offload.AuditRunner` — inline for a small body while the worker's engine is
free, otherwise in the worker's audit thread — so the event loop is never held by one large request
(DESIGN.md). Each worker process owns its in-memory SQLite engine.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from medaudit.engine.runner import KnowledgeLike
from medaudit.rules.loader import RuleBase
from medaudit.schema.money import yuan_number
from medaudit.store.state import KeyInfo

from . import models as m
from . import openapi, requestlog
from .config import ApiSettings
from .engine import RealtimeEngine
from .errors import ApiError, bad
from .jsonbody import parse_body, read_body
from .mapping import Mapped, map_request, scenes_for
from .offload import AuditRunner, Deadline
from .ratelimit import RateLimiter
from .redact import Foreign, alias_foreign, note_own, redacted_reason, relies_on_foreign

log = logging.getLogger("medaudit.api")

DEFAULT_MAX_BODY = 2 * 1024 * 1024
SEV_DEG = {"明确违规": "1", "高度可疑": "2", "可疑": "3"}
BHVR_TYPE = {"医保管理类": "1", "临床诊疗类": "2", "药品类": "3"}
SETTLEMENT_SCENES = ("6", "8")
STAGES = ("parse", "history", "rules", "serialise", "store")


def _json_bytes(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"), default=str).encode("utf-8")


class Services:
    """What a worker holds: the evaluator, the stores, the limits, the runner, timing samples."""

    def __init__(self, engine: RealtimeEngine, state: Any, history: Any, settings: ApiSettings) -> None:
        self.engine = engine
        self.state = state
        self.history = history
        self.settings = settings
        self.max_body = settings.max_body_bytes
        share = settings.api_workers
        self.requests = RateLimiter(settings.rate_limit_per_minute / share, settings.rate_limit_burst,
                                    "请求", "requests")
        self.lookups = RateLimiter(settings.lookup_limit_per_minute / share, settings.lookup_limit_burst,
                                   "读取历史就诊的审核请求", "audit requests reading stored history")
        self.runner = AuditRunner(engine.backend.con, settings.time_budget_seconds, settings.inline_body_bytes)
        self.timings: dict[str, deque[float]] = {s: deque(maxlen=20000) for s in (*STAGES, "total")}


def _services(request: Request) -> Services:
    svc: Services = request.app.state.services
    return svc


# -- request plumbing ----------------------------------------------------------------------------
def _unwrap(body: Any, infno: str) -> tuple[dict[str, Any], bool]:
    """(data, called with the national envelope?)."""
    if not isinstance(body, dict):
        raise bad("body", "请求体应为JSON对象", "request body must be a JSON object")
    if "input" in body or "infno" in body:
        sent = body.get("infno")
        if sent is not None and str(sent).strip() != infno:
            raise bad("infno", f"交易编号{str(sent)[:10]!r}与接口{infno}不符", f"infno {str(sent)[:10]!r} does not match {infno}")
        inp = body.get("input")
        if not isinstance(inp, dict):
            raise bad("input", "报文信封缺少input对象", "envelope has no input object")
        data = inp.get("data", inp)
        if not isinstance(data, dict):
            raise bad("input.data", "input.data应为对象", "input.data must be an object")
        return data, True
    if "data" in body and isinstance(body["data"], dict) and "patient_dtos" not in body:
        return body["data"], False
    return body, False


def _key(request: Request, svc: Services, admin: bool = False) -> KeyInfo:
    """The caller's verified key, within its rate limit; HIS endpoints refuse admin keys and back."""
    key = request.headers.get("x-api-key")
    if not key:
        raise ApiError(401, "unauthorized", "缺少API密钥（请求头X-API-Key）", "missing API key (X-API-Key header)")
    info: KeyInfo | None = svc.state.key_info(key.strip())
    if info is None:
        raise ApiError(401, "unauthorized", "API密钥无效或已停用", "invalid or revoked API key")
    if admin and not info.is_admin:
        raise ApiError(403, "forbidden", "该接口需要医保部门管理员密钥", "this endpoint needs a bureau admin key")
    if not admin and info.is_admin:
        raise ApiError(403, "forbidden", "管理员密钥不能提交或读取定点医药机构的数据",
                       "an admin key cannot submit or read an institution's data")
    request.state.institution = info.institution
    svc.requests.check(info.prefix)
    return info


def _encode(payload: dict[str, Any], envelope: bool) -> bytes:
    return _json_bytes({"infcode": 0, "err_msg": "", "output": payload} if envelope else payload)


def _answer(payload: dict[str, Any] | bytes, envelope: bool, status: int = 200,
            headers: dict[str, str] | None = None) -> Response:
    """``payload`` as the answer; bytes are an answer already encoded off the loop (:func:`_encode`)."""
    body = payload if isinstance(payload, bytes) else _encode(payload, envelope)
    return Response(body, status_code=status, media_type="application/json; charset=utf-8", headers=headers)


# -- findings → 3101 output ----------------------------------------------------------------------
def jr_id_for(institution: str, finding_id: str) -> str:
    """A result id unique per institution: two HIS sending the same local ids get different ones."""
    return f"{institution}-{finding_id}"


def _render(findings: list[dict[str, Any]], mapped: Mapped, engine: RealtimeEngine, inst: str,
            foreign: Foreign) -> list[dict[str, Any]]:
    line_enc = {ln["line_id"]: ln["mdtrt_id"] for ln in mapped.rows["fee_lines"]}
    out = []
    for f in findings:
        if f["mdtrt_id"] not in mapped.current_mdtrt:
            continue  # about a history encounter: not this request's violation
        if f["line_id"] is not None and f["line_id"] not in mapped.current_lines:
            continue  # the offending line is a history line (curr_drord_flag 0): only 涉及项
        tpl = engine.templates[f["rule_id"]]
        jr_id = jr_id_for(inst, f["finding_id"])
        intercept = f["result_type"] == "明确" and f["action"] == "拦截"
        other = relies_on_foreign(f, foreign, inst)
        details = [{"jrd_id": f"{jr_id}-1", "patn_id": f["psn_no"], "mdtrt_id": f["mdtrt_id"], "rx_id": f["line_id"],
                    "vola_item_type": "1", "vola_amt": yuan_number(f["amount_fen"])}]
        related = f["related_line_id"]
        if related is not None and related not in foreign.ids:
            details.append({"jrd_id": f"{jr_id}-2", "patn_id": f["psn_no"],
                            "mdtrt_id": line_enc.get(related, f["mdtrt_id"]),
                            "rx_id": related, "vola_item_type": "2", "vola_amt": 0.0})
        evid = tpl.logic + (f"（依据：{f['kb_ref']}）" if f["kb_ref"] else "")
        out.append({
            "jr_id": jr_id, "rule_id": f["instance_id"], "rule_name": f["rule_name"],
            "vola_cont": redacted_reason(f) if other else f["reason"],
            "patn_id": f["psn_no"], "mdtrt_id": f["mdtrt_id"], "vola_amt": yuan_number(f["amount_fen"]),
            "vola_amt_stas": "1" if f["amount_fen"] >= 0 else "0",
            "sev_deg": SEV_DEG.get(f["severity"], "3"), "sev_deg_name": f["severity"],
            "vola_evid": evid[:500], "vola_bhvr_type": BHVR_TYPE.get(f["category"], "9"),
            "vola_bhvr_type_name": f["category"], "task_id": mapped.task_id,
            "result_type": f["result_type"], "dspo_act": f["action"], "intercept_flag": "1" if intercept else "0",
            "other_medins_flag": "1" if other else "0",
            "judge_result_detail_dtos": details,
        })
    return out


@dataclass
class _HistoryUse:
    own: int = 0
    foreign: Foreign = field(default_factory=Foreign)
    lookups: list[dict[str, Any]] = field(default_factory=list)


def _merge_history(svc: Services, mapped: Mapped, days: int, key: KeyInfo, infno: str, rid: str) -> _HistoryUse:
    """Add each patient's stored history within the look-back to the request rows: the caller's own
    encounters as they are, other institutions' under opaque ids (redact.py); one trail row each."""
    use = _HistoryUse()
    if days <= 0 or svc.history is None:
        return use
    svc.lookups.check(key.prefix)
    inst_of_key = key.institution
    have = {e["mdtrt_id"] for e in mapped.rows["encounters"]}
    insts = {i["fixmedins_code"] for i in mapped.rows["institutions"]}
    seen: set[tuple[str, str]] = set()
    note_own(mapped.rows, use.foreign)
    now = dt.datetime.now().replace(microsecond=0)
    for enc in mapped.curr_encounters:
        visit = dt.datetime.fromisoformat(enc["adm_time"])
        start = visit - dt.timedelta(days=days)
        own = other = 0
        for stored in svc.history.read(enc["psn_no"], start):
            if (stored.fixmedins_code, stored.mdtrt_id) in seen:
                continue
            seen.add((stored.fixmedins_code, stored.mdtrt_id))
            if stored.fixmedins_code == inst_of_key:
                payload = stored.payload
                encs = [e for e in payload.get("encounters", []) if e["mdtrt_id"] not in have]
                own += len(encs)
            else:
                payload = alias_foreign(stored.payload, stored.fixmedins_code, use.foreign)
                encs = payload.get("encounters", [])
                other += len(encs)
            if not encs:
                continue
            ids = {e["mdtrt_id"] for e in encs}
            have |= ids
            mapped.rows["encounters"].extend(encs)
            for name in ("fee_lines", "diagnoses", "operations"):
                mapped.rows[name].extend(r for r in payload.get(name, []) if r["mdtrt_id"] in ids)
            for inst in payload.get("institutions", []):
                if inst["fixmedins_code"] not in insts:
                    insts.add(inst["fixmedins_code"])
                    mapped.rows["institutions"].append(inst)
        use.own += own
        use.lookups.append({"at": now, "request_id": rid, "key_prefix": key.prefix, "institution": inst_of_key,
                            "endpoint": infno, "psn_no": enc["psn_no"], "since": start, "visit_time": visit,
                            "own_found": own, "other_found": other, "results_other": 0})
    return use


def _write_history(svc: Services, mapped: Mapped, inst: str) -> None:
    for enc in mapped.curr_encounters:
        mid = enc["mdtrt_id"]
        rows = {
            "institutions": [i for i in mapped.rows["institutions"] if i["fixmedins_code"] == enc["fixmedins_code"]],
            "encounters": [enc],
            **{n: [r for r in mapped.rows[n] if r["mdtrt_id"] == mid] for n in ("fee_lines", "diagnoses", "operations")},
        }
        svc.history.write(inst, mid, enc["psn_no"], dt.datetime.fromisoformat(enc["adm_time"]), rows)


@dataclass
class _Audited:
    body: bytes  # encoded in the audit thread: a 5,000-result answer takes the loop ~0.1 s to encode
    stages: dict[str, float]


def _audit(svc: Services, key: KeyInfo, infno: str, body: bytes, rid: str, state: Any,
           deadline: Deadline) -> _Audited:
    """The whole audit of one request body, synchronous (run by the AuditRunner)."""
    t0 = time.perf_counter()
    inst = key.institution
    data, envelope = _unwrap(parse_body(body), infno)
    state.envelope = envelope
    mapped = map_request(data)
    for enc in mapped.rows["encounters"]:
        if enc["fixmedins_code"] != inst:
            raise ApiError(403, "forbidden",
                           f"就诊{enc['mdtrt_id']}的定点医疗机构{enc['fixmedins_code']}与API密钥绑定的机构{inst}不一致",
                           f"encounter {enc['mdtrt_id']} belongs to institution {enc['fixmedins_code']}, "
                           f"but the API key is bound to {inst}")
    warnings = [w.as_dict() for w in mapped.warnings]
    engine = svc.engine
    if mapped.trig_scen is not None:
        fits = mapped.trig_scen in (("1", "2", "3", "4", "5") if infno == "3101" else ("6", "7", "8", "9"))
        if not fits:
            warnings.append({"path": "data.trig_scen",
                             "message": f"触发场景{mapped.trig_scen}不属于{infno}（3101: 1–5 事前；3102: 6–9 事中），按场景执行 / "
                                        f"trig_scen {mapped.trig_scen} does not belong to {infno}; run as the scene says"})
    chronic = any(e.get("visit_type") == "chronic" for e in mapped.curr_encounters)
    stage, scenes = scenes_for(mapped.trig_scen, mapped.remote, chronic)
    choice = engine.choose(stage, scenes, mapped.rule_ids, mapped.trig_scen is not None, bool(mapped.current_lines))
    warnings[:0] = choice.warnings
    selection = choice.selection
    deadline.check()
    t1 = time.perf_counter()
    use = _merge_history(svc, mapped, engine.lookback_days(selection), key, infno, rid)
    deadline.check()
    t2 = time.perf_counter()
    deadline.arm()  # rules and rendering are pure computation: the watchdog may cut them off
    findings = engine.evaluate(mapped.rows, selection) if selection.templates else []
    t3 = time.perf_counter()
    results = _render(findings, mapped, engine, inst, use.foreign)
    deadline.disarm()
    intercept = any(r["intercept_flag"] == "1" for r in results)
    payload = {"task_id": mapped.task_id, "intercept": intercept, "result": results, "warnings": warnings,
               "rules_run": len(selection.templates), "packs": engine.packs, "history_encounters": use.own}
    encoded = _encode(payload, envelope)
    state.rules_run = len(selection.templates)
    state.results = len(results)
    t4 = time.perf_counter()
    if results:
        svc.state.record_results([{"jr_id": r["jr_id"], "rule_id": r["rule_id"], "rule_name": r["rule_name"],
                                   "institution": inst, "mdtrt_id": r["mdtrt_id"], "sev_deg": r["sev_deg"],
                                   "intercept": r["intercept_flag"] == "1"} for r in results])
    if use.lookups:
        for row in use.lookups:
            row["results_other"] = sum(1 for r in results if r["other_medins_flag"] == "1" and r["patn_id"] == row["psn_no"])
        svc.state.trail.record(use.lookups)
    if infno == "3102" and mapped.trig_scen in SETTLEMENT_SCENES and svc.history is not None:
        _write_history(svc, mapped, inst)
    t5 = time.perf_counter()
    stages = dict(zip(STAGES, (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4), strict=True))
    log.info("%s request=%s encounters=%d lines=%d results=%d intercept=%s ms=%.2f", infno, rid,
             len(mapped.current_mdtrt), len(mapped.current_lines), len(results), intercept, (t5 - t0) * 1000)
    return _Audited(encoded, stages)


async def _analyse(request: Request, infno: str) -> Response:
    svc = _services(request)
    t0 = time.perf_counter()
    request.state.envelope = False
    key = _key(request, svc)
    body = await read_body(request, svc.max_body)
    t_read = time.perf_counter() - t0
    rid = requestlog.request_id(request.scope)
    done = await svc.runner.run(lambda dl: _audit(svc, key, infno, body, rid, request.state, dl), len(body))
    done.stages["parse"] += t_read
    for name, secs in done.stages.items():
        svc.timings[name].append(secs)
    svc.timings["total"].append(time.perf_counter() - t0)
    timing = ", ".join(f"{k};dur={v * 1000:.3f}" for k, v in done.stages.items())
    return _answer(done.body, False, headers={"Server-Timing": timing})


def _feedback_rows(svc: Services, inst: str, body: bytes, state: Any, _deadline: Deadline) -> tuple[dict[str, Any], bool]:
    from .mapping import _Reader

    data, envelope = _unwrap(parse_body(body), "3103")
    state.envelope = envelope
    r = _Reader()
    warn_type = r.text(data.get("warn_type"), "data.warn_type", required=True)
    if warn_type not in ("1", "2"):
        raise bad("data.warn_type", "反馈类型应为1(事前)或2(事中)", "warn_type must be 1 (事前) or 2 (事中)")
    warns = r.objects(data.get("warns"), "data.warns", 1000)
    if not warns:
        raise bad("data.warns", "必填字段缺失或为空（至少一条反馈）", "required: at least one warn")
    rows = []
    for i, w in enumerate(warns):
        p = f"data.warns[{i}]"
        jr_id = r.text(w.get("warn_rslt_id"), f"{p}.warn_rslt_id", required=True)
        way = r.text(w.get("dspo_way"), f"{p}.dspo_way", required=True)
        if way not in ("1", "2"):
            raise bad(f"{p}.dspo_way", "处理方式应为1(继续执行医嘱)或2(返回修改医嘱)", "dspo_way must be 1 (continue) or 2 (modify)")
        rea = r.text(w.get("dspo_way_rea"), f"{p}.dspo_way_rea")
        if way == "1" and not rea:
            raise bad(f"{p}.dspo_way_rea", "继续执行医嘱时必须填写处理原因", "dspo_way_rea is mandatory when dspo_way is 1 (continue)")
        rows.append({"jr_id": jr_id, "warn_type": warn_type, "dspo_way": way, "dspo_way_rea": rea,
                     "institution": inst})
    known = svc.state.results([x["jr_id"] for x in rows])
    for i, row in enumerate(rows):
        res = known.get(row["jr_id"])
        if res is None:
            raise ApiError(404, "not_found", f"违规标识{row['jr_id']}不存在（须为3101/3102返回的jr_id）",
                           f"unknown warn_rslt_id {row['jr_id']} (must be a jr_id returned by 3101/3102)",
                           f"data.warns[{i}].warn_rslt_id")
        if res["institution"] != inst:
            raise ApiError(403, "forbidden", f"违规标识{row['jr_id']}不属于API密钥绑定的机构{inst}",
                           f"warn_rslt_id {row['jr_id']} does not belong to institution {inst}",
                           f"data.warns[{i}].warn_rslt_id")
        row["rule_id"] = res["rule_id"]
    n = svc.state.add_feedback(rows)
    log.info("3103 warn_type=%s feedbacks=%d", warn_type, n)
    return {"accepted": n, "warnings": [w.as_dict() for w in r.warnings]}, envelope


async def _feedback(request: Request) -> Response:
    svc = _services(request)
    request.state.envelope = False
    inst = _key(request, svc).institution
    body = await read_body(request, svc.max_body)
    payload, envelope = await svc.runner.run(lambda dl: _feedback_rows(svc, inst, body, request.state, dl), len(body))
    return _answer(payload, envelope)


def _when_param(value: str | None, name: str) -> dt.datetime | None:
    if value is None or not value.strip():
        return None
    try:
        return dt.datetime.fromisoformat(value.strip())
    except ValueError as exc:
        raise bad(name, "时间格式应为yyyy-MM-dd或yyyy-MM-ddTHH:mm:ss", "expected yyyy-MM-dd or yyyy-MM-ddTHH:mm:ss") from exc


# -- application ---------------------------------------------------------------------------------
def _error_body(request: Request, status: int, code: str, message: str, path: str | None = None,
                headers: dict[str, str] | None = None) -> Response:
    if getattr(request.state, "envelope", False):
        body: dict[str, Any] = {"infcode": -1, "err_msg": message, "output": None}
    else:
        body = {"code": code, "err_msg": message, "path": path}
    return Response(_json_bytes(body), status_code=status, media_type="application/json; charset=utf-8",
                    headers=headers)


_ERRORS = {
    400: "输入错误 / bad input", 401: "缺少或无效的密钥 / missing or invalid key",
    403: "机构不符或角色不符 / other institution or wrong role", 404: "不存在 / not found",
    413: "请求体过大 / body too large", 422: "参数无效或超出时间预算 / invalid parameter or time budget exceeded",
    429: "请求过于频繁（见Retry-After）/ rate limited (see Retry-After)",
}


def _responses(ok: Any, *codes: int) -> dict[int | str, dict[str, Any]]:
    err = {"anyOf": [openapi.ref(m.ErrorBody), openapi.ref(m.ErrorEnvelope)]}
    out: dict[int | str, dict[str, Any]] = {200: {"description": "成功 / OK", "content": {"application/json": {"schema": ok}}}}
    for c in codes:
        out[c] = {"description": _ERRORS[c], "content": {"application/json": {"schema": err}}}
        if c == 429:
            out[c]["headers"] = {"Retry-After": {"description": "秒 / seconds", "schema": {"type": "string"}}}
    return out


#: 3101/3102 → 3103: a returned jr_id is what the HIS feeds back (stateful fuzzing follows this link)
_FEEDBACK_LINK = {"Feedback": {"operationId": "feedback_3103", "requestBody": {
    "warn_type": "1", "warns": [{"warn_rslt_id": "$response.body#/result/0/jr_id", "dspo_way": "2"}]}}}


def build_app(engine: RealtimeEngine, state: Any, history: Any, max_body: int | None = None,
              settings: ApiSettings | None = None) -> FastAPI:
    cfg = settings or ApiSettings()
    if max_body is not None:
        cfg = cfg.model_copy(update={"max_body_bytes": max_body})
    app = FastAPI(
        title="medaudit 实时审核接口 / real-time audit API",
        version="1.0",
        description="3101 明细审核事前分析 / 3102 事中分析 / 3103 反馈. 见 docs/api.md.",
    )
    app.state.services = Services(engine, state, history, cfg)
    app.add_middleware(requestlog.RequestLogMiddleware)  # type: ignore[arg-type]
    openapi.install(app)
    key_param = {"parameters": [{"name": "X-API-Key", "in": "header", "required": True, "schema": {"type": "string"}}]}
    audit_ok = {"anyOf": [openapi.ref(m.AuditOutput), openapi.ref(m.AuditEnvelope)]}
    audit_responses = _responses(audit_ok, 400, 401, 403, 413, 422, 429)
    audit_responses[200]["links"] = _FEEDBACK_LINK
    fb_ok = {"anyOf": [openapi.ref(m.FeedbackOutput), openapi.ref(m.FeedbackEnvelope)]}

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> Response:
        return _error_body(request, exc.status, exc.code, exc.message, exc.path, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        first = exc.errors()[0] if exc.errors() else {}
        loc = ".".join(str(x) for x in first.get("loc", ()))
        return _error_body(request, 422, "invalid", f"请求参数无效：{loc} / invalid request parameter: {loc}: "
                           f"{first.get('msg', '')}", loc)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        zh = {404: "接口不存在", 405: "请求方法不允许"}.get(exc.status_code, "请求错误")
        return _error_body(request, exc.status_code, "http", f"{zh} / {exc.detail}")

    @app.exception_handler(Exception)
    async def _internal(request: Request, exc: Exception) -> Response:
        log.error("internal error on %s: %s", request.url.path, type(exc).__name__, exc_info=exc)
        return _error_body(request, 500, "internal", f"服务内部错误 / internal error: {type(exc).__name__}")

    # the models are documentation (the handlers answer Response objects), hence the explicit schemas
    @app.post("/api/3101", summary="3101 明细审核事前分析 / pre-event analysis", operation_id="analyse_3101",
              openapi_extra={**openapi.body(m.AuditRequest, m.AuditRequestEnvelope), **key_param},
              responses=audit_responses)
    async def analyse_3101(request: Request) -> Response:
        return await _analyse(request, "3101")

    @app.post("/api/3102", summary="3102 明细审核事中分析 / in-event analysis", operation_id="analyse_3102",
              openapi_extra={**openapi.body(m.AuditRequest, m.AuditRequestEnvelope), **key_param},
              responses=audit_responses)
    async def analyse_3102(request: Request) -> Response:
        return await _analyse(request, "3102")

    @app.post("/api/3103", summary="3103 事前事中服务反馈 / feedback", operation_id="feedback_3103",
              openapi_extra={**openapi.body(m.FeedbackRequest, m.FeedbackRequestEnvelope), **key_param},
              responses=_responses(fb_ok, 400, 401, 403, 404, 413, 422, 429))
    async def feedback_3103(request: Request) -> Response:
        return await _feedback(request)

    @app.get("/api/stats/feedback", summary="各规则反馈统计与继续执行率 / per-rule feedback and continue rate",
             operation_id="feedback_stats", openapi_extra=key_param,
             responses=_responses(openapi.ref(m.FeedbackStats), 401, 403, 429))
    async def feedback_stats(request: Request) -> Response:
        svc = _services(request)
        inst = _key(request, svc).institution
        return _answer({"institution": inst, "rules": svc.state.feedback_stats(inst)}, False)

    @app.get("/api/stats/timing", summary="本进程各阶段耗时 / per-stage timing of this worker",
             operation_id="timing_stats", openapi_extra=key_param,
             responses=_responses({"type": "object", "additionalProperties": openapi.ref(m.StageTiming)}, 401, 403, 429))
    async def timing_stats(request: Request) -> Response:
        svc = _services(request)
        _key(request, svc)
        out: dict[str, Any] = {}
        for name, samples in svc.timings.items():
            xs = sorted(samples)
            if xs:
                out[name] = {"n": len(xs), "p50_ms": round(xs[len(xs) // 2] * 1000, 3),
                             "p99_ms": round(xs[min(len(xs) - 1, int(len(xs) * 0.99))] * 1000, 3),
                             "mean_ms": round(sum(xs) / len(xs) * 1000, 3)}
        return _answer(out, False)

    @app.get("/api/admin/lookups", summary="跨就诊历史查询留痕（医保部门管理员）/ audit trail of history look-ups (admin)",
             operation_id="admin_lookups", openapi_extra=key_param,
             responses=_responses(openapi.ref(m.Lookups), 400, 401, 403, 422, 429))
    async def admin_lookups(request: Request, key_prefix: str | None = None, institution: str | None = None,
                            psn_no: str | None = None, since: str | None = None, before: str | None = None,
                            limit: int = 200) -> Response:
        svc = _services(request)
        _key(request, svc, admin=True)
        rows = svc.state.trail.query(key_prefix=key_prefix, institution=institution, psn_no=psn_no,
                                     since=_when_param(since, "since"), before=_when_param(before, "before"),
                                     limit=limit)
        for r in rows:
            for k in ("at", "since", "visit_time"):
                r[k] = r[k].isoformat(sep=" ")
        return _answer({"lookups": rows}, False)

    @app.get("/healthz", summary="存活检查 / health", operation_id="health",
             responses=_responses(openapi.ref(m.Health)))
    async def health() -> Response:
        eng = _services_app(app).engine
        return _answer({"status": "ok", "templates": len(eng.compiled.active),
                        "versions_digest": hashlib.sha1(_json_bytes(eng.versions)).hexdigest()[:12]}, False)

    return app


def _services_app(app: FastAPI) -> Services:
    svc: Services = app.state.services
    return svc


def create_app(rulebase: RuleBase | None = None, knowledge: KnowledgeLike | None = None,
               database_url: str | None = None, history_url: str | None = None,
               max_body: int | None = None) -> FastAPI:
    """The production app (uvicorn factory): settings from MEDAUDIT_* unless given."""
    from medaudit.settings import get_settings
    from medaudit.store import HistoryStore, StateStore

    settings = get_settings()
    cfg = ApiSettings()
    requestlog.configure(cfg.request_log, cfg.request_log_level)
    from medaudit.layers import load_knowledge_layers, load_rules, pack_list

    if rulebase is None:
        rulebase = load_rules(pack_list(cfg.rule_packs))
    if knowledge is None:
        knowledge = load_knowledge_layers(pack_list(cfg.knowledge_packs))
    engine = RealtimeEngine(rulebase, knowledge)  # type: ignore[arg-type]
    state = StateStore(database_url or settings.database_url, key_cache_seconds=cfg.key_cache_seconds)
    history = HistoryStore(history_url or settings.history_url)
    return build_app(engine, state, history, max_body, cfg)
