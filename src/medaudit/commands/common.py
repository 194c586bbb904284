"""Helpers shared by CLI commands: JSON output and tables."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from rich.console import Console
from rich.table import Table

console = Console()


def print_json(data: Any) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def print_table(title: str, headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    table = Table(title=title, show_lines=False)
    for h in headers:
        table.add_column(h)
    for r in rows:
        table.add_row(*("" if v is None else str(v) for v in r))
    console.print(table)
