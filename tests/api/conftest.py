"""Fixtures for the real-time API: a small knowledge base, every template, stores, a real PostgreSQL."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from fastapi.testclient import TestClient

from medaudit.api.app import build_app
from medaudit.api.config import ApiSettings
from medaudit.api.engine import RealtimeEngine
from medaudit.knowledge.tables import KB_TABLES
from medaudit.rules.loader import RuleBase, load_templates
from medaudit.rules.model import Instance
from medaudit.schema.rows import rows_to_table
from medaudit.store import HistoryStore, StateStore

INSTITUTION = "H44010600001"
OTHER_INSTITUTION = "H44010600002"


class SmallKB:
    def __init__(self) -> None:
        self.tables: dict[str, pa.Table] = {
            "kb_drug": rows_to_table(KB_TABLES["kb_drug"], [
                {"code_prefix": "XG03DAH051B0", "generic_name": "黄体酮", "category": "西药", "chrgitm_lv": "甲",
                 "gender": "2", "restriction_text": "限女性"},
                {"code_prefix": "XN02BEA015A0", "generic_name": "对乙酰氨基酚", "category": "西药", "chrgitm_lv": "甲",
                 "ingredient": "对乙酰氨基酚"},
                {"code_prefix": "XA11DAW036A0", "generic_name": "维生素B1", "category": "西药", "chrgitm_lv": "甲"},
            ]),
            "kb_item": rows_to_table(KB_TABLES["kb_item"], [
                {"code_prefix": "001103000010000", "name": "急诊监护费", "category": "05"},
                {"code_prefix": "001102000010000", "name": "急诊诊查费", "category": "02"},
                {"code_prefix": "002103000010000", "name": "X线计算机体层(CT)平扫", "category": "03",
                 "price_cap_lv1_fen": 8000, "price_cap_lv2_fen": 10000, "price_cap_lv3_fen": 12000},
            ]),
            "kb_item_relation": rows_to_table(KB_TABLES["kb_item_relation"], [
                {"code_a": "001103000010000", "code_b": "001102000010000", "relation": "included",
                 "time_window": "day", "note": "急诊监护费含诊查"},
            ]),
        }
        self.versions = {"test-kb": "1"}


def full_rulebase() -> RuleBase:
    """One instance of every template with its defaults (the starter pack may list fewer)."""
    tpls = load_templates()
    return RuleBase(tpls, {t: Instance(id=t, template=t) for t in tpls}, {"test": "1"})


@pytest.fixture(scope="session")
def engine() -> Iterator[RealtimeEngine]:
    eng = RealtimeEngine(full_rulebase(), SmallKB())
    yield eng
    eng.close()


@pytest.fixture
def make_client(engine: RealtimeEngine, tmp_path: Path) -> Callable[..., tuple[TestClient, StateStore]]:
    def make(history_url: str | None = None, max_body: int = 2 * 1024 * 1024, state_url: str | None = None,
             settings: ApiSettings | None = None) -> tuple[TestClient, StateStore]:
        state = StateStore(state_url or f"sqlite:///{tmp_path / 'state.db'}")
        history = HistoryStore(history_url or f"sqlite:///{tmp_path / 'history.db'}")
        app = build_app(engine, state, history, max_body, settings)
        return TestClient(app, raise_server_exceptions=False), state
    return make


@pytest.fixture
def client(make_client: Callable[..., tuple[TestClient, StateStore]]) -> tuple[TestClient, dict[str, str]]:
    c, state = make_client()
    return c, {"X-API-Key": state.create_key(INSTITUTION)}


BASE_REQUEST: dict[str, Any] = {
    "syscode": "HIS01",
    "task_id": "T0001",
    "trig_scen": "2",
    "patient_dtos": [{
        "patn_id": "44010619800501123X",
        "patn_name": "张三丰",
        "gend": "1",
        "brdy": "1980-05-01",
        "poolarea": "440106",
        "curr_mdtrt_id": "MD001",
        "fsi_encounter_dtos": [{
            "mdtrt_id": "MD001", "medins_id": INSTITUTION, "medins_name": "广州市天河区示例医院",
            "medins_admdvs": "440106", "medins_type": "1", "medins_lv": "05",
            "adm_date": "2025-03-01 09:00:00", "dscg_main_dise_codg": "J06.900", "med_type": "11",
            "insutype": "310", "medfee_sumamt": "52.50",
            "fsi_diagnose_dtos": [{"dise_codg": "J06.900", "dise_name": "急性上呼吸道感染", "maindise_flag": "1",
                                   "inout_dise_type": "2"}],
            "fsi_order_dtos": [
                {"rx_id": "RX1", "hilist_code": "XG03DAH051B0010101234", "hilist_name": "黄体酮注射液",
                 "chrg_type": "09", "cnt": "3", "pric": "12.50", "sumamt": "37.50", "drord_dr_codg": "D440106000001",
                 "drord_begn_date": "2025-03-01 09:30:00", "curr_drord_flag": "1", "long_drord_flag": "0"},
                {"rx_id": "RX2", "hilist_code": "XN02BEA015A0010101234", "hilist_name": "对乙酰氨基酚片",
                 "chrg_type": "09", "cnt": 1, "pric": 15, "sumamt": 15, "drord_begn_date": "2025-03-01 09:30:00",
                 "curr_drord_flag": "1"},
            ],
            "fsi_operation_dtos": [],
        }],
    }],
}


def request_body(**changes: Any) -> dict[str, Any]:
    body = copy.deepcopy(BASE_REQUEST)
    body.update(changes)
    return body


# PostgreSQL (`pg_url`, `store_url`) comes from tests/conftest.py and tests/pg.py.
