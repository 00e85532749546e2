"""Whole inbound calls: simulated Asterisk on the wire, real PostgreSQL, real service."""

from __future__ import annotations

import asyncio

from callrouter.sim import SimControl, SimulatedAsterisk
from tests.calls.harness import (
    ari_requests,
    call_events,
    eventually,
    final_call_row,
    make_settings,
    running_service,
)


async def test_direct_connect_records_and_logs(
    sim: SimulatedAsterisk, sim_control: SimControl, db_dsn: str
) -> None:
    await sim_control.set_endpoint("PJSIP", "101", behavior="answer", answer_after=1)
    settings = make_settings(sim)
    async with running_service(settings, db_dsn) as service:
        caller = await sim_control.place_call(caller_number="+4930123", caller_name='Eve "x" O\'Neil')
        assert service.parts is not None

        async def bridged() -> bool:
            state = await sim_control.state()
            return any(len(b["channels"]) == 2 for b in state["bridges"])

        await eventually(bridged, what="caller and operator bridged")
        await sim_control.hangup(caller["id"])
        [row] = await final_call_row(db_dsn)
        log = await sim_control.requests()
    assert row["outcome"] == "answered"
    assert row["operator_id"] == "anna"
    assert row["queue_name"] == "support"
    assert row["caller_name"] == 'Eve "x" O\'Neil'
    assert row["answered_at"] is not None and row["ended_at"] >= row["answered_at"]
    [originate] = [r for r in ari_requests(log, "POST", "/ari/channels/") if r["params"].get("endpoint")]
    assert originate["params"]["endpoint"] == "PJSIP/101"
    assert originate["params"]["app"] == "callrouter"
    assert ari_requests(log, "POST", "/addChannel")
    assert ari_requests(log, "POST", "/record")
    events = await call_events(db_dsn, row["id"])
    assert events[:2] == ["ENTERQUEUE", "CONNECT"]
    assert events[-1] == "COMPLETECALLER"
    assert "RECORDING" in events
