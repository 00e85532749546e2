"""A restart of the service in the middle of call control, against the simulated
Asterisk over real sockets: a consultation cut short returns the held caller to the
operator (or, with the operator gone, to waiting in their original place), the consulted
party and a supervisor's snoop and phone are hung up, the monitoring's row is closed,
the consulted operator is free again; a transferred call's recording stays the part
that runs."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from callrouter.calls import CallrouterService
from callrouter.calls._monitoring import CallMonitoring
from callrouter.calls._sessions import CallSession
from callrouter.calls._transfers import CallTransfers
from callrouter.config import Settings
from callrouter.sim import SimControl, SimulatedAsterisk
from tests.call_control.test_transfers_live import _bridge_with, _rows, _until_bridged
from tests.calls.harness import (
    call_events,
    eventually,
    final_call_row,
    make_settings,
    running_service,
)
from tests.fixtures_sim import SIM_PASSWORD, SIM_USERNAME


@pytest.fixture
async def sim(tmp_path: Path) -> AsyncIterator[SimulatedAsterisk]:
    """At real time, as the other restart tests: a scaled simulator's clock runs ahead
    of ours, and recovery reads Asterisk's times."""
    async with SimulatedAsterisk(
        username=SIM_USERNAME, password=SIM_PASSWORD, host="127.0.0.1", port=0,
        recordings_dir=tmp_path / "recordings", time_scale=1.0,
    ) as simulator:  # fmt: skip
        yield simulator


def _settings(sim: SimulatedAsterisk) -> Settings:
    return make_settings(
        sim,
        queues={
            "support": {"join_empty": True, "ring_timeout_s": 5, "wrapup_s": 0.1},
            "specialists": {"join_empty": True, "ring_timeout_s": 5, "wrapup_s": 0.1},
        },
        operators={
            "anna": {"endpoint": "PJSIP/101", "queues": {"support": 0}, "logged_in": True},
            "boris": {"endpoint": "PJSIP/102", "queues": {"specialists": 0}, "logged_in": True},
            "sven": {"endpoint": "PJSIP/201", "queues": {}, "logged_in": False},
        },
    )


def _parts(service: CallrouterService) -> tuple[CallTransfers, CallMonitoring]:
    assert service.parts is not None
    transfers, monitoring = (service.parts.extra[k] for k in ("transfers", "monitoring"))
    assert isinstance(transfers, CallTransfers) and isinstance(monitoring, CallMonitoring)
    return transfers, monitoring


async def _channels(control: SimControl) -> list[dict[str, Any]]:
    return list((await control.state())["channels"])


async def _named(control: SimControl, prefix: str) -> list[dict[str, Any]]:
    return [c for c in await _channels(control) if c["name"].startswith(prefix)]


async def _phones_answer(control: SimControl, *resources: str) -> None:
    for resource in resources:
        await control.set_endpoint("PJSIP", resource, behavior="answer", answer_after=0.05)


async def _caller_with_anna(
    service: CallrouterService, control: SimControl, caller_number: str
) -> tuple[dict[str, Any], CallSession]:
    caller = await control.place_call(caller_number=caller_number)
    await _until_bridged(control, caller["id"], "PJSIP/101", what="anna")
    assert service.parts is not None
    [session] = service.parts.sessions.sessions()
    return caller, session


async def _sven_listens_while_anna_consults_boris(
    service: CallrouterService, control: SimControl, call_id: str
) -> None:
    transfers, monitoring = _parts(service)
    await monitoring.start(call_id, supervisor="sven", mode="listen", endpoint=None)

    async def snooping() -> bool:
        return any(c["sim"]["snoop"] for c in await _channels(control))

    await eventually(snooping, what="sven listening")
    await transfers.consult(call_id, kind="operator", target="boris", reason=None, note=None)
    await _until_bridged(control, "PJSIP/101", "PJSIP/102", what="anna consulting boris")


