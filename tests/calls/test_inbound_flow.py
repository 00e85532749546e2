"""Whole inbound calls: simulated Asterisk on the wire, real PostgreSQL, real service."""

from __future__ import annotations

import asyncpg

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
        caller = await sim_control.place_call(
            caller_number="+4930123", caller_name='Eve "x" O\'Neil'
        )
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
    [originate] = [
        r for r in ari_requests(log, "POST", "/ari/channels/") if r["params"].get("endpoint")
    ]
    assert originate["params"]["endpoint"] == "PJSIP/101"
    assert originate["params"]["app"] == "callrouter"
    assert ari_requests(log, "POST", "/addChannel")
    assert ari_requests(log, "POST", "/record")
    events = await call_events(db_dsn, row["id"])
    assert events[:2] == ["ENTERQUEUE", "CONNECT"]
    assert events[-1] == "COMPLETECALLER"
    assert "RECORDING" in events


async def bridged_pairs(control: SimControl) -> int:
    state = await control.state()
    return sum(1 for b in state["bridges"] if len(b["channels"]) == 2)


async def test_queued_then_connected_when_operator_frees(
    sim: SimulatedAsterisk, sim_control: SimControl, db_dsn: str
) -> None:
    await sim_control.set_endpoint("PJSIP", "101", behavior="answer", answer_after=0.5)
    async with running_service(make_settings(sim), db_dsn):
        first = await sim_control.place_call(caller_number="+111")
        await eventually(lambda: bridged_pairs(sim_control), what="first call bridged")
        second = await sim_control.place_call(caller_number="+222")

        async def second_waiting_with_music() -> bool:
            log = await sim_control.requests()
            return bool(ari_requests(log, "POST", f"/channels/{second['id']}/moh"))

        await eventually(second_waiting_with_music, what="second caller on hold music")
        await sim_control.hangup(first["id"])

        async def second_bridged() -> bool:
            state = await sim_control.state()
            return any(
                second["id"] in b["channels"] and len(b["channels"]) == 2 for b in state["bridges"]
            )

        await eventually(second_bridged, what="second caller connected after wrap-up")
        await sim_control.hangup(second["id"])
        rows = await final_call_row(db_dsn, count=2)
    by_caller = {r["caller_number"]: r for r in rows}
    assert by_caller["+111"]["outcome"] == by_caller["+222"]["outcome"] == "answered"
    assert by_caller["+222"]["wait_s"] > by_caller["+111"]["wait_s"]
    assert by_caller["+222"]["queued_at"] is not None


async def test_caller_abandons_while_waiting(
    sim: SimulatedAsterisk, sim_control: SimControl, db_dsn: str
) -> None:
    settings = make_settings(
        sim,
        queues={"support": {"join_empty": True}},
        operators={"anna": {"endpoint": "PJSIP/101", "queues": {"support": 0}}},
    )
    async with running_service(settings, db_dsn):
        caller = await sim_control.place_call(caller_number="+333")

        async def on_hold() -> bool:
            return bool(ari_requests(await sim_control.requests(), "POST", "/moh"))

        await eventually(on_hold, what="caller on hold")
        await sim_control.hangup(caller["id"])
        [row] = await final_call_row(db_dsn)
    assert row["outcome"] == "abandoned"
    assert row["answered_at"] is None and row["operator_id"] is None
    assert (await call_events(db_dsn, row["id"]))[-1] == "ABANDON"


async def test_ring_no_answer_goes_to_next_operator_and_pauses_the_first(
    sim: SimulatedAsterisk, sim_control: SimControl, db_dsn: str
) -> None:
    await sim_control.set_endpoint("PJSIP", "101", behavior="noanswer")
    await sim_control.set_endpoint("PJSIP", "102", behavior="answer", answer_after=0.5)
    settings = make_settings(
        sim,
        queues={"support": {"ring_timeout_s": 0.5, "wrapup_s": 0.2, "strategy": "linear"}},
        operators={
            "anna": {"endpoint": "PJSIP/101", "queues": {"support": 0}, "logged_in": True},
            "boris": {"endpoint": "PJSIP/102", "queues": {"support": 0}, "logged_in": True},
        },
    )
    async with running_service(settings, db_dsn) as service:
        caller = await sim_control.place_call(caller_number="+444")
        await eventually(lambda: bridged_pairs(sim_control), what="second operator connected")
        assert service.parts is not None
        anna = service.parts.router.engine.snapshot().operator("anna")
        assert (anna.state.value, anna.pause_reason) == ("paused", "no-answer")
        await sim_control.hangup(caller["id"])
        [row] = await final_call_row(db_dsn)
        log = await sim_control.requests()
    assert row["operator_id"] == "boris" and row["outcome"] == "answered"
    endpoints = [r["params"]["endpoint"] for r in log if r["params"].get("endpoint")]
    assert endpoints[:2] == ["PJSIP/101", "PJSIP/102"]
    assert "RINGNOANSWER" in await call_events(db_dsn, row["id"])


