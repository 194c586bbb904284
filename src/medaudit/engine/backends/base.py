"""The engine interface: the minimum an engine must do to run medaudit's SQL."""

from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

import pyarrow as pa

if TYPE_CHECKING:
    from medaudit.engine.runner import CompiledRuleSet


class Backend(ABC):
    """An SQL engine that holds named relations and answers queries with Arrow tables."""

    dialect: ClassVar[str]

    @abstractmethod
    def register(self, name: str, data: pa.Table) -> None:
        """Make an in-memory Arrow table queryable as ``name`` (knowledge, parameters, small claims)."""

    @abstractmethod
    def register_parquet(self, name: str, paths: list[Path]) -> None:
        """Make canonical Parquet files queryable as ``name`` without loading them into memory."""

    @abstractmethod
    def materialize(self, name: str, sql: str) -> None:
        """Create table ``name`` from a query already written in this backend's dialect."""

    @abstractmethod
    def query(self, sql: str) -> pa.Table:
        """Run a query in this backend's dialect and return its rows."""

    def refill(self, name: str, data: pa.Table) -> None:
        """Replace the rows of ``name`` (a relation rebuilt for every audit, e.g. per real-time request)."""
        self.register(name, data)

    def check_rules(self, compiled: CompiledRuleSet) -> None:  # noqa: B027 - optional hook
        """Refuse, before any data is read, rules this engine cannot run (engines that can tell)."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release resources."""
