"""README, Storage: the tables report tools and CRMs read are there after migrations,
and ``call_events`` is append-only (a queue_log export must never show history that
was rewritten)."""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime

import asyncpg
import pytest

# README, Storage: "Tables: ...", in its order.
DOCUMENTED_TABLES = (
    "queues", "operators", "queue_members", "operator_state_log", "operator_requests",
    "customers", "calls", "call_events", "recordings", "campaigns", "leads", "attempts",
    "do_not_call", "callbacks", "webhook_deliveries",
)  # fmt: skip


async def test_every_documented_table_exists(db_pool: asyncpg.Pool) -> None:
    rows = await db_pool.fetch(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
    )
    missing = set(DOCUMENTED_TABLES) - {r["table_name"] for r in rows}
    assert not missing


async def test_call_events_refuse_to_be_rewritten(db_pool: asyncpg.Pool) -> None:
    call_id = uuid.uuid4()
    now = datetime.now(UTC)
    await db_pool.execute(
        "INSERT INTO calls (id, direction, caller_number, created_at)"
        " VALUES ($1, 'inbound', '+1', $2)",
        call_id,
        now,
    )
    await db_pool.execute(
        "INSERT INTO call_events (call_id, at, event) VALUES ($1, $2, 'ENTERQUEUE')", call_id, now
    )
    with pytest.raises(asyncpg.RaiseError, match="append-only"):
        await db_pool.execute("UPDATE call_events SET event = 'ABANDON'")
    assert await db_pool.fetchval("SELECT event FROM call_events") == "ENTERQUEUE"


async def test_the_embedded_postgresql_is_version_16(pg_admin_dsn: str) -> None:
    # README, Quick start: "PostgreSQL 16 comes from the `pgserver` wheel".
    if os.environ.get("CALLROUTER_TEST_DSN"):
        pytest.skip("the suite runs on a server of its own (CALLROUTER_TEST_DSN)")
    conn = await asyncpg.connect(pg_admin_dsn)
    try:
        assert conn.get_server_version().major == 16
    finally:
        await conn.close()
