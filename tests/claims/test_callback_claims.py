"""README, Design (several nodes): "leads and callbacks are claimed with `FOR UPDATE SKIP
LOCKED`". Leads have their test in tests/dialer; this is the callbacks' side: two
nodes claiming one queue's callbacks at once never dial the same customer twice."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import asyncpg

from callrouter.store.callbacks import claim_callback

CALLBACKS = 300


async def test_two_nodes_never_claim_the_same_callback(db_pool: asyncpg.Pool) -> None:
    now = datetime.now(UTC)
    ids = await db_pool.fetch(
        "INSERT INTO callbacks (queue_name, phone, queued_at, requested_at, due_at)"
        " SELECT 'support', '+49301' || lpad(n::text, 6, '0'),"
        " $1::timestamptz - n * interval '1 second', $1::timestamptz, $1::timestamptz"
        " FROM generate_series(0, $2 - 1) n RETURNING id",
        now,
        CALLBACKS,
    )

    async def node(name: str) -> list[str]:
        # Both routing cores reserve an operator for every callback: each node tries
        # them all, as fast as it can.
        got: list[str] = []
        async with db_pool.acquire() as own:
            for row in ids:
                claimed = await claim_callback(own, row["id"], name, now)
                if claimed is not None:
                    got.append(claimed.phone)
                await asyncio.sleep(0)  # let the other node's claim interleave
        return got

    first, second = await asyncio.gather(node("a"), node("b"))
    assert first and second, "one node took everything: no concurrency was exercised"
    assert not set(first) & set(second)
    assert len(first) + len(second) == CALLBACKS
    attempts = await db_pool.fetch("SELECT DISTINCT attempts FROM callbacks")
    assert [r["attempts"] for r in attempts] == [1]
    nodes = await db_pool.fetch("SELECT DISTINCT dialing_node FROM callbacks ORDER BY 1")
    assert [r["dialing_node"] for r in nodes] == ["a", "b"]
