"""FastAPI application: 3101 事前 / 3102 事中 analysis, 3103 feedback, feedback statistics.

Handlers are ``async def`` and do their CPU work in the event loop (DESIGN.md: a sync handler halves
throughput through the thread pool); each worker process owns its in-memory SQLite engine.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import time
from collections import deque
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from medaudit.engine.runner import KnowledgeLike
from medaudit.rules.loader import RuleBase

from .engine import RealtimeEngine
from .errors import ApiError, bad
from .mapping import Mapped, map_request, scenes_for
from .models import AuditOutput, AuditRequest, FeedbackRequest

log = logging.getLogger("medaudit.api")

DEFAULT_MAX_BODY = 2 * 1024 * 1024
SEV_DEG = {"明确违规": "1", "高度可疑": "2", "可疑": "3"}
BHVR_TYPE = {"医保管理类": "1", "临床诊疗类": "2", "药品类": "3"}
SETTLEMENT_SCENES = ("6", "8")
STAGES = ("parse", "history", "rules", "serialise", "store")


def _json_bytes(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class Services:
    """What a worker holds: the evaluator, the state and history stores, timing samples."""

    def __init__(self, engine: RealtimeEngine, state: Any, history: Any, max_body: int) -> None:
        self.engine = engine
        self.state = state
        self.history = history
        self.max_body = max_body
        self.timings: dict[str, deque[float]] = {s: deque(maxlen=20000) for s in (*STAGES, "total")}


def _services(request: Request) -> Services:
    svc: Services = request.app.state.services
    return svc


# -- request plumbing ----------------------------------------------------------------------------
async def _read_json(request: Request, max_body: int) -> Any:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > max_body:
        raise ApiError(413, "too_large", f"请求体过大（{int(declared)}字节，上限{max_body}字节）",
                       f"request body too large ({int(declared)} bytes, limit {max_body})")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_body:
            raise ApiError(413, "too_large", f"请求体过大（超过上限{max_body}字节）",
                           f"request body too large (over the {max_body}-byte limit)")
        chunks.append(chunk)
    body = b"".join(chunks)
    if not body.strip():
        raise bad("body", "请求体为空", "empty request body")
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise bad("body", f"请求体不是UTF-8编码（第{exc.start}字节）", f"body is not UTF-8 (byte {exc.start})") from exc
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise bad("body", f"JSON格式错误：第{exc.lineno}行第{exc.colno}列：{exc.msg}",
                  f"malformed JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from exc
    except RecursionError as exc:
        raise bad("body", "JSON嵌套层级过深", "JSON nested too deeply") from exc


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


def _key_institution(request: Request, svc: Services) -> str:
    key = request.headers.get("x-api-key")
    if not key:
        raise ApiError(401, "unauthorized", "缺少API密钥（请求头X-API-Key）", "missing API key (X-API-Key header)")
    inst = svc.state.institution_for(key.strip())
    if inst is None:
        raise ApiError(401, "unauthorized", "API密钥无效或已停用", "invalid or revoked API key")
    return str(inst)


def _answer(payload: dict[str, Any], envelope: bool, status: int = 200,
            headers: dict[str, str] | None = None) -> Response:
    body = {"infcode": 0, "err_msg": "", "output": payload} if envelope else payload
    return Response(_json_bytes(body), status_code=status, media_type="application/json; charset=utf-8",
                    headers=headers)


# -- findings → 3101 output ----------------------------------------------------------------------
def _yuan(fen: int) -> float:
    return fen / 100


def _render(findings: list[dict[str, Any]], mapped: Mapped, engine: RealtimeEngine) -> list[dict[str, Any]]:
    line_enc = {ln["line_id"]: ln["mdtrt_id"] for ln in mapped.rows["fee_lines"]}
    out = []
    for f in findings:
        if f["mdtrt_id"] not in mapped.current_mdtrt:
            continue  # about a history encounter: not this request's violation
        if f["line_id"] is not None and f["line_id"] not in mapped.current_lines:
            continue  # the offending line is a history line (curr_drord_flag 0): only 涉及项
        tpl = engine.templates[f["rule_id"]]
        jr_id = f["finding_id"]
        intercept = f["result_type"] == "明确" and f["action"] == "拦截"
        details = [{"jrd_id": f"{jr_id}-1", "patn_id": f["psn_no"], "mdtrt_id": f["mdtrt_id"], "rx_id": f["line_id"],
                    "vola_item_type": "1", "vola_amt": _yuan(f["amount_fen"])}]
        if f["related_line_id"] is not None:
            details.append({"jrd_id": f"{jr_id}-2", "patn_id": f["psn_no"],
                            "mdtrt_id": line_enc.get(f["related_line_id"], f["mdtrt_id"]),
                            "rx_id": f["related_line_id"], "vola_item_type": "2", "vola_amt": 0.0})
        evid = tpl.logic + (f"（依据：{f['kb_ref']}）" if f["kb_ref"] else "")
        out.append({
            "jr_id": jr_id, "rule_id": f["instance_id"], "rule_name": f["rule_name"], "vola_cont": f["reason"],
            "patn_id": f["psn_no"], "mdtrt_id": f["mdtrt_id"], "vola_amt": _yuan(f["amount_fen"]),
            "vola_amt_stas": "1" if f["amount_fen"] >= 0 else "0",
            "sev_deg": SEV_DEG.get(f["severity"], "3"), "sev_deg_name": f["severity"],
            "vola_evid": evid[:500], "vola_bhvr_type": BHVR_TYPE.get(f["category"], "9"),
            "vola_bhvr_type_name": f["category"], "task_id": mapped.task_id,
            "result_type": f["result_type"], "dspo_act": f["action"], "intercept_flag": "1" if intercept else "0",
            "judge_result_detail_dtos": details,
        })
    return out


def _merge_history(svc: Services, mapped: Mapped, days: int) -> int:
    """Add the stored history of each patient (within the look-back) to the request rows."""
    if days <= 0 or svc.history is None:
        return 0
    have = {e["mdtrt_id"] for e in mapped.rows["encounters"]}
    insts = {i["fixmedins_code"] for i in mapped.rows["institutions"]}
    added = 0
    for enc in mapped.curr_encounters:
        start = dt.datetime.fromisoformat(enc["adm_time"]) - dt.timedelta(days=days)
        for payload in svc.history.read(enc["psn_no"], start):
            encs = [e for e in payload.get("encounters", []) if e["mdtrt_id"] not in have]
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
            added += len(encs)
    return added


def _write_history(svc: Services, mapped: Mapped) -> None:
    for enc in mapped.curr_encounters:
        mid = enc["mdtrt_id"]
        rows = {
            "institutions": [i for i in mapped.rows["institutions"] if i["fixmedins_code"] == enc["fixmedins_code"]],
            "encounters": [enc],
            **{n: [r for r in mapped.rows[n] if r["mdtrt_id"] == mid] for n in ("fee_lines", "diagnoses", "operations")},
        }
        svc.history.write(enc["psn_no"], mid, enc["fixmedins_code"], dt.datetime.fromisoformat(enc["adm_time"]), rows)


async def _analyse(request: Request, infno: str) -> Response:
    svc = _services(request)
    t0 = time.perf_counter()
    request.state.envelope = False
    inst = _key_institution(request, svc)
    body = await _read_json(request, svc.max_body)
    data, envelope = _unwrap(body, infno)
    request.state.envelope = envelope
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
    t1 = time.perf_counter()
    added = _merge_history(svc, mapped, engine.lookback_days(selection))
    t2 = time.perf_counter()
    findings = engine.evaluate(mapped.rows, selection) if selection.templates else []
    t3 = time.perf_counter()
    results = _render(findings, mapped, engine)
    intercept = any(r["intercept_flag"] == "1" for r in results)
    payload = {"task_id": mapped.task_id, "intercept": intercept, "result": results, "warnings": warnings,
               "rules_run": len(selection.templates), "packs": engine.packs, "history_encounters": added}
    t4 = time.perf_counter()
    if results:
        svc.state.record_results([{"jr_id": r["jr_id"], "rule_id": r["rule_id"], "rule_name": r["rule_name"],
                                   "institution": inst, "mdtrt_id": r["mdtrt_id"], "sev_deg": r["sev_deg"],
                                   "intercept": r["intercept_flag"] == "1"} for r in results])
    if infno == "3102" and mapped.trig_scen in SETTLEMENT_SCENES and svc.history is not None:
        _write_history(svc, mapped)
    t5 = time.perf_counter()
    stages = dict(zip(STAGES, (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4), strict=True))
    for name, secs in stages.items():
        svc.timings[name].append(secs)
    svc.timings["total"].append(t5 - t0)
    timing = ", ".join(f"{k};dur={v * 1000:.3f}" for k, v in stages.items())
    log.info("%s task=%s encounters=%d lines=%d results=%d intercept=%s ms=%.2f", infno, mapped.task_id,
             len(mapped.current_mdtrt), len(mapped.current_lines), len(results), intercept, (t5 - t0) * 1000)
    return _answer(payload, envelope, headers={"Server-Timing": timing})


async def _feedback(request: Request) -> Response:
    svc = _services(request)
    request.state.envelope = False
    inst = _key_institution(request, svc)
    body = await _read_json(request, svc.max_body)
    data, envelope = _unwrap(body, "3103")
    request.state.envelope = envelope
    from .mapping import _Reader

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
    return _answer({"accepted": n, "warnings": [w.as_dict() for w in r.warnings]}, envelope)


# -- application ---------------------------------------------------------------------------------
def _error_body(request: Request, status: int, code: str, message: str, path: str | None = None) -> Response:
    if getattr(request.state, "envelope", False):
        body: dict[str, Any] = {"infcode": -1, "err_msg": message, "output": None}
    else:
        body = {"code": code, "err_msg": message, "path": path}
    return Response(_json_bytes(body), status_code=status, media_type="application/json; charset=utf-8")


def build_app(engine: RealtimeEngine, state: Any, history: Any, max_body: int = DEFAULT_MAX_BODY) -> FastAPI:
    app = FastAPI(
        title="medaudit 实时审核接口 / real-time audit API",
        version="1.0",
        description="3101 明细审核事前分析 / 3102 事中分析 / 3103 反馈. 见 docs/api.md.",
    )
    app.state.services = Services(engine, state, history, max_body)
    audit_body = {"requestBody": {"required": True, "content": {"application/json": {
        "schema": AuditRequest.model_json_schema(ref_template="#/components/schemas/{model}")}}}}
    fb_body = {"requestBody": {"required": True, "content": {"application/json": {
        "schema": FeedbackRequest.model_json_schema(ref_template="#/components/schemas/{model}")}}}}
    key_param = {"parameters": [{"name": "X-API-Key", "in": "header", "required": True, "schema": {"type": "string"}}]}

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> Response:
        return _error_body(request, exc.status, exc.code, exc.message, exc.path)

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

    @app.post("/api/3101", summary="3101 明细审核事前分析 / pre-event analysis", response_model=AuditOutput,
              openapi_extra={**audit_body, **key_param},
              responses={400: {"description": "输入错误 / bad input"}, 401: {"description": "密钥 / key"},
                         403: {"description": "机构不符 / other institution"}, 413: {"description": "过大 / too large"}})
    async def analyse_3101(request: Request) -> Response:
        return await _analyse(request, "3101")

    @app.post("/api/3102", summary="3102 明细审核事中分析 / in-event analysis", response_model=AuditOutput,
              openapi_extra={**audit_body, **key_param},
              responses={400: {"description": "输入错误 / bad input"}, 401: {"description": "密钥 / key"},
                         403: {"description": "机构不符 / other institution"}, 413: {"description": "过大 / too large"}})
    async def analyse_3102(request: Request) -> Response:
        return await _analyse(request, "3102")

    @app.post("/api/3103", summary="3103 事前事中服务反馈 / feedback", openapi_extra={**fb_body, **key_param},
              responses={400: {"description": "输入错误"}, 401: {"description": "密钥"}, 403: {"description": "机构不符"},
                         404: {"description": "违规标识不存在"}})
    async def feedback_3103(request: Request) -> Response:
        return await _feedback(request)

    @app.get("/api/stats/feedback", summary="各规则反馈统计与继续执行率 / per-rule feedback and continue rate",
             openapi_extra=key_param)
    async def feedback_stats(request: Request) -> Response:
        svc = _services(request)
        inst = _key_institution(request, svc)
        return _answer({"institution": inst, "rules": svc.state.feedback_stats(inst)}, False)

    @app.get("/api/stats/timing", summary="本进程各阶段耗时 / per-stage timing of this worker", openapi_extra=key_param)
    async def timing_stats(request: Request) -> Response:
        svc = _services(request)
        _key_institution(request, svc)
        out: dict[str, Any] = {}
        for name, samples in svc.timings.items():
            xs = sorted(samples)
            if xs:
                out[name] = {"n": len(xs), "p50_ms": round(xs[len(xs) // 2] * 1000, 3),
                             "p99_ms": round(xs[min(len(xs) - 1, int(len(xs) * 0.99))] * 1000, 3),
                             "mean_ms": round(sum(xs) / len(xs) * 1000, 3)}
        return _answer(out, False)

    @app.get("/healthz", summary="存活检查 / health")
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
    import os

    from medaudit.settings import get_settings
    from medaudit.store import HistoryStore, StateStore

    settings = get_settings()
    if rulebase is None:
        from medaudit.rules import load_rulebase

        rulebase = load_rulebase()
    if knowledge is None:
        from medaudit.knowledge import default_knowledge

        knowledge = default_knowledge()  # type: ignore[assignment]
    engine = RealtimeEngine(rulebase, knowledge)
    state = StateStore(database_url or settings.database_url)
    history = HistoryStore(history_url or settings.history_url)
    limit = max_body or int(os.environ.get("MEDAUDIT_MAX_BODY_BYTES", DEFAULT_MAX_BODY))
    return build_app(engine, state, history, limit)
