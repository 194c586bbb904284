"""Runtime settings, read from the environment (prefix ``MEDAUDIT_``)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from medaudit.schema.codes import DEFAULT_OUT_SETL_FLAG_CODES, check_out_setl_config

_REPO_ROOT = Path(__file__).resolve().parents[2]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MEDAUDIT_", extra="ignore")

    #: folder with the official code lists (OpenDRG layout: ZD_INFO.dat, SS_INFO.dat, ...).
    #: Never copied into the repository; defaults to ../shared/data beside the checkout.
    reference_data: Path = _REPO_ROOT.parent / "shared" / "data"
    #: DuckDB memory limit for batch audits, e.g. "4GB".
    memory_limit: str = "4GB"
    #: DuckDB worker threads (0 = DuckDB default).
    threads: int = 0
    #: application state database (SQLAlchemy URL).
    database_url: str = "sqlite:///medaudit-state.db"
    #: real-time history store (SQLAlchemy URL); PostgreSQL in production.
    history_url: str = "sqlite:///medaudit-history.db"
    debug: bool = False
    #: 3101/3102 whose rule_ids name a rule this server does not know: False audits them with the rules
    #: the trigger scene selects (and says so in a warning); True refuses them with a 400.
    reject_unknown_rule_ids: bool = False
    #: regional 异地结算标志 dictionaries, JSON in MEDAUDIT_OUT_SETL_FLAG_CODES: 医保区划 prefix (or "*")
    #: -> {code: local | remote | remote_in_province | remote_cross_province}, e.g.
    #: {"*": {"0": "local", "1": "remote"}, "45": {"2": "local", "3": "remote_in_province", "4": "remote_cross_province"}}
    out_setl_flag_codes: dict[str, dict[str, str]] = DEFAULT_OUT_SETL_FLAG_CODES

    @field_validator("out_setl_flag_codes")
    @classmethod
    def _known_classes(cls, value: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
        return check_out_setl_config(value)
    #: ingest/audit exit with code 3 when a larger share than this of any table's rows is quarantined
    quarantine_max_share: float = 0.01
    #: professional-title code prefix -> staff role, over the GB/T 8561 defaults in schema/codes.py
    #: (JSON in the environment, e.g. MEDAUDIT_STAFF_TITLE_ROLES='{"27": "医师"}')
    staff_title_roles: dict[str, str] = {}
    #: the region's DRG relative weights, CSV ``drg,weight`` (None: the illustrative table, docs/drg.md)
    drg_weights: Path | None = None
    #: the region's DRG base rate, fen per weight point (illustrative default: 10,000 yuan)
    drg_base_rate_fen: int = 1_000_000


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()


def reference_dir() -> Path:
    """Folder holding the OpenDRG code lists inside the configured reference-data location."""
    base = get_settings().reference_data
    sub = base / "opendrg-chs-drg-1.1"
    return sub if sub.is_dir() else base


def title_roles() -> dict[str, str]:
    """Title prefix -> role: the national defaults with the configured overrides on top."""
    from medaudit.schema.codes import TITLE_ROLE

    return {**TITLE_ROLE, **get_settings().staff_title_roles}
