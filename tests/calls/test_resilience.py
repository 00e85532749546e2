"""Nothing lost: a dropped WebSocket mid-call, a restart with callers still in Stasis,
a database outage while calls are routed."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from callrouter.calls import CallrouterService
from callrouter.calls.service import StartupError
from callrouter.sim import SimControl, SimulatedAsterisk
from tests.calls.harness import (
    eventually,
    final_call_row,
    make_settings,
    running_service,
)
from tests.calls.test_inbound_flow import bridged_pairs
from tests.store.tcp_proxy import PgProxy


async def test_websocket_drop_mid_call_misses_no_hangup(
    sim: SimulatedAsterisk, sim_control: SimControl, db_dsn: str
) -> None:
    await sim_control.set_endpoint("PJSIP", "101", behavior="answer", answer_after=0.1)
    settings = make_settings(sim, queues={"support": {"join_empty": True, "wrapup_s": 60}})
    async with running_service(settings, db_dsn) as service:
        talking = await sim_control.place_call(caller_number="+talking")
        await eventually(lambda: bridged_pairs(sim_control), what="first call connected")
        waiting = await sim_control.place_call(caller_number="+waiting")

        async def two_calls() -> bool:
            assert service.parts is not None
            return len(service.parts.sessions) == 2

        await eventually(two_calls, what="second caller waiting")
        # Hold the reconnect back long enough for a hangup to fall into the gap.
        await sim_control.add_fault(delay=0.5, path_prefix="/ari/events")
        assert await sim_control.drop_websockets() == 1
        await sim_control.hangup(waiting["id"])
        rows = await final_call_row(db_dsn, count=1)
        assert [r["outcome"] for r in rows if r["caller_number"] == "+waiting"] == ["abandoned"]
        assert service.parts is not None
        assert service.parts.ari.health.reconnects >= 1
        # The connected call survived the gap and still ends normally.
        await sim_control.hangup(talking["id"])
        rows = await final_call_row(db_dsn, count=2)
    assert {r["caller_number"]: r["outcome"] for r in rows} == {
        "+talking": "answered",
        "+waiting": "abandoned",
    }


async def test_restart_picks_up_callers_still_in_stasis(
    sim: SimulatedAsterisk, sim_control: SimControl, db_dsn: str
) -> None:
    await sim_control.set_endpoint("PJSIP", "101", behavior="answer", answer_after=0.1)
    settings = make_settings(
        sim,
        queues={"support": {"join_empty": True}},
        operators={"anna": {"endpoint": "PJSIP/101", "queues": {"support": 0}}},
    )
    async with running_service(settings, db_dsn):
        caller = await sim_control.place_call(caller_number="+patient")
        gone = await sim_control.place_call(caller_number="+gone")

        async def rows_written() -> bool:
            conn = await asyncpg.connect(db_dsn)
            try:
                return await conn.fetchval("SELECT count(*) FROM calls") == 2
            finally:
                await conn.close()

        await eventually(rows_written, what="both calls logged")
    # callrouter is down; one caller hangs up meanwhile, the other keeps waiting.
    await sim_control.hangup(gone["id"])
    settings = make_settings(
        sim,
        queues={"support": {"join_empty": True}},
        operators={"anna": {"endpoint": "PJSIP/101", "queues": {"support": 0}, "logged_in": True}},
    )
    conn = await asyncpg.connect(db_dsn)
    try:
        await conn.execute("UPDATE operators SET state = 'available' WHERE id = 'anna'")
    finally:
        await conn.close()
    async with running_service(settings, db_dsn):
        await eventually(lambda: bridged_pairs(sim_control), what="adopted caller connected")
        await sim_control.hangup(caller["id"])
        rows = await final_call_row(db_dsn, count=2)
    by_caller = {r["caller_number"]: r for r in rows}
    assert by_caller["+gone"]["outcome"] == "lost"
    assert by_caller["+patient"]["outcome"] == "answered"
    assert by_caller["+patient"]["operator_id"] == "anna"
    conn = await asyncpg.connect(db_dsn)
    try:
        assert await conn.fetchval("SELECT count(*) FROM calls") == 2
        assert await conn.fetchval("SELECT count(*) FROM calls WHERE outcome IS NULL") == 0
    finally:
        await conn.close()


async def test_database_outage_does_not_stop_routing_or_lose_rows(
    sim: SimulatedAsterisk, sim_control: SimControl, db_dsn: str
) -> None:
    await sim_control.set_endpoint("PJSIP", "101", behavior="answer", answer_after=0.1)
    proxy = PgProxy(db_dsn)
    await proxy.start()
    try:
        async with running_service(make_settings(sim), proxy.dsn) as service:
            proxy.cut()
            caller = await sim_control.place_call(caller_number="+during-outage")
            await eventually(lambda: bridged_pairs(sim_control), what="routed during the outage")
            await sim_control.hangup(caller["id"])
            assert service.parts is not None

            async def writes_failing() -> bool:
                assert service.parts is not None
                return service.parts.writer.failures > 0

            await eventually(writes_failing, what="the writer to notice the outage")
            proxy.restore()
            [row] = await final_call_row(db_dsn)
    finally:
        await proxy.stop()
    assert row["outcome"] == "answered"
    assert row["caller_number"] == "+during-outage"


async def test_port_in_use_is_one_clear_startup_error(sim: SimulatedAsterisk, db_dsn: str) -> None:
    blocker = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = blocker.sockets[0].getsockname()[1]
    try:
        settings = make_settings(
            sim, http={"enabled": True, "host": "127.0.0.1", "port": port, "token": "x"}
        )
        service = CallrouterService(settings=settings, dsn=db_dsn, node="test-node")
        with pytest.raises(StartupError, match=f"127.0.0.1:{port} for the HTTP API"):
            await service.run()
    finally:
        blocker.close()
        await blocker.wait_closed()
