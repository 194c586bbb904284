"""Hostile values in every field of a 3101/3102/3103 body: huge integers, lone surrogates, NULs and
control characters. Whatever arrives, the answer is a 200 or a precise 400 — never a 5xx."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from medaudit.store import StateStore

from .conftest import BASE_REQUEST, INSTITUTION

Make = Callable[..., tuple[TestClient, StateStore]]
MARK = "\x1eHOSTILE\x1e"

#: raw JSON tokens: numbers past Python's int-conversion limit, escapes no store can hold
HUGE = ("1" + "0" * 4999, "-" + "9" * 5000)
BAD_TEXT = ('"\\ud800"', '"x\\udfffy"', '"\\udc00\\ud800"', '"\\u0000"', '"a\\u0000b"', '"\\u0001"', '"\\u001b[31m"',
            '"\\u007f"', '"\\u000b"')


def _leaves(value: Any, path: str) -> Iterator[str]:
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _leaves(v, f"{path}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _leaves(v, f"{path}[{i}]")
    else:
        yield path


def _settlement() -> dict[str, Any]:
    body = copy.deepcopy(BASE_REQUEST)
    body["trig_scen"] = "6"  # 门诊结算: the encounter is written to the history store
    return body


def _place(body: dict[str, Any], path: str) -> dict[str, Any]:
    """A copy of ``body`` with the value at ``path`` (``data.a[0].b``) replaced by MARK."""
    out = copy.deepcopy(body)
    parts = path.removeprefix("data.").replace("[", ".[").split(".")
    node: Any = out
    for part in parts[:-1]:
        node = node[int(part[1:-1])] if part.startswith("[") else node[part]
    last = parts[-1]
    if last.startswith("["):
        node[int(last[1:-1])] = MARK
    else:
        node[last] = MARK
    return out


def _text_with(body: dict[str, Any], path: str, token: str) -> bytes:
    text = json.dumps(_place(body, path), ensure_ascii=True)
    return text.replace(json.dumps(MARK), token).encode("utf-8")


PATHS = sorted(set(_leaves(BASE_REQUEST, "data")))
FEEDBACK = {"warn_type": "1", "warns": [{"warn_rslt_id": "X", "dspo_way": "1", "dspo_way_rea": "临床需要"}]}
FEEDBACK_PATHS = sorted(set(_leaves(FEEDBACK, "data")))


def _check(resp: Any, path: str, token: str) -> None:
    assert resp.status_code < 500, f"{path} = {token[:40]}: {resp.status_code} {resp.text[:300]}"
    data = resp.json()  # the answer itself is valid JSON, whatever came in
    if resp.status_code >= 400:
        assert data["err_msg"]
        if token in BAD_TEXT:
            assert resp.status_code == 400 and data["path"] == path, data
            assert ("代理字符" in data["err_msg"]) or ("控制字符" in data["err_msg"])
        if token in HUGE:
            assert resp.status_code == 400 and "位数过多" in data["err_msg"]


@pytest.fixture
def hostile(make_client: Make) -> tuple[TestClient, dict[str, str]]:
    c, state = make_client()
    return c, {"X-API-Key": state.create_key(INSTITUTION), "Content-Type": "application/json"}


_TOKENS = st.one_of(
    st.sampled_from(HUGE + BAD_TEXT),
    st.text(st.characters(exclude_categories=()), max_size=12).map(lambda t: json.dumps(t, ensure_ascii=True)),
    st.integers(min_value=-(10**60), max_value=10**60).map(str),
    st.sampled_from(("1e99999", "-1e400", "NaN", "Infinity", "0.000000000000000000001", "null", "true", "[]", "{}")),
)


@given(path=st.sampled_from(PATHS), token=_TOKENS, settle=st.booleans())
@settings(max_examples=250, deadline=None, suppress_health_check=list(HealthCheck))
def test_any_value_in_any_field_is_never_a_5xx(hostile: tuple[TestClient, dict[str, str]], path: str, token: str,
                                                settle: bool) -> None:
    c, headers = hostile
    body = _settlement() if settle else BASE_REQUEST
    endpoint = "/api/3102" if settle else "/api/3101"
    _check(c.post(endpoint, content=_text_with(body, path, token), headers=headers), path, token)


@given(path=st.sampled_from(FEEDBACK_PATHS), token=_TOKENS)
@settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck))
def test_any_value_in_any_feedback_field_is_never_a_5xx(hostile: tuple[TestClient, dict[str, str]], path: str,
                                                         token: str) -> None:
    c, headers = hostile
    _check(c.post("/api/3103", content=_text_with(FEEDBACK, path, token), headers=headers), path, token)


def test_huge_integer_and_lone_surrogate_are_precise_400s(hostile: tuple[TestClient, dict[str, str]]) -> None:
    c, headers = hostile
    resp = c.post("/api/3101", content=_text_with(BASE_REQUEST, "data.patient_dtos[0].fsi_encounter_dtos[0]"
                                                  ".fsi_order_dtos[0].cnt", HUGE[0]), headers=headers)
    assert resp.status_code == 400 and "too many digits" in resp.json()["err_msg"]
    name = "data.patient_dtos[0].patn_name"
    resp = c.post("/api/3101", content=_text_with(BASE_REQUEST, name, '"\\ud800"'), headers=headers)
    assert resp.status_code == 400
    assert resp.json()["path"] == name and "lone UTF-16 surrogate U+D800" in resp.json()["err_msg"]
    # a surrogate *pair* is one ordinary character and is accepted
    resp = c.post("/api/3101", content=_text_with(BASE_REQUEST, name, '"\\ud83d\\ude00"'), headers=headers)
    assert resp.status_code == 200
    # an escaped backslash followed by "u0000" is plain text, not a NUL
    resp = c.post("/api/3101", content=_text_with(BASE_REQUEST, name, '"\\\\u0000"'), headers=headers)
    assert resp.status_code == 200


def test_no_usable_time_anywhere_is_a_precise_400(hostile: tuple[TestClient, dict[str, str]]) -> None:
    """An unreadable admission date and orders without a usable time: nothing to date the visit by
    (once a 500: the encounter took the orders' missing time as its own)."""
    c, headers = hostile
    body = copy.deepcopy(BASE_REQUEST)
    enc = body["patient_dtos"][0]["fsi_encounter_dtos"][0]
    enc["adm_date"] = "2025-03-0109:00:00"
    for o in enc["fsi_order_dtos"]:
        for k in ("drord_begn_date", "fee_ocur_time", "drord_isu_time"):
            o.pop(k, None)
    for path in ("/api/3101", "/api/3102"):
        resp = c.post(path, json=body, headers=headers)
        assert resp.status_code == 400, resp.text
        assert "就诊时间" in resp.json()["err_msg"] and "adm_date" in resp.json()["err_msg"]


@pytest.mark.parametrize("token", ['"\\u0000"', '"\\ud800"'])
def test_settlement_on_postgresql_refuses_unstorable_text_in_every_field(make_client: Make, pg_url: str,
                                                                        token: str) -> None:
    c, state = make_client(history_url=pg_url, state_url=pg_url)
    history = c.app.state.services.history  # type: ignore[attr-defined]
    assert history.dialect == "postgresql"
    headers = {"X-API-Key": state.create_key(INSTITUTION), "Content-Type": "application/json"}
    for path in PATHS:
        resp = c.post("/api/3102", content=_text_with(_settlement(), path, token), headers=headers)
        assert resp.status_code == 400 and resp.json()["path"] == path, (path, resp.text[:300])
    assert c.post("/api/3102", json=_settlement(), headers=headers).status_code == 200
