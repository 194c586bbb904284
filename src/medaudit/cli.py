"""medaudit command line (Typer + Rich). Each package contributes its own sub-commands."""

from __future__ import annotations

import os
import signal
import sys
import traceback
from typing import NoReturn

import typer
import typer.main
from rich.console import Console
from rich.markup import escape
from typer.exceptions import Abort, Exit, TyperException

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


class Interrupted(KeyboardInterrupt):
    """SIGINT/SIGTERM as one unwinding, so every ``finally`` cleans up and the exit code says why."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


_signalled: list[int] = []


def _on_signal(signum: int, _frame: object) -> None:
    # Remembered as well as raised: DuckDB turns the exception into its own "Query interrupted"
    # error (a RuntimeError from an Arrow stream), which must still end as an interrupt.
    _signalled.append(signum)
    raise Interrupted(signum)


def _interrupt_code(exc: BaseException) -> int:
    if isinstance(exc, Interrupted):
        return 128 + exc.signum
    return 128 + (_signalled[0] if _signalled else signal.SIGINT)


def _interrupted(code: int, args: list[str]) -> NoReturn:
    _fail(f"[bold red]已中断 / interrupted[/] (exit {code})：未完成的输出不会发布 / no partial output is published",
          code, _debug(args))


def _fail(message: str, code: int, debug: bool) -> NoReturn:
    if debug:
        traceback.print_exc()
    err_console.print(message, highlight=False, soft_wrap=True)
    sys.exit(code)


def main(argv: list[str] | None = None) -> None:
    """Run a command and turn every outcome into an exit code and at most one line of message.

    Typer's own runner is bypassed on purpose: with ``standalone_mode=False`` it converts Ctrl-C into
    a *returned* exit code (130) that callers discard, so an interrupted audit exited 0. Invoking the
    click command directly lets every exception reach this one place, for all commands at once.
    Exit codes: 0 done, 1 failure, 2 usage or input error, 3 too many rows quarantined (raised as a
    ``MedauditError`` with ``exit_code = 3``), 128+N killed by signal N (130 Ctrl-C, 143 SIGTERM).
    """
    _register()
    args = sys.argv[1:] if argv is None else argv
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, _on_signal)
    command = typer.main.get_command(app)
    try:
        with command.make_context("medaudit", list(args)) as ctx:
            command.invoke(ctx)
    except Exit as exc:
        sys.exit(exc.exit_code)
    except TyperException as exc:  # usage errors print their own help
        show = getattr(exc, "show", None)
        if callable(show):
            show()
        else:
            err_console.print(escape(str(exc)), soft_wrap=True)
        sys.exit(exc.exit_code)
    except BrokenPipeError:  # `medaudit … | head`: the reader left; not an error worth a message
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)
    except Abort:
        _fail("[bold red]已取消 / aborted[/]", 1, _debug(args))
    except KeyboardInterrupt as exc:
        _interrupted(_interrupt_code(exc), args)
    except MedauditError as exc:
        _fail(f"[bold red]错误 / error:[/] {_one_line(exc)}", int(getattr(exc, "exit_code", 2)), _debug(args))
    except Exception as exc:  # the CLI promise: one clear line unless --debug
        if _signalled:
            _interrupted(_interrupt_code(exc), args)
        _fail(f"[bold red]错误 / error:[/] {type(exc).__name__}: {_one_line(exc)}  "
              "(加 --debug 查看详情 / add --debug for details)", 1, _debug(args))
    sys.exit(0)


def _one_line(exc: BaseException) -> str:
    """Library messages (DuckDB's carry the query and a caret line) folded into one line."""
    return escape(" ".join(str(exc).split()))


def _debug(args: list[str]) -> bool:
    return _state["debug"] or "--debug" in args
