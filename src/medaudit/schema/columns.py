"""Column specifications: the single source every schema artefact is derived from.

Arrow schemas, pydantic models, ingest header mapping and docs/schema.md are all generated
from these specs, so a column is described exactly once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Kind = Literal["str", "int", "bool", "date", "timestamp", "fen", "milli"]


@dataclass(frozen=True)
class Column:
    """One canonical column.

    ``kind`` is semantic: ``fen`` is money in integer fen (分), ``milli`` a quantity in
    thousandths, so sums agree exactly across engines. ``national`` lists the national-platform
    field names of the centre tables that map to this column (the first one is the export header);
    ``interface`` the 3101/3102 DTO field names (DOMAIN.md §3.2) where they differ from the centre
    tables (the first one is what ``api.dto`` writes, all are read, in order, by ``api.mapping``);
    ``aliases`` holds common Chinese headers seen in hospital and bureau exports. Ingest accepts all
    of them as headers (medaudit.schema.national is the one mapping every path reads).
    """

    name: str
    kind: Kind
    zh: str
    en: str
    required: bool = False
    national: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    pattern: str | None = None
    interface: tuple[str, ...] = ()


@dataclass(frozen=True)
class Table:
    name: str
    zh: str
    en: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    national_table: str = ""
    foreign_keys: dict[str, str] = field(default_factory=dict)

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(f"{self.name}.{name}")

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def required(self) -> list[str]:
        return [c.name for c in self.columns if c.required]
