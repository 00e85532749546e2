"""The bodies: builders from plain values, and docs that cannot drift from the models."""

from __future__ import annotations

import json
import re
import uuid
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from pydantic import BaseModel, ValidationError

import callrouter.crm
from callrouter.crm import (
    EVENTS,
    CallAnswered,
    CallbackRequested,
    CallEnded,
    Caller,
    CallOffered,
    CustomerCard,
    Operator,
    Outcome,
    Recording,
    call_ended,
    call_offered,
    callback_requested,
)
from tests.crm.calls import CUSTOMER, ORDER, life
from tests.crm.conftest import T0

DOC = callrouter.crm.__doc__ or ""
MODELS: list[type[BaseModel]] = [
    CallOffered,
    CallAnswered,
    CallEnded,
    CallbackRequested,
    Operator,
    Caller,
    CustomerCard,
    Recording,
]


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_every_field_is_documented(model: type[BaseModel]) -> None:
    missing = [name for name in model.model_fields if f"`{name}`" not in DOC]
    assert not missing, f"{model.__name__}: document {missing} in callrouter/crm/__init__.py"


def test_every_event_is_documented_and_built() -> None:
    assert list(EVENTS) == [*ORDER, "call.transferred"]  # tests/call_control builds it
    for event in ORDER:
        assert f"`{event}`" in DOC
    assert [payload.event for payload in life(uuid.uuid4())] == ORDER


def test_the_documented_example_is_a_valid_body() -> None:
    example = DOC.split("```json\n", 1)[1].split("```", 1)[0]
    body = CallOffered.model_validate(json.loads(example))
    assert body.to_json() == json.loads(example)


def test_outcomes_match_the_calls_table() -> None:
    sql = (Path(__file__).parents[2] / "migrations" / "001_initial.sql").read_text()
    check = re.search(r"outcome\s+text CHECK \(outcome IN \((.*?)\)\)", sql, re.S)
    assert check is not None
    assert re.findall(r"'(\w+)'", check.group(1)) == list(Outcome.__args__)  # type: ignore[attr-defined]


def test_screen_pop_from_plain_values() -> None:
    call_id = uuid.uuid4()
    body = call_offered(
        call_id=str(call_id),
        queue="support",
        operator_id="anna",
        operator_name="Anna Berg",
        operator_endpoint="PJSIP/101",
        caller_number="+4930123456",
        customer=CUSTOMER,  # a customers row: phone, priority and id are not sent
        offered_at=T0,
    ).to_json()
    assert body == {
        "schema_version": 1,
        "event": "call.offered",
        "call_id": str(call_id),
        "queue": "support",
        "operator": {"id": "anna", "name": "Anna Berg", "endpoint": "PJSIP/101"},
        "caller": {"number": "+4930123456", "name": ""},
        "customer": {
            "name": "ACME GmbH",
            "tier": "gold",
            "account": "C-1042",
            "notes": CUSTOMER["notes"],
        },
        "script_url": None,
        "offered_at": "2026-11-23T09:00:12Z",
    }


def test_unknown_caller_abandoned_call_and_api_callback_give_nulls() -> None:
    ended = call_ended(
        call_id=uuid.uuid4(),
        queue="sales",
        caller_number="",
        outcome="abandoned",
        wait_s=40,
        ended_at=T0,
    ).to_json()
    assert ended["operator"] is None and ended["recording"] is None
    assert ended["talk_s"] == 0 and ended["hangup_cause"] is None
    callback = callback_requested(
        callback_id=None,
        call_id=None,
        queue=None,
        phone="+4930123456",
        requested_at=T0,
        due_at=T0 + timedelta(hours=1),
    ).to_json()
    assert callback["call_id"] is None
    assert callback["caller"] == {"number": "+4930123456", "name": ""}


def test_bad_values_fail_where_the_body_is_built() -> None:
    with pytest.raises(ValidationError):
        call_ended(
            call_id=uuid.uuid4(),
            queue=None,
            caller_number="1",
            outcome="answered",
            wait_s=0,
            ended_at=datetime(2026, 11, 23, 9, 0),  # naive: which zone?
        )
    with pytest.raises(ValidationError):
        call_ended(
            call_id=uuid.uuid4(),
            queue=None,
            caller_number="1",
            outcome="hung_up",  # type: ignore[arg-type]
            wait_s=0,
            ended_at=T0,
        )
    with pytest.raises(ValidationError):
        call_ended(
            call_id="not-a-uuid",
            queue=None,
            caller_number="1",
            outcome="lost",
            wait_s=-1,
            ended_at=T0,
        )
