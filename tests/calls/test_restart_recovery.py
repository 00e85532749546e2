"""A restart while calls talk and callers wait: one rebuild from what Asterisk says, then
routing. Nobody is rung while on a call, waiting callers keep their wait, and adopted
calls end with the same rows and queue_log lines as calls that were never interrupted."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from callrouter.config import Settings
from callrouter.sim import SimControl, SimulatedAsterisk
from tests.calls.harness import (
    ari_requests,
    call_events,
    eventually,
    final_call_row,
    make_settings,
    running_service,
)
from tests.fixtures_sim import SIM_PASSWORD, SIM_USERNAME

WAITED_BEFORE_RESTART_S = 1.0


@pytest.fixture
async def sim(tmp_path: Path) -> AsyncIterator[SimulatedAsterisk]:
    """At real time: channel creation times stand in for lost rows here, and a scaled
    simulator's clock runs ahead of ours."""
    async with SimulatedAsterisk(
        username=SIM_USERNAME, password=SIM_PASSWORD, host="127.0.0.1", port=0,
        recordings_dir=tmp_path / "recordings", time_scale=1.0,
    ) as simulator:  # fmt: skip
        yield simulator


def _two_operators(sim: SimulatedAsterisk) -> Settings:
    return make_settings(
        sim,
        queues={"support": {"join_empty": True, "wrapup_s": 0.2, "ring_timeout_s": 5}},
        operators={
            "anna": {"endpoint": "PJSIP/101", "queues": {"support": 0}, "logged_in": True},
            "bob": {"endpoint": "PJSIP/102", "queues": {"support": 0}, "logged_in": True},
        },
    )


async def _bridges(control: SimControl) -> list[list[str]]:
    state = await control.state()
    return [b["channels"] for b in state["bridges"] if len(b["channels"]) == 2]


