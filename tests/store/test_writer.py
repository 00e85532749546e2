"""RecordWriter against a real PostgreSQL, including a real outage in the middle."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg

from callrouter.store import open_pool
from callrouter.store.records import (
    CallEventRow,
    CallInsert,
    CallUpdate,
    OperatorStateRow,
    Record,
)
from callrouter.store.writer import RecordWriter
from tests.store.tcp_proxy import PgProxy

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def a_call(n: int) -> tuple[uuid.UUID, list[Record]]:
    call_id = uuid.uuid4()
    created = T0 + timedelta(seconds=n)
    return call_id, [
        CallInsert(
            call_id,
            "inbound",
            created,
            channel_id=f"17000.{n}",
            caller_number=f'\'; DROP TABLE calls; -- "{n}"',
            queue_name="support",
        ),
        CallEventRow(call_id, created, "ENTERQUEUE", "support", None, {"n": n}),
        CallUpdate(call_id, {"ended_at": created + timedelta(seconds=30), "outcome": "abandoned"}),
    ]


async def test_rows_land_in_order(db_pool: asyncpg.Pool) -> None:
    writer = RecordWriter(pool=db_pool, batch_size=7)
    await writer.start()
    ids = []
    for n in range(50):
        call_id, records = a_call(n)
        ids.append(call_id)
        for record in records:
            writer.put(record)
    await writer.flush()
    await writer.stop()
    rows = await db_pool.fetch("SELECT id, caller_number, outcome FROM calls ORDER BY created_at")
    assert [r["id"] for r in rows] == ids
    assert rows[3]["caller_number"] == '\'; DROP TABLE calls; -- "3"'
    assert {r["outcome"] for r in rows} == {"abandoned"}
    assert await db_pool.fetchval("SELECT count(*) FROM call_events") == 50


async def test_operator_state_moves_current_state_and_history(db_pool: asyncpg.Pool) -> None:
    await db_pool.execute("INSERT INTO operators (id, endpoint) VALUES ('anna', 'PJSIP/101')")
    writer = RecordWriter(pool=db_pool)
    await writer.start()
    writer.put(OperatorStateRow("anna", "logged_out", "available", None, T0))
    writer.put(OperatorStateRow("anna", "available", "paused", "lunch", T0 + timedelta(hours=1)))
    await writer.stop()
    row = await db_pool.fetchrow("SELECT state, state_reason, state_since FROM operators")
    assert tuple(row) == ("paused", "lunch", T0 + timedelta(hours=1))
    assert await db_pool.fetchval("SELECT count(*) FROM operator_state_log") == 2


async def test_outage_loses_nothing_and_keeps_order(proxy: PgProxy, db_dsn: str) -> None:
    async with open_pool(proxy.dsn, min_size=1, max_size=2) as pool:
        writer = RecordWriter(pool=pool, retry_max_s=0.2)
        await writer.start()
        first_id, records = a_call(0)
        writer.put_all(records)
        await writer.flush()
        proxy.cut()
        during = []
        for n in range(1, 20):
            call_id, records = a_call(n)
            during.append(call_id)
            writer.put_all(records)
        async with asyncio.timeout(10):
            while writer.failures < 2:
                await asyncio.sleep(0.02)
        assert writer.backlog > 0
        proxy.restore()
        async with asyncio.timeout(20):
            await writer.flush()
        await writer.stop()
    conn = await asyncpg.connect(db_dsn)
    try:
        ids = [r["id"] for r in await conn.fetch("SELECT id FROM calls ORDER BY created_at")]
        assert ids == [first_id, *during]
        assert await conn.fetchval("SELECT count(*) FROM calls WHERE outcome IS NULL") == 0
    finally:
        await conn.close()


async def test_a_rejected_record_does_not_block_the_rest(db_pool: asyncpg.Pool) -> None:
    writer = RecordWriter(pool=db_pool)
    await writer.start()
    good_id, records = a_call(1)
    orphan_event = CallEventRow(uuid.uuid4(), T0, "ENTERQUEUE")  # no such call: FK refuses
    writer.put(orphan_event)
    writer.put_all(records)
    await writer.stop()
    assert await db_pool.fetchval("SELECT id FROM calls") == good_id
