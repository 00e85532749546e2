"""BatchQueue against a real PostgreSQL behind a link the test cuts."""

from __future__ import annotations

import asyncio
import contextlib

import asyncpg

from callrouter.store import open_pool
from callrouter.store._batching import COALESCE_S, BatchQueue
from tests.store.tcp_proxy import PgProxy


async def test_a_link_lost_while_a_refused_batch_is_written_one_by_one_is_a_retry(
    proxy: PgProxy, db_pool: asyncpg.Pool
) -> None:
    loop = asyncio.get_running_loop()
    async with open_pool(proxy.dsn, min_size=1, max_size=2) as pool:

        async def write(batch: list[str]) -> None:
            async with pool.acquire() as conn, conn.transaction():
                await conn.executemany(
                    "INSERT INTO do_not_call (phone) VALUES ($1)", [(p,) for p in batch]
                )

        refusals = 0

        async def one_by_one(batch: list[str], _: asyncpg.PostgresError) -> None:
            nonlocal refusals
            refusals += 1
            if refusals == 1:  # the link goes down just as the first refusal is handled
                proxy.cut()
                loop.call_later(0.3, proxy.restore)
            for phone in batch:
                with contextlib.suppress(asyncpg.UniqueViolationError):
                    await write([phone])

        queue = BatchQueue(
            name="test", write=write, on_rejected=one_by_one, batch_size=10, retry_max_s=0.1
        )
        task = asyncio.create_task(queue.run())
        for phone in ("+1", "+1", "+2"):  # the duplicate makes PostgreSQL refuse the batch
            queue.put(phone)
        async with asyncio.timeout(10):
            await queue.flush()
        assert not task.done() and queue.failures >= 1 and refusals == 2
        task.cancel()
    phones = await db_pool.fetch("SELECT phone FROM do_not_call ORDER BY phone")
    assert [r["phone"] for r in phones] == ["+1", "+2"]


async def test_rows_put_within_the_coalescing_window_share_one_transaction(
    db_pool: asyncpg.Pool,
) -> None:
    """README, Design: the writer commits what a moment of calls produced at once: rows
    put a few ms apart (a call's steps, other calls' steps) land in one transaction."""
    batches: list[list[str]] = []

    async def write(batch: list[str]) -> None:
        async with db_pool.acquire() as conn, conn.transaction():
            await conn.executemany(
                "INSERT INTO do_not_call (phone) VALUES ($1)", [(p,) for p in batch]
            )
        batches.append(list(batch))

    async def refuse(_batch: list[str], error: asyncpg.PostgresError) -> None:
        raise AssertionError(f"refused: {error}")

    queue = BatchQueue(name="test", write=write, on_rejected=refuse, batch_size=100)
    task = asyncio.create_task(queue.run())
    await asyncio.sleep(0.01)  # the writer idle, as between bursts
    try:
        for n in range(5):  # 5 rows over about 20 ms, inside COALESCE_S
            queue.put(f"+4930{n}")
            await asyncio.sleep(COALESCE_S / 10)
        async with asyncio.timeout(10):
            await queue.flush()
    finally:
        task.cancel()
    assert batches == [[f"+4930{n}" for n in range(5)]]