async def _talking_and_waiting(
    sim: SimulatedAsterisk, control: SimControl, dsn: str
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Two callers talking to anna and bob, a third waiting, all logged; then stop."""
    for resource in ("101", "102"):
        await control.set_endpoint("PJSIP", resource, behavior="answer", answer_after=0.05)
    async with running_service(_two_operators(sim), dsn):
        talking = [await control.place_call(caller_number=f"+talk{i}") for i in (1, 2)]

        async def both_bridged() -> bool:
            return len(await _bridges(control)) == 2

        await eventually(both_bridged, what="two calls bridged")
        waiting = await control.place_call(caller_number="+waiting")
        await asyncio.sleep(WAITED_BEFORE_RESTART_S)
    return talking, waiting


def _originates(log: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in ari_requests(log, "POST", "/ari/channels") if r["path"] == "/ari/channels"]


async def _rows(dsn: str) -> dict[str, asyncpg.Record]:
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch("SELECT * FROM calls")
    finally:
        await conn.close()
    return {r["caller_number"]: r for r in rows}


async def test_restart_rings_nobody_on_a_call_and_keeps_the_wait(
    sim: SimulatedAsterisk, sim_control: SimControl, db_dsn: str
) -> None:
    talking, waiting = await _talking_and_waiting(sim, sim_control, db_dsn)
    await sim_control.clear_requests()
    async with running_service(_two_operators(sim), db_dsn) as service:
        assert service.parts is not None
        snapshot = service.parts.router.engine.snapshot()
        states = {o.operator_id: o.state.value for o in snapshot.operators}
        assert states == {"anna": "on_call", "bob": "on_call"}
        # Both operators are busy: the waiting caller must not ring either phone.
        await asyncio.sleep(0.3)
        assert _originates(await sim_control.requests()) == []
        # One talk ends: that operator takes the waiting caller after wrap-up.
        await sim_control.hangup(talking[0]["id"])

        async def waiting_bridged() -> bool:
            return any(waiting["id"] in pair for pair in await _bridges(sim_control))

        await eventually(waiting_bridged, what="the waiting caller connected")
        for call in (talking[1], waiting):
            await sim_control.hangup(call["id"])
        await final_call_row(db_dsn, count=3)
    rows = await _rows(db_dsn)
    assert {n: r["outcome"] for n, r in rows.items()} == {
        "+talk1": "answered",
        "+talk2": "answered",
        "+waiting": "answered",
    }
    assert rows["+waiting"]["wait_s"] >= WAITED_BEFORE_RESTART_S
    assert rows["+talk1"]["talk_s"] >= WAITED_BEFORE_RESTART_S
    for number, last in (("+talk1", "COMPLETECALLER"), ("+talk2", "COMPLETECALLER")):
        events = await call_events(db_dsn, rows[number]["id"])
        assert events[0] == "ENTERQUEUE" and events[-1] == last, (number, events)
        assert events.count("CONNECT") == 1
    events = await call_events(db_dsn, rows["+waiting"]["id"])
    assert events.count("ENTERQUEUE") == 1
    assert events[-1] == "COMPLETECALLER"


async def test_connected_call_is_known_from_asterisk_when_its_rows_never_landed(
    sim: SimulatedAsterisk, sim_control: SimControl, db_dsn: str
) -> None:
    """The batched writer had not flushed before the crash: Asterisk's bridge and the
    operator leg's Stasis arguments still say who talks to whom."""
    talking, waiting = await _talking_and_waiting(sim, sim_control, db_dsn)
    conn = await asyncpg.connect(db_dsn)
    try:
        await conn.execute("DELETE FROM call_events")
        await conn.execute("DELETE FROM calls")
    finally:
        await conn.close()
    await sim_control.clear_requests()
    async with running_service(_two_operators(sim), db_dsn) as service:
        assert service.parts is not None
        snapshot = service.parts.router.engine.snapshot()
        assert {o.state.value for o in snapshot.operators} == {"on_call"}
        await asyncio.sleep(0.3)
        assert _originates(await sim_control.requests()) == []
        for call in (*talking, waiting):
            await sim_control.hangup(call["id"])
        await final_call_row(db_dsn, count=3)
    rows = await _rows(db_dsn)
    assert rows["+talk1"]["outcome"] == "answered"
    assert rows["+talk1"]["operator_id"] in ("anna", "bob")
    assert rows["+waiting"]["outcome"] == "abandoned"
    # Asterisk's channel creation time bounds the wait when the row is gone.
    assert rows["+waiting"]["wait_s"] >= WAITED_BEFORE_RESTART_S


async def test_operator_states_survive_a_restart(
    sim: SimulatedAsterisk, sim_control: SimControl, db_dsn: str
) -> None:
    """A restart neither logs everybody in (the config's ``logged_in``) nor out: each
    operator comes back in the state, and pause reason, PostgreSQL remembers."""
    settings = make_settings(
        sim,
        operators={
            "anna": {"endpoint": "PJSIP/101", "queues": {"support": 0}},
            "bob": {"endpoint": "PJSIP/102", "queues": {"support": 0}, "logged_in": True},
            "cleo": {"endpoint": "PJSIP/103", "queues": {"support": 0}, "logged_in": True},
        },
    )
    async with running_service(settings, db_dsn) as service:
        assert service.parts is not None and service.parts.center is not None
        center = service.parts.center
        await center.operator_action("anna", "login", None)
        await center.operator_action("anna", "pause", "lunch")
        await center.operator_action("bob", "logout", None)

        async def states_written() -> bool:
            conn = await asyncpg.connect(db_dsn)
            try:
                rows = await conn.fetch("SELECT id, state FROM operators")
            finally:
                await conn.close()
            return {r["id"]: r["state"] for r in rows} == {
                "anna": "paused", "bob": "logged_out", "cleo": "available",
            }  # fmt: skip

        await eventually(states_written, what="operator states in PostgreSQL")
    async with running_service(settings, db_dsn) as service:
        assert service.parts is not None
        views = {o.operator_id: o for o in service.parts.router.engine.snapshot().operators}
        assert (views["anna"].state.value, views["anna"].pause_reason) == ("paused", "lunch")
        assert views["bob"].state.value == "logged_out"
        assert views["cleo"].state.value == "available"