async def test_unreachable_operator_phone_is_skipped(
    sim: SimulatedAsterisk, sim_control: SimControl, db_dsn: str
) -> None:
    await sim_control.set_endpoint("PJSIP", "101", online=False)
    await sim_control.set_endpoint("PJSIP", "102", behavior="answer", answer_after=0.2)
    settings = make_settings(
        sim,
        operators={
            "anna": {"endpoint": "PJSIP/101", "queues": {"support": 0}, "logged_in": True},
            "boris": {"endpoint": "PJSIP/102", "queues": {"support": 0}, "logged_in": True},
        },
    )
    async with running_service(settings, db_dsn) as service:
        assert service.parts is not None
        assert not service.parts.router.engine.snapshot().operator("anna").online
        caller = await sim_control.place_call()
        await eventually(lambda: bridged_pairs(sim_control), what="boris connected")
        await sim_control.hangup(caller["id"])
        [row] = await final_call_row(db_dsn)
        log = await sim_control.requests()
    assert row["operator_id"] == "boris"
    assert all(r["params"].get("endpoint") != "PJSIP/101" for r in log)


async def test_on_demand_recording_starts_only_when_asked(
    sim: SimulatedAsterisk, sim_control: SimControl, db_dsn: str
) -> None:
    await sim_control.set_endpoint("PJSIP", "101", behavior="answer", answer_after=0.1)
    settings = make_settings(sim, queues={"support": {"recording": "on_demand"}})
    async with running_service(settings, db_dsn) as service:
        caller = await sim_control.place_call(caller_number="+on-demand")
        await eventually(lambda: bridged_pairs(sim_control), what="call connected")
        assert not ari_requests(await sim_control.requests(), "POST", "/record")
        assert service.parts is not None and service.parts.center is not None
        [session] = service.parts.sessions.sessions()
        await service.parts.center.start_recording(session.call_id)
        assert len(ari_requests(await sim_control.requests(), "POST", "/record")) == 1
        await sim_control.hangup(caller["id"])
        [row] = await final_call_row(db_dsn)
    assert "RECORDING" in await call_events(db_dsn, row["id"])


async def test_waiting_caller_shows_in_the_live_row(
    sim: SimulatedAsterisk, sim_control: SimControl, db_dsn: str
) -> None:
    settings = make_settings(
        sim,
        queues={"support": {"join_empty": True}},
        operators={"anna": {"endpoint": "PJSIP/101", "queues": {"support": 0}}},
    )
    async with running_service(settings, db_dsn):
        await sim_control.place_call(caller_number="+still-waiting")

        async def live_waiting_row() -> bool:
            conn = await asyncpg.connect(db_dsn)
            try:
                return bool(
                    await conn.fetchval(
                        "SELECT count(*) FROM calls WHERE outcome IS NULL"
                        " AND queued_at IS NOT NULL AND queue_name = 'support'"
                    )
                )
            finally:
                await conn.close()

        await eventually(live_waiting_row, what="the waiting caller in the live row")


async def test_a_recording_that_fails_to_start_never_drops_the_call(
    sim: SimulatedAsterisk, sim_control: SimControl, db_dsn: str
) -> None:
    await sim_control.set_endpoint("PJSIP", "101", behavior="answer", answer_after=0.1)
    # The simulator, like an Asterisk without format_gsm, cannot record GSM.
    settings = make_settings(sim, recording={"format": "gsm"})
    async with running_service(settings, db_dsn):
        caller = await sim_control.place_call(caller_number="+no-recorder")
        await eventually(lambda: bridged_pairs(sim_control), what="call connected")
        assert ari_requests(await sim_control.requests(), "POST", "/record")
        await sim_control.hangup(caller["id"])
        [row] = await final_call_row(db_dsn)
    assert row["outcome"] == "answered"
    assert row["recording_error"]