async def _consulting_with_a_listener(
    sim: SimulatedAsterisk, control: SimControl, dsn: str, *, second_caller: bool = False
) -> tuple[dict[str, Any], str, dict[str, Any] | None]:
    """Anna talks to a caller, consults boris (the caller on hold), sven listens; then
    callrouter stops. With ``second_caller``, another caller waits for anna meanwhile."""
    await _phones_answer(control, "101", "102", "201")
    waiting = None
    async with running_service(_settings(sim), dsn) as service:
        caller, session = await _caller_with_anna(service, control, "+4930100")
        if second_caller:
            waiting = await control.place_call(caller_number="+4930200")
        await _sven_listens_while_anna_consults_boris(service, control, session.call_id)
        held = next(c for c in await _channels(control) if c["id"] == caller["id"])
        assert held["sim"]["on_hold"] and held["sim"]["bridge_id"] is None
    return caller, session.call_id, waiting


async def _call_control_gone(control: SimControl) -> bool:
    state = await control.state()
    leftovers = [
        c for c in state["channels"]
        if c["sim"]["snoop"] or c["name"].startswith(("PJSIP/102", "PJSIP/201"))
    ]  # fmt: skip
    monitor_bridges = [b for b in state["bridges"] if b["id"].startswith("cr-mon-")]
    return not leftovers and not monitor_bridges


async def _monitoring_rows(dsn: str) -> list[asyncpg.Record]:
    return await _rows(dsn, "SELECT supervisor, mode, ended_at FROM call_monitoring")


async def test_a_restart_mid_consult_returns_the_caller_and_ends_the_monitoring(
    sim: SimulatedAsterisk, sim_control: SimControl, db_dsn: str
) -> None:
    caller, call_id, _ = await _consulting_with_a_listener(sim, sim_control, db_dsn)
    [open_row] = await _monitoring_rows(db_dsn)
    assert open_row["ended_at"] is None  # nobody closed it: callrouter was away
    async with running_service(_settings(sim), db_dsn) as service:
        await eventually(lambda: _call_control_gone(sim_control), what="consult and snoop gone")
        await _until_bridged(
            sim_control, caller["id"], "PJSIP/101", what="the caller back with anna", alone=True
        )
        back = next(c for c in await _channels(sim_control) if c["id"] == caller["id"])
        assert not back["sim"]["on_hold"] and back["sim"]["moh_class"] is None
        assert service.parts is not None
        states = {o.operator_id: o for o in service.parts.router.engine.snapshot().operators}
        assert states["anna"].state.value == "on_call" and states["anna"].call_id == call_id
        # Boris was reserved for the consultation; it is over, so is his reservation.
        assert states["boris"].state.value == "available", states["boris"]
        await sim_control.hangup(caller["id"])
        [row] = await final_call_row(db_dsn)
    assert (row["outcome"], row["operator_id"]) == ("answered", "anna")
    assert (await call_events(db_dsn, row["id"])).count("CONNECT") == 1
    [closed] = await _monitoring_rows(db_dsn)
    assert (closed["supervisor"], closed["mode"]) == ("sven", "listen")
    assert closed["ended_at"] is not None


async def test_a_held_caller_whose_operator_left_during_the_restart_keeps_their_place(
    sim: SimulatedAsterisk, sim_control: SimControl, db_dsn: str
) -> None:
    caller, call_id, waiting = await _consulting_with_a_listener(
        sim, sim_control, db_dsn, second_caller=True
    )
    assert waiting is not None
    [anna_leg] = await _named(sim_control, "PJSIP/101")
    await sim_control.hangup(anna_leg["id"])  # while callrouter is away
    async with running_service(_settings(sim), db_dsn):
        await eventually(lambda: _call_control_gone(sim_control), what="consult and snoop gone")
        # Anna is free again: the held caller, who joined first, is hers before the
        # caller who came later.
        await _until_bridged(sim_control, caller["id"], "PJSIP/101", what="anna again")
        assert await _bridge_with(sim_control, waiting["id"]) is None
        await sim_control.hangup(caller["id"])
        await _until_bridged(sim_control, waiting["id"], "PJSIP/101", what="the next one")
        await sim_control.hangup(waiting["id"])
        await final_call_row(db_dsn, count=2)
    rows = {
        r["caller_number"]: r
        for r in await _rows(db_dsn, "SELECT id, caller_number, outcome, operator_id FROM calls")
    }
    held = rows["+4930100"]
    assert (str(held["id"]), held["outcome"], held["operator_id"]) == (call_id, "answered", "anna")
    events = await call_events(db_dsn, held["id"])
    assert events.count("ENTERQUEUE") == 1, events  # the same place in line, not a new one


