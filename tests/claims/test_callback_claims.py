"""README, Design (several nodes): "leads and callbacks are claimed with `FOR UPDATE SKIP
LOCKED`". Leads have their test in tests/dialer; this is the callbacks' side: two
nodes draining one queue's callbacks at once never dial the same customer twice."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import asyncpg

from callrouter.store.callbacks import claim_queue_callbacks

CALLBACKS = 300


async def test_two_nodes_never_claim_the_same_callback(db_pool: asyncpg.Pool) -> None:
    now = datetime.now(UTC)
    await db_pool.executemany(
        "INSERT INTO callbacks (queue_name, phone, queued_at, requested_at, due_at)"
        " VALUES ('support', $1, $2, $2, $2)",
        [(f"+49301{n:06d}", now - timedelta(seconds=n)) for n in range(CALLBACKS)],
    )

    async def node() -> list[str]:
        got: list[str] = []
        async with db_pool.acquire() as own:
            while batch := await claim_queue_callbacks(own, "support", now, 7):
                got.extend(c.phone for c in batch)
                await asyncio.sleep(0)  # let the other node's claim interleave
        return got

    first, second = await asyncio.gather(node(), node())
    assert first and second, "one node took everything: no concurrency was exercised"
    assert not set(first) & set(second)
    assert len(first) + len(second) == CALLBACKS
    attempts = await db_pool.fetch("SELECT DISTINCT attempts FROM callbacks")
    assert [r["attempts"] for r in attempts] == [1]
