"""Migration 016: a single-tenant database moves into tenant 'default' keeping every row,
and PostgreSQL itself hides one tenant's rows from another."""

from __future__ import annotations

import shutil
import uuid
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import pytest

from callrouter.store import DEFAULT_MIGRATIONS_DIR, apply_migrations
from callrouter.store.tenants import as_tenant

TENANT_TABLES = (
    "calls", "call_events", "recordings", "campaigns", "leads", "attempts", "customers",
    "callbacks", "webhook_deliveries",
)  # fmt: skip
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def migrations_before(tmp_path: Path, version: int) -> Path:
    """A folder with the repository's migrations older than ``version``."""
    folder = tmp_path / f"before-{version}"
    folder.mkdir()
    for path in DEFAULT_MIGRATIONS_DIR.glob("*.sql"):
        if int(path.name.split("_")[0]) < version:
            shutil.copy(path, folder / path.name)
    return folder


async def _one_of_everything(conn: asyncpg.Connection) -> None:
    call_id = uuid.uuid4()
    await conn.execute("INSERT INTO queues (name) VALUES ('support')")
    await conn.execute(
        "INSERT INTO calls (id, direction, created_at, queue_name) VALUES ($1, 'inbound', $2,"
        " 'support')",
        call_id,
        NOW,
    )
    await conn.execute(
        "INSERT INTO call_events (call_id, at, event) VALUES ($1, $2, 'ENTERQUEUE')", call_id, NOW
    )
    await conn.execute(
        "INSERT INTO recordings (call_id, name, format, started_at) VALUES ($1, 'r1', 'wav', $2)",
        call_id,
        NOW,
    )
    campaign = await conn.fetchval(
        "INSERT INTO campaigns (name, mode, queue_name) VALUES ('c', 'preview', 'support')"
        " RETURNING id"
    )
    lead = await conn.fetchval(
        "INSERT INTO leads (campaign_id, key, phone, timezone) VALUES ($1, 'k', '+1', 'UTC')"
        " RETURNING id",
        campaign,
    )
    await conn.execute(
        "INSERT INTO attempts (campaign_id, lead_id, started_at) VALUES ($1, $2, $3)",
        campaign,
        lead,
        NOW,
    )
    await conn.execute("INSERT INTO customers (phone) VALUES ('+15550100')")
    await conn.execute(
        "INSERT INTO callbacks (queue_name, phone, queued_at, requested_at, due_at)"
        " VALUES ('support', '+15550100', $1, $1, $1)",
        NOW,
    )
    await conn.execute(
        "INSERT INTO webhook_deliveries (id, event, url, payload, created_at)"
        " VALUES ($1, 'ended', 'http://crm', '{}', $2)",
        uuid.uuid4(),
        NOW,
    )


async def test_a_single_tenant_database_keeps_every_row_in_default(
    empty_db_dsn: str, tmp_path: Path
) -> None:
    conn = await asyncpg.connect(empty_db_dsn)
    try:
        await apply_migrations(conn, migrations_before(tmp_path, 16))
        await _one_of_everything(conn)
        before = {t: await conn.fetchval(f"SELECT count(*) FROM {t}") for t in TENANT_TABLES}
        assert set(before.values()) == {1}
        assert 16 in await apply_migrations(conn)
        for table in TENANT_TABLES:
            tenants = await conn.fetch(f"SELECT tenant, count(*) FROM {table} GROUP BY tenant")
            assert [tuple(r) for r in tenants] == [("default", 1)], table
        # The service's own connection still sees and writes everything.
        async with as_tenant(conn, "default") as scoped:
            assert await scoped.fetchval("SELECT count(*) FROM calls") == 1
    finally:
        await conn.close()


@pytest.fixture
async def two_tenants(db_dsn: str) -> asyncpg.Connection:
    conn = await asyncpg.connect(db_dsn)
    for tenant in ("acme", "globex"):
        await conn.execute(
            "INSERT INTO calls (id, direction, created_at, tenant) VALUES ($1, 'inbound', $2, $3)",
            uuid.uuid4(),
            NOW,
            tenant,
        )
    return conn


async def test_a_tenant_session_sees_only_its_rows(two_tenants: asyncpg.Connection) -> None:
    conn = two_tenants
    try:
        assert await conn.fetchval("SELECT count(*) FROM calls") == 2
        async with as_tenant(conn, "acme") as acme:
            assert await acme.fetchval("SELECT array_agg(tenant) FROM calls") == ["acme"]
            # Not even an explicit filter reaches the other tenant.
            assert await acme.fetchval("SELECT count(*) FROM calls WHERE tenant='globex'") == 0
            assert await acme.execute("UPDATE calls SET caller_name = 'x'") == "UPDATE 1"
            assert await acme.execute("DELETE FROM calls WHERE tenant = 'globex'") == "DELETE 0"
        # Back to the service's own role once the transaction is over.
        assert await conn.fetchval("SELECT count(*) FROM calls") == 2
    finally:
        await conn.close()


async def test_a_tenant_cannot_write_a_row_for_another(two_tenants: asyncpg.Connection) -> None:
    conn = two_tenants
    try:
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            async with as_tenant(conn, "acme") as acme:
                await acme.execute(
                    "INSERT INTO customers (phone, tenant) VALUES ('+1555', 'globex')"
                )
        async with as_tenant(conn, "acme") as acme:
            # Without a tenant named, a row is the session's own.
            await acme.execute("INSERT INTO customers (phone) VALUES ('+1556')")
        assert await conn.fetchval("SELECT tenant FROM customers WHERE phone='+1556'") == "acme"
    finally:
        await conn.close()


async def test_children_take_their_parents_tenant(db_dsn: str) -> None:
    conn = await asyncpg.connect(db_dsn)
    try:
        await conn.execute(
            "INSERT INTO queues (name, settings) VALUES ('acme-q', '{\"tenant\": \"acme\"}')"
        )
        campaign = await conn.fetchval(
            "INSERT INTO campaigns (name, mode, queue_name, settings) VALUES ('c', 'preview',"
            " 'acme-q', '{\"tenant\": \"acme\"}') RETURNING id"
        )
        await conn.execute(
            "INSERT INTO leads (campaign_id, key, phone, timezone) VALUES ($1, 'k', '+1', 'UTC')",
            campaign,
        )
        await conn.execute(
            "INSERT INTO callbacks (queue_name, phone, queued_at, requested_at, due_at)"
            " VALUES ('acme-q', '+1', $1, $1, $1)",
            NOW,
        )
        for table in ("queues", "campaigns", "leads", "callbacks"):
            assert await conn.fetchval(f"SELECT tenant FROM {table}") == "acme", table
    finally:
        await conn.close()