async def test_a_transferred_call_after_a_restart_pauses_its_second_recording(
    sim: SimulatedAsterisk, sim_control: SimControl, db_dsn: str
) -> None:
    await _phones_answer(sim_control, "101", "102")
    async with running_service(_settings(sim), db_dsn) as service:
        transfers, _ = _parts(service)
        caller, session = await _caller_with_anna(service, sim_control, "+4930300")
        call_id = session.call_id
        await transfers.blind(call_id, kind="queue", target="specialists", reason=None, note=None)
        await _until_bridged(sim_control, caller["id"], "PJSIP/102", what="boris")
        part_two = f"callrouter-{call_id}-2"

        async def part_two_running() -> bool:
            live = (await sim_control.state())["recordings"]["live"]
            return any(r["name"] == part_two for r in live)

        await eventually(part_two_running, what="the second part recording")
    async with running_service(_settings(sim), db_dsn) as service:
        assert service.parts is not None and service.parts.center is not None
        await eventually(
            lambda: _session_of(service, call_id), what="the call adopted after the restart"
        )
        restored = service.parts.sessions.get(call_id)
        assert restored is not None and restored.recording_name == part_two
        assert restored.recording_parts == 2
        await service.parts.center.pause_recording(call_id)

        async def part_two_paused() -> bool:
            live = (await sim_control.state())["recordings"]["live"]
            return any(r["name"] == part_two and r["state"] == "paused" for r in live)

        await eventually(part_two_paused, what="the running part paused")
        await sim_control.hangup(caller["id"])
        await final_call_row(db_dsn)
    recordings = await _rows(
        db_dsn, "SELECT name, state FROM recordings WHERE call_id = $1 ORDER BY started_at",
        call_id,
    )  # fmt: skip
    assert [r["name"] for r in recordings] == [f"callrouter-{call_id}", part_two]


async def _session_of(service: CallrouterService, call_id: str) -> bool:
    return service.parts is not None and service.parts.sessions.get(call_id) is not None


async def test_a_websocket_gap_leaves_a_consultation_and_a_monitoring_running(
    sim: SimulatedAsterisk, sim_control: SimControl, db_dsn: str
) -> None:
    """Not a restart: this process still holds both, so recovery leaves their channels."""
    await _phones_answer(sim_control, "101", "102", "201")
    async with running_service(_settings(sim), db_dsn) as service:
        transfers, _ = _parts(service)
        caller, session = await _caller_with_anna(service, sim_control, "+4930400")
        await _sven_listens_while_anna_consults_boris(service, sim_control, session.call_id)
        assert service.parts is not None
        reconnects = service.parts.ari.health.reconnects
        assert await sim_control.drop_websockets() == 1

        async def reconnected() -> bool:
            assert service.parts is not None
            return service.parts.ari.health.reconnects > reconnects

        # Counted once the resync (and so recovery) is done.
        await eventually(reconnected, what="the events WebSocket back")
        # The consultation and the snoop are still there and still callrouter's.
        assert await _named(sim_control, "PJSIP/102") and await _named(sim_control, "Snoop/")
        assert transfers.consult_of(session.call_id) is not None
        await transfers.complete(session.call_id)
        await _until_bridged(sim_control, caller["id"], "PJSIP/102", what="with boris")
        await sim_control.hangup(caller["id"])
        [row] = await final_call_row(db_dsn)
    assert (row["outcome"], row["operator_id"]) == ("answered", "boris")
