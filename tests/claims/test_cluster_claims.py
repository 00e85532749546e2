"""README, Design (several nodes): "A node releases its own claims when it starts; a
claim older than 4 hours (a node that never came back) may be taken over."

Both are what keeps ``cluster.claim_operators`` from locking an operator out for good
after a node dies holding their claim."""

from __future__ import annotations

import socket
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from callrouter.config import Settings
from callrouter.sim import SimControl, SimulatedAsterisk
from callrouter.store import open_pool
from callrouter.store.claims import claim_operator
from callrouter.store.directory import sync_directory
from tests.calls.harness import eventually, make_settings, running_service
from tests.calls.test_inbound_flow import bridged_pairs

TWO_OPERATORS = {
    "anna": {"endpoint": "PJSIP/101", "queues": {"support": 0}},
    "boris": {"endpoint": "PJSIP/102", "queues": {"support": 0}},
}


async def _claims(dsn: str) -> dict[str, str | None]:
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch("SELECT id, claimed_by FROM operators ORDER BY id")
    finally:
        await conn.close()
    return {r["id"]: r["claimed_by"] for r in rows}


async def test_a_node_releases_its_own_claims_when_it_starts(
    sim: SimulatedAsterisk, db_dsn: str
) -> None:
    settings = make_settings(sim, cluster={"claim_operators": True}, operators=TWO_OPERATORS)
    async with open_pool(db_dsn, max_size=1) as pool, pool.acquire() as conn:
        await sync_directory(conn, settings)
        # As a crash leaves them: this node held anna, another live node holds boris.
        await conn.execute(
            "UPDATE operators SET claimed_by = CASE id WHEN 'anna' THEN 'test-node'"
            " ELSE 'other-node' END, claimed_at = now()"
        )
    async with running_service(settings, db_dsn, node="test-node"):
        assert await _claims(db_dsn) == {"anna": None, "boris": "other-node"}


async def test_a_claim_older_than_4_hours_may_be_taken_over(db_dsn: str) -> None:
    settings = Settings.model_validate(
        {"queues": {"support": {}}, "operators": {"anna": TWO_OPERATORS["anna"]}}
    )
    now = datetime.now(UTC)
    async with open_pool(db_dsn, max_size=1) as pool, pool.acquire() as conn:
        await sync_directory(conn, settings)
        assert await claim_operator(conn, "anna", "gone-node", now - timedelta(hours=3, minutes=59))
        assert not await claim_operator(conn, "anna", "node-b", now), "a live claim was taken"
        await conn.execute(
            "UPDATE operators SET claimed_at = $1", now - timedelta(hours=4, minutes=1)
        )
        assert await claim_operator(conn, "anna", "node-b", now)
    assert (await _claims(db_dsn))["anna"] == "node-b"


async def test_a_stale_claim_does_not_keep_a_running_node_from_ringing(
    sim: SimulatedAsterisk, sim_control: SimControl, db_dsn: str
) -> None:
    await sim_control.set_endpoint("PJSIP", "101", behavior="answer", answer_after=0.1)
    settings = make_settings(sim, cluster={"claim_operators": True})
    async with running_service(settings, db_dsn):
        conn = await asyncpg.connect(db_dsn)
        try:  # claimed after start-up, so only the age of the claim can free anna
            await conn.execute(
                "UPDATE operators SET claimed_by = 'ghost', claimed_at = now() - interval '5 hours'"
            )
        finally:
            await conn.close()
        await sim_control.place_call(caller_number="+4930123")
        await eventually(lambda: bridged_pairs(sim_control), what="anna rung despite the ghost")
    assert (await _claims(db_dsn))["anna"] != "ghost"


async def _call_nodes(dsn: str) -> list[str]:
    conn = await asyncpg.connect(dsn)
    try:
        return [r["node"] for r in await conn.fetch("SELECT node FROM calls")]
    finally:
        await conn.close()


@pytest.mark.parametrize(
    ("cluster", "expected"),
    [({}, socket.gethostname()), ({"node": "cr-7"}, "cr-7")],
    ids=["default-host-name", "cluster-node"],
)
async def test_rows_carry_their_node(
    sim: SimulatedAsterisk,
    sim_control: SimControl,
    db_dsn: str,
    cluster: dict[str, str],
    expected: str,
) -> None:
    settings = make_settings(sim, cluster=cluster)
    # node="" leaves the choice to the service, as `callrouter serve` does.
    async with running_service(settings, db_dsn, node=""):
        await sim_control.place_call(caller_number="+4930123")

        async def stored() -> list[str] | None:
            return await _call_nodes(db_dsn) or None

        assert await eventually(stored, what="the call's row") == [expected]
