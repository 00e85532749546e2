"""Two Asterisk + callrouter pairs sharing one PostgreSQL never ring the same operator."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from callrouter.sim import SimControl, SimulatedAsterisk
from tests.calls.harness import eventually, make_settings, running_service
from tests.calls.test_inbound_flow import bridged_pairs
from tests.fixtures_sim import SIM_PASSWORD, SIM_TIME_SCALE, SIM_USERNAME
from tests.store.tcp_proxy import PgProxy


@pytest.fixture
async def second_sim(tmp_path: Path) -> AsyncIterator[tuple[SimulatedAsterisk, SimControl]]:
    async with SimulatedAsterisk(
        username=SIM_USERNAME, password=SIM_PASSWORD, host="127.0.0.1", port=0,
        recordings_dir=tmp_path / "second", time_scale=SIM_TIME_SCALE,
    ) as simulator, SimControl(simulator.url) as control:  # fmt: skip
        yield simulator, control


def _originates(log: list[dict[str, object]]) -> int:
    return sum(1 for r in log if r["method"] == "POST" and dict(r["params"]).get("endpoint"))  # type: ignore[arg-type]


async def test_an_operator_claimed_by_one_node_is_not_rung_by_the_other(
    sim: SimulatedAsterisk,
    sim_control: SimControl,
    second_sim: tuple[SimulatedAsterisk, SimControl],
    db_dsn: str,
) -> None:
    other_sim, other_control = second_sim
    for control in (sim_control, other_control):
        await control.set_endpoint("PJSIP", "101", behavior="answer", answer_after=0.1)
    shared = {
        "cluster": {"claim_operators": True},
        "queues": {"support": {"wrapup_s": 0.1}},
    }
    node_a = make_settings(sim, **shared)
    node_b = make_settings(other_sim, **shared)
    async with (
        running_service(node_a, db_dsn, node="node-a"),
        running_service(node_b, db_dsn, node="node-b"),
    ):
        first = await sim_control.place_call(caller_number="+on-a")
        await eventually(lambda: bridged_pairs(sim_control), what="anna talking on node A")
        conn = await asyncpg.connect(db_dsn)
        try:
            assert await conn.fetchval("SELECT claimed_by FROM operators") == "node-a"
        finally:
            await conn.close()
        await other_control.place_call(caller_number="+on-b")

        async def b_gave_up_on_anna() -> bool:
            conn = await asyncpg.connect(db_dsn)
            try:
                return bool(
                    await conn.fetchval(
                        "SELECT count(*) FROM calls WHERE caller_number = '+on-b'"
                        " AND queued_at IS NOT NULL"
                    )
                )
            finally:
                await conn.close()

        await eventually(b_gave_up_on_anna, what="node B's caller waiting")
        assert _originates(await other_control.requests()) == 0  # never rang anna
        await sim_control.hangup(first["id"])
        # Anna is released by node A after wrap-up; node B rings her once her rest ends.
        await eventually(lambda: bridged_pairs(other_control), what="anna talking on node B")
    assert _originates(await other_control.requests()) == 1


async def test_a_node_that_cannot_reach_postgresql_rings_nobody_it_cannot_claim(
    sim: SimulatedAsterisk, sim_control: SimControl, db_dsn: str
) -> None:
    """Fail-closed: with the database away, a claim cannot be made, so the operator is
    not rung (another node may be ringing them); once it is back, the caller is served."""
    await sim_control.set_endpoint("PJSIP", "101", behavior="answer", answer_after=0.1)
    settings = make_settings(sim, cluster={"claim_operators": True})
    proxy = PgProxy(db_dsn)
    await proxy.start()
    try:
        async with running_service(settings, proxy.dsn):
            proxy.cut()
            await sim_control.clear_requests()
            await sim_control.place_call(caller_number="+during-outage")
            await asyncio.sleep(1.0)
            assert _originates(await sim_control.requests()) == 0
            proxy.restore()
            await eventually(lambda: bridged_pairs(sim_control), what="served once PG is back")
    finally:
        await proxy.stop()


async def test_an_operator_request_is_applied_by_every_node_once(
    sim: SimulatedAsterisk,
    second_sim: tuple[SimulatedAsterisk, SimControl],
    db_dsn: str,
) -> None:
    """A pause seen by one node only would leave the other ringing the paused operator."""
    other_sim, _ = second_sim
    shared = {"cluster": {"claim_operators": True}}
    async with (
        running_service(make_settings(sim, **shared), db_dsn, node="node-a") as a,
        running_service(make_settings(other_sim, **shared), db_dsn, node="node-b") as b,
    ):
        conn = await asyncpg.connect(db_dsn)
        try:
            await conn.execute(
                "INSERT INTO operator_requests (operator_id, action, reason)"
                " VALUES ('anna', 'pause', 'lunch')"
            )
            await conn.execute("SELECT pg_notify('callrouter_operator_requests', '1')")

            async def both_paused() -> bool:
                states = []
                for service in (a, b):
                    assert service.parts is not None
                    view = service.parts.router.engine.snapshot().operator("anna")
                    states.append((view.state.value, view.pause_reason))
                return states == [("paused", "lunch")] * 2

            await eventually(both_paused, what="anna paused on both nodes")


            async def both_marked() -> list[asyncpg.Record] | None:
                # Each node records its application just after applying it.
                rows = await conn.fetch(
                    "SELECT node, result FROM operator_request_nodes ORDER BY node"
                )
                return rows if len(rows) == 2 else None

            applied = await eventually(both_marked, what="both nodes' applications recorded")
            assert [(r["node"], r["result"]) for r in applied] == [
                ("node-a", "ok"), ("node-b", "ok"),
            ]  # fmt: skip
            assert await conn.fetchval("SELECT result FROM operator_requests") == "ok"
        finally:
            await conn.close()
