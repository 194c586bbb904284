"""CLI: `medaudit serve` (the real-time API) and `medaudit keys …` (API keys bound to institutions)."""

from __future__ import annotations

import json

import typer

from medaudit.cli import app
from medaudit.errors import MedauditError

keys_app = typer.Typer(help="API密钥管理 / API key management", no_args_is_help=True)
app.add_typer(keys_app, name="keys")


def _check_startup() -> int:
    """Compile the rule base for SQLite and load the knowledge once, so a bad rule fails here, loudly."""
    from medaudit.api.engine import RealtimeEngine
    from medaudit.knowledge import default_knowledge
    from medaudit.rules import load_rulebase

    try:
        kb = default_knowledge()
    except Exception as exc:  # knowledge errors carry their own precise, multi-line message
        raise MedauditError(f"知识库加载失败，服务未启动 / knowledge failed to load, not starting:\n{exc}") from exc
    engine = RealtimeEngine(load_rulebase(), kb)  # type: ignore[arg-type]  # RuleError names the construct
    n = len(engine.compiled.active)
    engine.close()
    return n


@app.command("serve")
def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="监听地址 / bind address"),
    port: int = typer.Option(8000, "--port", help="端口 / port"),
    workers: int = typer.Option(1, "--workers", min=1, help="工作进程数 / worker processes"),
    log_level: str = typer.Option("warning", "--log-level", help="日志级别 / log level"),
) -> None:
    """启动实时审核接口（3101/3102/3103）/ start the real-time audit API (3101/3102/3103)."""
    import uvicorn

    n = _check_startup()
    typer.echo(f"规则模板 {n} 个已编译为 SQLite / {n} templates compiled for SQLite; "
               f"listening on http://{host}:{port} with {workers} worker(s)")
    uvicorn.run("medaudit.api.app:create_app", factory=True, host=host, port=port, workers=workers,
                log_level=log_level, access_log=False, http="medaudit.api.protocol:NoDelayH11Protocol")


@keys_app.command("create")
def keys_create(
    institution: str = typer.Option(..., "--institution", help="定点医药机构编码 / institution code"),
    label: str = typer.Option(None, "--label", help="备注 / label"),
    as_json: bool = typer.Option(False, "--json", help="以JSON输出 / print JSON"),
) -> None:
    """创建绑定机构的API密钥（只显示一次，库中仅存哈希）/ create an API key bound to one institution."""
    from medaudit.settings import get_settings
    from medaudit.store import StateStore

    institution = institution.strip()
    if not institution:
        raise MedauditError("机构编码不能为空 / institution code must not be empty")
    key = StateStore(get_settings().database_url).create_key(institution, label)
    if as_json:
        typer.echo(json.dumps({"key": key, "institution": institution, "prefix": key[:10]}, ensure_ascii=False))
    else:
        typer.echo(f"API密钥（仅显示这一次，请妥善保存）/ API key (shown once): {key}")
        typer.echo(f"绑定机构 / institution: {institution}")


@keys_app.command("list")
def keys_list() -> None:
    """列出密钥（仅前缀）/ list keys (prefixes only)."""
    from medaudit.settings import get_settings
    from medaudit.store import StateStore

    for k in StateStore(get_settings().database_url).list_keys():
        typer.echo(f"{k['key_prefix']}…  {k['institution']}  {'有效' if k['active'] else '停用'}  {k['label'] or ''}")


@keys_app.command("revoke")
def keys_revoke(prefix: str = typer.Argument(..., help="密钥前缀（10位）/ key prefix (10 chars)")) -> None:
    """停用密钥 / revoke a key."""
    from medaudit.settings import get_settings
    from medaudit.store import StateStore

    n = StateStore(get_settings().database_url).revoke_key(prefix)
    if not n:
        raise MedauditError(f"未找到前缀为 {prefix} 的密钥 / no key with prefix {prefix}")
    typer.echo(f"已停用 {n} 个密钥 / revoked {n} key(s)")
