"""Supervisor monitoring end to end, over the HTTP API, against the service on the
simulated Asterisk: the snoop channel's spy and whisper directions, the bridges each
party is in, and the call_monitoring rows."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg

from callrouter.calls import CallrouterService
from callrouter.calls._monitoring import CallMonitoring
from callrouter.calls._sessions import CallSession
from callrouter.sim import SimControl, SimulatedAsterisk
from tests.call_control.test_transfers_live import _bridge_with, _channel, _rows, _until_bridged
from tests.calls.harness import eventually, final_call_row, make_settings, running_service
from tests.calls.test_api_live import TOKEN, Api, _free_port


def _settings(sim: SimulatedAsterisk, port: int) -> Any:
    return make_settings(
        sim,
        http={"enabled": True, "host": "127.0.0.1", "port": port, "token": TOKEN},
        queues={"support": {"ring_timeout_s": 3, "wrapup_s": 0.1}},
        operators={
            "anna": {"endpoint": "PJSIP/101", "queues": {"support": 0}, "logged_in": True},
            "sven": {"endpoint": "PJSIP/201", "queues": {}, "logged_in": False},
        },
    )


async def _snoops(control: SimControl) -> list[dict[str, Any]]:
    state = await control.state()
    return [c for c in state["channels"] if c["sim"]["snoop"] is not None]


async def _setup(sim: SimulatedAsterisk, control: SimControl) -> tuple[int, Api]:
    for resource in ("101", "201"):
        await control.set_endpoint("PJSIP", resource, behavior="answer", answer_after=0.1)
    port = _free_port()
    return port, Api(port)


@asynccontextmanager
async def _call_with_anna(
    sim: SimulatedAsterisk, control: SimControl, dsn: str, port: int, *, caller_number: str
) -> AsyncIterator[tuple[CallrouterService, dict[str, Any], CallSession]]:
    async with running_service(_settings(sim, port), dsn) as service:
        assert service.parts is not None
        caller = await control.place_call(caller_number=caller_number)
        await _until_bridged(control, caller["id"], "PJSIP/101", what="anna")
        [session] = service.parts.sessions.sessions()
        yield service, caller, session


async def test_listen_then_whisper_then_barge_with_the_right_audio(
    sim: SimulatedAsterisk, sim_control: SimControl, db_dsn: str
) -> None:
    port, api = await _setup(sim, sim_control)
    calling = _call_with_anna(sim, sim_control, db_dsn, port, caller_number="+4930222")
    async with calling as (_service, caller, session):
        anna_leg = session.legs["anna"].channel_id
        status, body = await api.call(
            "POST", f"/calls/{session.call_id}/monitor", {"supervisor": "sven", "mode": "listen"}
        )
        assert status == 201, body
        monitor_id = body["monitor_id"]

        async def one_snoop() -> list[dict[str, Any]] | None:
            snoops = await _snoops(sim_control)
            return snoops if len(snoops) == 1 else None

        # Listen: the supervisor hears both directions of the operator's leg, says nothing
        # to anyone; the snoop and the supervisor share a bridge apart from the call.
        [listen] = await eventually(one_snoop, what="listen snoop")
        assert listen["sim"]["snoop"] == {"of": anna_leg, "spy": "both", "whisper": "none"}
        assert await eventually(
            lambda: _bridge_with(sim_control, listen["id"], "PJSIP/201"), what="monitor bridge"
        )
        call_bridge = await _bridge_with(sim_control, caller["id"], "PJSIP/101")
        assert call_bridge is not None and len(call_bridge) == 2

        # Whisper: the same bridge, a new snoop that talks into the operator's ear only.
        status, body = await api.call(
            "POST", f"/calls/{session.call_id}/monitor/{monitor_id}/mode", {"mode": "whisper"}
        )
        assert status == 200, body

        async def whisper_snoop() -> dict[str, Any] | None:
            snoops = await _snoops(sim_control)
            return snoops[0] if len(snoops) == 1 and snoops[0]["id"] != listen["id"] else None

        whisper = await eventually(whisper_snoop, what="whisper snoop")
        assert whisper["sim"]["snoop"] == {"of": anna_leg, "spy": "both", "whisper": "out"}
        assert await eventually(
            lambda: _bridge_with(sim_control, whisper["id"], "PJSIP/201"), what="whisper bridged"
        )

        # Barge: no snoop; the supervisor is in the call's own bridge with both parties.
        status, body = await api.call(
            "POST", f"/calls/{session.call_id}/monitor/{monitor_id}/mode", {"mode": "barge"}
        )
        assert status == 200, body

        async def three_in_the_call() -> bool:
            names = await _bridge_with(sim_control, caller["id"], "PJSIP/101", "PJSIP/201")
            return names is not None and len(names) == 3 and not await _snoops(sim_control)

        await eventually(three_in_the_call, what="supervisor barged in")
        await sim_control.hangup(caller["id"])
        [row] = await final_call_row(db_dsn)

        async def supervisor_gone() -> bool:
            state = await sim_control.state()
            return not any(c["name"].startswith("PJSIP/201") for c in state["channels"])

        await eventually(supervisor_gone, what="supervisor hung up with the call")
    assert row["outcome"] == "answered"

    async def closed_log() -> list[asyncpg.Record] | None:
        rows = await _rows(
            db_dsn,
            "SELECT supervisor, mode, operator_id, started_at, ended_at FROM call_monitoring"
            " WHERE call_id = $1 ORDER BY started_at, id",
            row["id"],
        )
        return rows if len(rows) == 3 and all(r["ended_at"] for r in rows) else None

    log = await eventually(closed_log, what="three closed monitoring rows")
    assert [(r["supervisor"], r["mode"], r["operator_id"]) for r in log] == [
        ("sven", "listen", "anna"), ("sven", "whisper", "anna"), ("sven", "barge", "anna"),
    ]  # fmt: skip
    assert log[0]["ended_at"] <= log[1]["started_at"] and log[1]["ended_at"] <= log[2]["started_at"]


async def test_stopping_and_the_supervisor_hanging_up_end_the_monitoring(
    sim: SimulatedAsterisk, sim_control: SimControl, db_dsn: str
) -> None:
    port, api = await _setup(sim, sim_control)
    calling = _call_with_anna(sim, sim_control, db_dsn, port, caller_number="+4930333")
    async with calling as (_service, caller, session):
        path = f"/calls/{session.call_id}/monitor"
        status, body = await api.call("POST", path, {"supervisor": "sven", "mode": "whisper"})
        assert status == 201, body
        await eventually(lambda: _snoops(sim_control), what="whisper snoop")
        status, body = await api.call("POST", f"{path}/{body['monitor_id']}/stop")
        assert status == 200, body

        async def no_supervisor() -> bool:
            state = await sim_control.state()
            names = [c["name"] for c in state["channels"]]
            return not any(n.startswith(("PJSIP/201", "Snoop/")) for n in names)

        await eventually(no_supervisor, what="snoop and supervisor gone")
        # The call goes on, untouched.
        assert await _bridge_with(sim_control, caller["id"], "PJSIP/101")
        # Again, and this time the supervisor hangs up their phone.
        status, body = await api.call("POST", path, {"supervisor": "sven", "mode": "listen"})
        assert status == 201, body
        await eventually(lambda: _snoops(sim_control), what="listen snoop")
        state = await sim_control.state()
        sven = next(c for c in state["channels"] if c["name"].startswith("PJSIP/201"))
        await sim_control.hangup(sven["id"])
        await eventually(no_supervisor, what="snoop gone with the supervisor")
        assert await _channel(sim_control, caller["id"])

    async def two_closed() -> list[asyncpg.Record] | None:
        rows = await _rows(
            db_dsn, "SELECT mode, ended_at FROM call_monitoring ORDER BY started_at, id"
        )
        return rows if len(rows) == 2 and all(r["ended_at"] for r in rows) else None

    log = await eventually(two_closed, what="two closed monitoring rows")
    assert [r["mode"] for r in log] == ["whisper", "listen"]


async def test_monitoring_a_call_that_is_not_connected_is_refused(
    sim: SimulatedAsterisk, sim_control: SimControl, db_dsn: str
) -> None:
    port, api = await _setup(sim, sim_control)
    async with running_service(_settings(sim, port), db_dsn):
        status, body = await api.call(
            "POST",
            "/calls/00000000-0000-4000-8000-000000000000/monitor",
            {"supervisor": "sven"},
        )
        assert (status, body["error"]["id"]) == (404, "not-found")
        status, body = await api.call(
            "POST",
            "/calls/00000000-0000-4000-8000-000000000000/monitor",
            {"supervisor": "sven", "mode": "shout"},
        )
        assert status == 422 and body["error"]["fields"]


async def test_a_busy_supervisor_phone_ends_the_monitoring_logged(
    sim: SimulatedAsterisk, sim_control: SimControl, db_dsn: str
) -> None:
    port, api = await _setup(sim, sim_control)
    await sim_control.set_endpoint("PJSIP", "201", behavior="busy")
    calling = _call_with_anna(sim, sim_control, db_dsn, port, caller_number="+4930555")
    async with calling as (service, _caller, session):
        path = f"/calls/{session.call_id}/monitor"
        status, body = await api.call("POST", path, {"supervisor": "sven"})
        assert status == 201, body

        async def closed() -> list[asyncpg.Record] | None:
            rows = await _rows(db_dsn, "SELECT mode, ended_at FROM call_monitoring")
            return rows if rows and rows[0]["ended_at"] is not None else None

        [row] = await eventually(closed, what="monitoring closed after the busy phone")
        assert row["mode"] == "listen" and not await _snoops(sim_control)
        assert service.parts is not None
        monitoring = service.parts.extra["monitoring"]
        assert isinstance(monitoring, CallMonitoring)
        assert not monitoring.monitors_of(session.call_id)
