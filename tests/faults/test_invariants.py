"""The invariant checks themselves, on hand-made records: each one must be able to fail,
or a green fault run would prove nothing."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from multidict import CIMultiDict, CIMultiDictProxy

from tests.crm.receiver import Hit
from tests.faults._invariants import (
    CallRow,
    DbRecord,
    Delivery,
    adopted_wait_covers_whole_wait,
    every_call_has_one_final_row,
    no_webhook_lost,
    operator_never_double_booked,
    queue_log_complete,
    sim_record,
)

pytestmark = pytest.mark.faults

T0 = 1_800_000_000.0
PHONE = "Local/201@operators"


def _channel(cid: str, origin: str, *, created: float, destroyed: float | None,
             args: list[str] | None = None, bridges: list[dict[str, Any]] | None = None,
             endpoint: str = "PJSIP/pstn") -> dict[str, Any]:  # fmt: skip
    timeline = [{"seq": 1, "at": created, "event": "stasis_start"}] if args else []
    return {
        "id": cid, "origin": origin, "endpoint": endpoint, "args": args, "created": created,
        "destroyed": destroyed, "bridges": bridges or [], "timeline": timeline,
    }  # fmt: skip


def _stay(bridge: str, entered: float, left: float | None, *others: str) -> dict[str, Any]:
    return {"bridge": bridge, "entered": entered, "left": left, "with": list(others)}


def _originate(leg: str, call_id: str) -> dict[str, Any]:
    return {
        "method": "POST", "path": f"/ari/channels/{leg}", "body": None,
        "params": {"endpoint": PHONE, "appArgs": f"operator,{call_id},anna"},
    }  # fmt: skip


def _two_calls(second_rung_at: float) -> list[dict[str, Any]]:
    """Caller c1 talks to anna on leg cr-1 from T0+1 to T0+5; leg cr-2 rings her phone
    for caller c2 at ``second_rung_at``."""
    return [
        _channel("c1", "inbound", created=T0, destroyed=T0 + 5, args=["inbound"],
                 bridges=[_stay("b1", T0 + 1, T0 + 5, "cr-1")]),
        _channel("cr-1", "originate", created=T0 + 0.5, destroyed=T0 + 5, endpoint=PHONE,
                 bridges=[_stay("b1", T0 + 1, T0 + 5, "c1")]),
        _channel("c2", "inbound", created=T0 + 2, destroyed=T0 + 9, args=["inbound"]),
        _channel("cr-2", "originate", created=second_rung_at, destroyed=second_rung_at + 1,
                 endpoint=PHONE),
    ]  # fmt: skip


@pytest.mark.parametrize(("second_rung_at", "booked_twice"), [(T0 + 3, True), (T0 + 5, False)])
def test_a_phone_rung_while_on_another_call_is_double_booked(
    second_rung_at: float, booked_twice: bool
) -> None:
    requests = [_originate("cr-1", "call-1"), _originate("cr-2", "call-2")]
    record = sim_record("node-a", requests, _two_calls(second_rung_at))
    assert bool(operator_never_double_booked([record])) is booked_twice


def test_a_caller_without_exactly_one_finished_row_is_reported() -> None:
    record = sim_record("node-a", [_originate("cr-1", "call-1")], _two_calls(T0 + 6))
    db = DbRecord(
        calls=(
            CallRow("call-1", "node-a", "c1", "answered", 1.0, "anna"),
            CallRow("call-x", "node-a", "c9", "lost", None, None),
        ),
        events={},
        deliveries=(),
    )
    found = every_call_has_one_final_row([record], db)
    assert any("c2: 0 call rows" in line for line in found)
    assert any("never entered" in line for line in found)
    assert not any("c1" in line for line in found)


@pytest.mark.parametrize(("wait_s", "holds"), [(1.0, True), (0.2, False), (None, False)])
def test_an_adopted_callers_wait_runs_from_its_first_stasis_start(
    wait_s: float | None, holds: bool
) -> None:
    record = sim_record("node-a", [_originate("cr-1", "call-1")], _two_calls(T0 + 6))
    db = DbRecord(
        calls=(CallRow("call-1", "node-a", "c1", "answered", wait_s, "anna"),),
        events={},
        deliveries=(),
    )
    found = adopted_wait_covers_whole_wait([record], db, [("node-a", "c1")])
    assert (not found) is holds


def test_an_answered_call_needs_its_connect_and_completion() -> None:
    db = DbRecord(
        calls=(
            CallRow("ok", "n", "c1", "answered", 1.0, "anna"),
            CallRow("short", "n", "c2", "answered", 1.0, "anna"),
            CallRow("gone", "n", "c3", "abandoned", 1.0, None),
        ),
        events={
            "ok": ("ENTERQUEUE", "CONNECT", "COMPLETEAGENT"),
            "short": ("ENTERQUEUE", "CONNECT"),
            "gone": ("ENTERQUEUE", "ABANDON", "ABANDON"),
        },
        deliveries=(),
    )
    found = queue_log_complete(db)
    assert len(found) == 2
    assert "short" in found[0] and "gone" in found[1]


def _hit(event: str, delivery: str, call_id: str) -> Hit:
    headers = CIMultiDict({"X-Callrouter-Event": event, "X-Callrouter-Delivery": delivery})
    body = {"call_id": call_id, "operator": {"id": "anna"}}
    return Hit(path="/hook", headers=CIMultiDictProxy(headers), body=json.dumps(body).encode())


def test_a_webhook_the_crm_never_got_is_lost() -> None:
    record = sim_record("node-a", [_originate("cr-1", "call-1")], _two_calls(T0 + 6))
    db = DbRecord(
        calls=(CallRow("call-1", "node-a", "c1", "answered", 1.0, "anna"),),
        events={"call-1": ("ENTERQUEUE", "CONNECT", "COMPLETEAGENT")},
        deliveries=(
            Delivery("d1", "call.offered", "call-1", "delivered"),
            Delivery("d2", "call.answered", "call-1", "pending"),
            Delivery("d3", "call.ended", "call-1", "pending"),
        ),
    )
    hits = [_hit("call.offered", "d1", "call-1"), _hit("call.answered", "d2", "call-1")]
    found = no_webhook_lost([record], db, hits)
    assert found == [
        "no call.ended for answered call call-1",
        "call.ended delivery d3 (call call-1) pending, never received",
    ]


@pytest.mark.parametrize(
    ("killed_at", "reported"),
    [(T0 + 2.05, False), (T0 + 1.5, False), (T0 + 3, True)],
    ids=["in-flight-at-kill", "entered-while-down", "handled-before-kill"],
)
def test_only_a_caller_whose_whole_stay_fell_in_a_kill_may_have_no_row(
    killed_at: float, reported: bool
) -> None:
    """c2 enters at T0+2 and hangs up at T0+9; serve is back at T0+10."""
    record = sim_record("node-a", [_originate("cr-1", "call-1")], _two_calls(T0 + 6))
    db = DbRecord(
        calls=(CallRow("call-1", "node-a", "c1", "answered", 1.0, "anna"),),
        events={},
        deliveries=(),
    )
    back = datetime.fromtimestamp(T0 + 10, UTC)
    down = [("node-a", datetime.fromtimestamp(killed_at, UTC), back)]
    found = every_call_has_one_final_row([record], db, down)
    assert any("c2: 0 call rows" in line for line in found) is reported
