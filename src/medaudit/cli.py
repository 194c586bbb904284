"""medaudit command line (Typer + Rich). Each package contributes its own sub-commands."""

from __future__ import annotations

import sys

import typer
from rich.console import Console

from medaudit.errors import MedauditError

app = typer.Typer(
    name="medaudit",
    help="medaudit — 医保基金智能审核和监控 / intelligent audit of medical-insurance fund use.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
err_console = Console(stderr=True)
_state = {"debug": False}


@app.callback()
def _root(debug: bool = typer.Option(False, "--debug", help="显示完整错误堆栈 / show tracebacks")) -> None:
    _state["debug"] = debug


def _register() -> None:
    """Import each package's commands; a package adds its commands to ``app`` on import."""
    from medaudit import commands  # noqa: F401


def main() -> None:
    _register()
    try:
        # without standalone mode click returns a command's typer.Exit code instead of exiting with it
        code = app(standalone_mode=False)
        if isinstance(code, int) and code:
            sys.exit(code)
    except MedauditError as exc:
        if _state["debug"]:
            raise
        err_console.print(f"[bold red]错误 / error:[/] {exc}")
        sys.exit(2)
    except (typer.Exit, SystemExit) as exc:
        code = getattr(exc, "exit_code", getattr(exc, "code", 0))
        sys.exit(code or 0)
    except typer.Abort:
        sys.exit(1)
    except Exception as exc:  # the CLI promise: one clear line unless --debug
        show = getattr(exc, "show", None)
        if callable(show) and hasattr(exc, "exit_code"):  # click/typer usage errors print their own help
            show()
            sys.exit(exc.exit_code)
        if _state["debug"] or "--debug" in sys.argv:
            raise
        err_console.print(f"[bold red]错误 / error:[/] {type(exc).__name__}: {exc}  (加 --debug 查看详情 / add --debug for details)")
        sys.exit(1)
