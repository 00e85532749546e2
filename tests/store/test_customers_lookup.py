"""A caller number finds its card however the trunk wrote it (real PostgreSQL)."""

from __future__ import annotations

import asyncpg
import pytest

from callrouter.store.customers import CustomerRow, upsert_customers
from callrouter.store.directory import find_customer, phone_keys, upsert_customer

VIP = "+49301234567"


@pytest.mark.parametrize(
    "sent", ["+49301234567", "030 1234567", "0049301234567", "+49 30 123-4567", "49301234567"]
)
async def test_trunk_formats_find_the_e164_card(db_pool: asyncpg.Pool, sent: str) -> None:
    async with db_pool.acquire() as conn:
        await upsert_customer(
            conn, phone=VIP, name="Vera", tenant="default", tier="vip", priority=10
        )
        card = await find_customer(conn, sent, tenant="default", region="DE")
    assert card is not None and card.phone == VIP and card.priority == 10


async def test_region_decides_national_numbers(db_pool: asyncpg.Pool) -> None:
    async with db_pool.acquire() as conn:
        await upsert_customer(conn, phone=VIP, name="Vera", tenant="default")
        assert await find_customer(conn, "030 1234567", tenant="default", region="US") is None
        assert (
            await find_customer(conn, "030 1234567", tenant="default") is None
        )  # no region: no guess
        # A bad region never fails a lookup mid-call; +country numbers still match.
        found = await find_customer(conn, "+49 30 1234567", tenant="default", region="XX")
    assert found is not None


async def test_number_as_sent_still_matches_and_e164_wins(db_pool: asyncpg.Pool) -> None:
    async with db_pool.acquire() as conn:
        # A card written by hand before normalisation, and the real E.164 card.
        await conn.execute(
            "INSERT INTO customers (phone, name) VALUES ('030 1234567', 'old'), ($1, 'new')", VIP
        )
        card = await find_customer(conn, "030 1234567", tenant="default", region="DE")
        await conn.execute("INSERT INTO customers (phone, name) VALUES ('101', 'desk')")
        desk = await find_customer(conn, "101", tenant="default", region="DE")
    assert card is not None and card.name == "new"
    assert desk is not None and desk.name == "desk"


def test_phone_keys_best_first() -> None:
    assert phone_keys(" 0049301234567 ", "de") == [VIP, "0049301234567"]
    assert phone_keys("12", "DE")[-1] == "12"


async def test_only_e164_phones_are_stored(db_pool: asyncpg.Pool) -> None:
    with pytest.raises(ValueError, match=r"not E\.164"):
        CustomerRow(phone="030 1234567", name="x", tier="t", priority=0, account=None, notes=None)
    async with db_pool.acquire() as conn:
        with pytest.raises(ValueError, match=r"not E\.164"):
            await upsert_customer(conn, phone="030 1234567", name="x", tenant="default")
        row = CustomerRow(phone=VIP, name="x", tier="t", priority=0, account=None, notes=None)
        counts = await upsert_customers(conn, [row], tenant="default")
    assert counts.created == 1
