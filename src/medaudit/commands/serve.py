"""CLI: `medaudit serve` (the real-time API) and `medaudit keys …` (API keys, the look-up trail)."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import typer

from medaudit.cli import app
from medaudit.errors import MedauditError

keys_app = typer.Typer(help="API密钥管理 / API key management", no_args_is_help=True)
app.add_typer(keys_app, name="keys")


def _check_startup(rule_packs: list[Path] | None = None, knowledge_packs: list[Path] | None = None) -> int:
    """Compile the rule base for SQLite and load the knowledge once, so a bad rule fails here, loudly."""
    from medaudit.api.engine import RealtimeEngine
    from medaudit.layers import load_knowledge_layers, load_rules

    try:
        kb = load_knowledge_layers(knowledge_packs)
    except Exception as exc:  # knowledge errors carry their own precise, multi-line message
        raise MedauditError(f"知识库加载失败，服务未启动 / knowledge failed to load, not starting:\n{exc}") from exc
    engine = RealtimeEngine(load_rules(rule_packs), kb)  # RuleError names the construct
    n = len(engine.compiled.active)
    engine.close()
    return n


def _check_settings() -> None:
    """Refuse to start on a bad MEDAUDIT_* API setting (e.g. a key cache above 1 s), naming it."""
    from pydantic import ValidationError

    from medaudit.api.config import ApiSettings

    try:
        ApiSettings()
    except ValidationError as exc:
        first = exc.errors()[0]
        name = "MEDAUDIT_" + str(first["loc"][0]).upper() if first.get("loc") else "MEDAUDIT_*"
        raise MedauditError(f"接口设置 {name} 无效：{first['msg']} / invalid API setting {name}: {first['msg']}") from exc


@app.command("serve")
def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="监听地址 / bind address"),
    port: int = typer.Option(8000, "--port", help="端口 / port"),
    workers: int = typer.Option(1, "--workers", min=1, help="工作进程数 / worker processes"),
    log_level: str = typer.Option("warning", "--log-level", help="日志级别 / log level"),
    request_log: str = typer.Option(None, "--request-log", help="请求日志文件（JSON行）/ request log file (JSON lines)"),
    request_log_level: str = typer.Option(None, "--request-log-level", help="请求日志级别 / request log level"),
    rule_pack: list[Path] | None = typer.Option(None, "--rule-pack", help="叠加的省/市规则包 / extra rule packs"),
    knowledge_pack: list[Path] | None = typer.Option(None, "--knowledge-pack", help="叠加的知识包 / extra knowledge packs"),
) -> None:
    """启动实时审核接口（3101/3102/3103）/ start the real-time audit API (3101/3102/3103)."""
    import uvicorn

    _check_settings()
    n = _check_startup(rule_pack, knowledge_pack)
    # the workers uvicorn starts build their app from the environment: hand them the same layers
    os.environ["MEDAUDIT_RULE_PACKS"] = os.pathsep.join(str(p.resolve()) for p in rule_pack or [])
    os.environ["MEDAUDIT_KNOWLEDGE_PACKS"] = os.pathsep.join(str(p.resolve()) for p in knowledge_pack or [])
    if request_log:
        os.environ["MEDAUDIT_REQUEST_LOG"] = request_log
    if request_log_level:
        os.environ["MEDAUDIT_REQUEST_LOG_LEVEL"] = request_log_level
    os.environ["MEDAUDIT_API_WORKERS"] = str(workers)  # each worker enforces its share of the rate limits
    typer.echo(f"规则模板 {n} 个已编译为 SQLite / {n} templates compiled for SQLite; "
               f"listening on http://{host}:{port} with {workers} worker(s)")
    uvicorn.run("medaudit.api.app:create_app", factory=True, host=host, port=port, workers=workers,
                log_level=log_level, access_log=False, http="medaudit.api.protocol:NoDelayH11Protocol")


@keys_app.command("create")
def keys_create(
    institution: str = typer.Option(None, "--institution", help="定点医药机构编码 / institution code"),
    label: str = typer.Option(None, "--label", help="备注 / label"),
    admin: bool = typer.Option(False, "--admin", help="医保部门管理员密钥（只能查询留痕）/ bureau admin key (trail only)"),
    as_json: bool = typer.Option(False, "--json", help="以JSON输出 / print JSON"),
) -> None:
    """创建API密钥（只显示一次，库中仅存哈希）/ create an API key (shown once; only its hash is stored)."""
    from medaudit.settings import get_settings
    from medaudit.store import StateStore

    institution = (institution or "").strip()
    if admin and institution:
        raise MedauditError("管理员密钥不绑定机构，请勿同时给出 --institution / an admin key has no institution; "
                            "drop --institution")
    if not admin and not institution:
        raise MedauditError("请给出 --institution（或用 --admin 创建管理员密钥）/ give --institution (or --admin)")
    key = StateStore(get_settings().database_url).create_key(institution or None, label, admin=admin)
    role = "admin" if admin else "his"
    if as_json:
        typer.echo(json.dumps({"key": key, "institution": None if admin else institution, "role": role,
                               "prefix": key[:10]}, ensure_ascii=False))
    else:
        typer.echo(f"API密钥（仅显示这一次，请妥善保存）/ API key (shown once): {key}")
        typer.echo("角色 / role: 医保部门管理员 admin" if admin else f"绑定机构 / institution: {institution}")


@keys_app.command("list")
def keys_list() -> None:
    """列出密钥（仅前缀）/ list keys (prefixes only)."""
    from medaudit.settings import get_settings
    from medaudit.store import StateStore

    for k in StateStore(get_settings().database_url).list_keys():
        who = "管理员/admin" if k["role"] == "admin" else k["institution"]
        typer.echo(f"{k['key_prefix']}…  {who}  {'有效' if k['active'] else '停用'}  {k['label'] or ''}")


@keys_app.command("revoke")
def keys_revoke(prefix: str = typer.Argument(..., help="密钥前缀（10位）/ key prefix (10 chars)")) -> None:
    """停用密钥 / revoke a key."""
    from medaudit.settings import get_settings
    from medaudit.store import StateStore

    n = StateStore(get_settings().database_url).revoke_key(prefix)
    if not n:
        raise MedauditError(f"未找到前缀为 {prefix} 的密钥 / no key with prefix {prefix}")
    typer.echo(f"已停用 {n} 个密钥 / revoked {n} key(s)")


def _when(value: str | None, option: str) -> dt.datetime | None:
    if not value:
        return None
    try:
        return dt.datetime.fromisoformat(value)
    except ValueError as exc:
        raise MedauditError(f"{option} 时间格式应为 yyyy-MM-dd 或 yyyy-MM-ddTHH:mm:ss：{value} / "
                            f"{option} must be yyyy-MM-dd or yyyy-MM-ddTHH:mm:ss: {value}") from exc


@keys_app.command("lookups")
def keys_lookups(
    key_prefix: str = typer.Option(None, "--key", help="密钥前缀 / key prefix"),
    institution: str = typer.Option(None, "--institution", help="定点医药机构编码 / institution code"),
    psn_no: str = typer.Option(None, "--psn-no", help="人员编号 / insured-person id"),
    since: str = typer.Option(None, "--since", help="起始时间 / from (yyyy-MM-dd[THH:mm:ss])"),
    limit: int = typer.Option(200, "--limit", min=1, max=1000, help="最多条数 / most rows"),
    as_json: bool = typer.Option(False, "--json", help="以JSON行输出 / print JSON lines"),
) -> None:
    """查询跨就诊历史查询留痕（医保部门）/ query the audit trail of cross-visit history look-ups (bureau)."""
    from medaudit.settings import get_settings
    from medaudit.store import StateStore

    rows = StateStore(get_settings().database_url).trail.query(
        key_prefix=key_prefix, institution=institution, psn_no=psn_no, since=_when(since, "--since"), limit=limit)
    for r in rows:
        if as_json:
            typer.echo(json.dumps(r, ensure_ascii=False, default=str))
        else:
            typer.echo(f"{r['at']}  {r['key_prefix']}…  {r['institution']}  {r['endpoint']}  人员 {r['psn_no']}  "
                       f"自{r['since']}  本机构{r['own_found']} 其他机构{r['other_found']} "
                       f"依据其他机构的结果{r['results_other']}  请求 {r['request_id']}")
    if not rows and not as_json:
        typer.echo("没有符合条件的查询记录 / no matching look-ups")
