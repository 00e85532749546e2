"""README, How inbound routing works: the customer lookup is off the ring's path for a
caller an operator is free for. The lookup is held up here by a lock on the customers
table, so what goes out before it finishes is visible on the simulator."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg

from callrouter.sim import SimControl, SimulatedAsterisk
from tests.calls.harness import eventually, make_settings, running_service
from tests.crm.receiver import Hit, Receiver


async def _add_customer(dsn: str, phone: str, name: str, priority: int) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(
            "INSERT INTO customers (phone, name, tier, priority) VALUES ($1, $2, 'gold', $3)",
            phone, name, priority,
        )  # fmt: skip
    finally:
        await conn.close()


@asynccontextmanager
async def _customers_locked(dsn: str) -> AsyncIterator[None]:
    """Every lookup blocks until the block ends (well inside the lookup's 1 s budget)."""
    conn = await asyncpg.connect(dsn)
    try:
        async with conn.transaction():
            await conn.execute("LOCK TABLE customers IN ACCESS EXCLUSIVE MODE")
            yield
    finally:
        await conn.close()


async def _rung(control: SimControl) -> bool:
    return any(r["params"].get("endpoint") == "PJSIP/101" for r in await control.requests())


async def _row_priority(dsn: str, number: str) -> int | None:
    conn = await asyncpg.connect(dsn)
    try:
        value = await conn.fetchval("SELECT priority FROM calls WHERE caller_number = $1", number)
    finally:
        await conn.close()
    return int(value) if value is not None else None


async def test_a_caller_an_operator_is_free_for_is_rung_before_their_lookup_ends(
    sim: SimulatedAsterisk, sim_control: SimControl, db_dsn: str
) -> None:
    await sim_control.set_endpoint("PJSIP", "101", behavior="answer", answer_after=5)
    await _add_customer(db_dsn, "+15550101", "Fast Co", 10)
    async with running_service(make_settings(sim), db_dsn):
        async with _customers_locked(db_dsn):
            await sim_control.place_call(caller_number="+15550101")
            await eventually(lambda: _rung(sim_control), what="anna rung, lookup still held")
        # The card came afterwards, and the call's row has its priority.
        await eventually(lambda: _row_priority(db_dsn, "+15550101"), what="the card's priority")
    assert await _row_priority(db_dsn, "+15550101") == 10


async def test_the_screen_pop_still_carries_the_card(
    sim: SimulatedAsterisk, sim_control: SimControl, db_dsn: str
) -> None:
    """With a CRM to tell, the ring waits for the rest of the lookup: ``call.offered``
    goes out before the ring, and with the caller's card."""
    await sim_control.set_endpoint("PJSIP", "101", behavior="answer", answer_after=5)
    await _add_customer(db_dsn, "+15550102", "Card Co", 10)
    crm = Receiver()
    await crm.start()
    try:
        settings = make_settings(sim, crm={"webhooks": {"offered": f"{crm.url}/offered"}})
        async with running_service(settings, db_dsn):
            async with _customers_locked(db_dsn):
                await sim_control.place_call(caller_number="+15550102")
                await asyncio.sleep(0.3)
                assert not await _rung(sim_control)  # no ring the CRM has not heard of
            await eventually(lambda: _rung(sim_control), what="anna rung")

            async def offered() -> Hit | None:
                return next((h for h in crm.hits if h.event == "call.offered"), None)

            hit = await eventually(offered, what="call.offered delivered")
    finally:
        await crm.stop()
    assert hit.json["customer"]["name"] == "Card Co"
