"""BatchQueue against a real PostgreSQL behind a link the test cuts."""

from __future__ import annotations

import asyncio
import contextlib

import asyncpg

from callrouter.store import open_pool
from callrouter.store._batching import BatchQueue
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
