"""Migration 017: a single-tenant database keeps every card and do-not-call entry (the
cards in tenant 'default', the entries on the center's list), and one phone may then
have a card in each tenant, looked up with one index."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import pytest

from callrouter.store import apply_migrations
from callrouter.store.directory import find_customer, upsert_customer
from tests.tenants.test_migration import migrations_before

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
PHONE = "+15550100"


async def _single_tenant_rows(conn: asyncpg.Connection) -> uuid.UUID:
    await conn.execute(
        "INSERT INTO customers (phone, name, tier, priority) VALUES ($1, 'Vera', 'vip', 10),"
        " ('030 1234567', 'written before normalisation', 'standard', 0)",
        PHONE,
    )
    await conn.execute(
        "INSERT INTO do_not_call (phone, reason, expires_at) VALUES ('+15550101', 'asked',"
        " NULL), ('+15550102', 'not this month', $1)",
        NOW,
    )
    call_id = uuid.uuid4()
    await conn.execute(
        "INSERT INTO calls (id, direction, created_at, customer_id) VALUES ($1, 'inbound', $2,"
        " (SELECT id FROM customers WHERE phone = $3))",
        call_id, NOW, PHONE,
    )  # fmt: skip
    return call_id


async def test_a_single_tenant_database_keeps_every_card_and_entry(
    empty_db_dsn: str, tmp_path: Path
) -> None:
    conn = await asyncpg.connect(empty_db_dsn)
    try:
        await apply_migrations(conn, migrations_before(tmp_path, 17))
        call_id = await _single_tenant_rows(conn)
        cards = "SELECT id, tenant, phone, name, tier, priority FROM customers ORDER BY id"
        before = [dict(r) for r in await conn.fetch(cards)]
        entries = "SELECT phone, reason, expires_at FROM do_not_call ORDER BY phone"
        dnc_before = [tuple(r) for r in await conn.fetch(entries)]
        assert await apply_migrations(conn) == [17]
        assert [dict(r) for r in await conn.fetch(cards)] == before
        assert {r["tenant"] for r in before} == {"default"}
        assert [tuple(r) for r in await conn.fetch(entries)] == dnc_before
        assert await conn.fetchval("SELECT count(*) FROM do_not_call WHERE tenant IS NULL") == 2
        assert (
            await conn.fetchval(
                "SELECT k.name FROM calls c JOIN customers k ON k.id = c.customer_id"
                " WHERE c.id = $1",
                call_id,
            )
            == "Vera"
        )
        # The card still answers its caller, and the same phone may now be another's.
        card = await find_customer(conn, PHONE, tenant="default")
        assert card is not None and (card.name, card.priority) == ("Vera", 10)
        await upsert_customer(conn, phone=PHONE, name="Vera at ACME", tenant="acme", priority=1)
        acme = await find_customer(conn, PHONE, tenant="acme")
        assert acme is not None and acme.name == "Vera at ACME" and acme.id != card.id
        with pytest.raises(asyncpg.UniqueViolationError):
            await conn.execute("INSERT INTO customers (phone, tenant) VALUES ($1, 'acme')", PHONE)
        # One entry per phone on the center's list, as before.
        with pytest.raises(asyncpg.UniqueViolationError):
            await conn.execute("INSERT INTO do_not_call (phone) VALUES ('+15550101')")
    finally:
        await conn.close()


async def test_the_call_paths_lookup_is_one_index_scan(db_pool: asyncpg.Pool) -> None:
    async with db_pool.acquire() as conn, conn.transaction():
        # A few rows make a sequential scan cheaper; ask what the index offers.
        await conn.execute("SET LOCAL enable_seqscan = off")
        plan = "\n".join(
            r[0]
            for r in await conn.fetch(
                "EXPLAIN SELECT id, phone, name, tier, priority, account, notes FROM customers"
                " WHERE phone = $1 AND tenant = $2",
                PHONE,
                "acme",
            )
        )
    assert "Index Scan using customers_phone_tenant_key" in plan, plan
