"""Customer cards in bulk: the import, the list and a card's call history.

One card is read and written by :func:`callrouter.store.directory.find_customer` and
:func:`~callrouter.store.directory.upsert_customer`; this module adds what the CLI needs
on top: many cards in one statement, and whether a phone already has a card.

Every card belongs to a tenant (migration 017): a phone has at most one card per
tenant, and every function here reads or writes one tenant's cards.

Phones are stored in E.164 only (:data:`E164`), so the lookup can normalise the caller
number the trunk sent and find the card (:func:`callrouter.store.directory.phone_keys`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from callrouter.store._pool import DbConnection

__all__ = [
    "DEFAULT_TIER",
    "E164",
    "MAX_PRIORITY",
    "TIER_PRIORITIES",
    "CustomerCalls",
    "CustomerRow",
    "ImportCounts",
    "check_e164",
    "customer_calls",
    "customer_exists",
    "list_customers",
    "priority_for_tier",
    "upsert_customers",
]

E164 = re.compile(r"^\+[1-9][0-9]{1,16}$")
"""What a stored phone looks like: ``+`` and digits, no blanks. E.164 allows 15 digits;
phonenumbers formats a few valid German numbers with 16 or 17, so those are kept."""


TIER_PRIORITIES = {"vip": 10, "gold": 10, "silver": 5}
DEFAULT_TIER = "standard"
MAX_PRIORITY = 1_000_000
"""The column is a 32-bit integer; a priority beyond this is a typo."""


def priority_for_tier(tier: str) -> int:
    """The default priority of a tier: vip/gold 10, silver 5, anything else 0."""
    return TIER_PRIORITIES.get(tier.strip().lower(), 0)


def check_e164(phone: str) -> str:
    """``phone`` if it is E.164; a ValueError otherwise (a bug: callers normalise first)."""
    if not E164.match(phone):
        raise ValueError(f"customer phone {phone!r} is not E.164 (+ and digits)")
    return phone


@dataclass(frozen=True, slots=True)
class CustomerRow:
    """One card to write; ``phone`` is already E.164 and unique within a batch."""

    phone: str
    name: str
    tier: str
    priority: int
    account: str | None
    notes: str | None

    def __post_init__(self) -> None:
        check_e164(self.phone)


@dataclass(frozen=True, slots=True)
class ImportCounts:
    created: int
    updated: int


async def upsert_customers(
    conn: DbConnection, rows: Sequence[CustomerRow], *, tenant: str
) -> ImportCounts:
    """Insert or replace every card of ``tenant`` in one statement (so one transaction).

    A card whose phone the tenant has already is replaced field by field: the file is
    the truth for the cards it names; other tenants' cards of the same phones stay as
    they are. ``xmax = 0`` tells an inserted row from an updated one.
    """
    if not rows:
        return ImportCounts(created=0, updated=0)
    inserted: list[asyncpg.Record] = await conn.fetch(
        "INSERT INTO customers (phone, name, tier, priority, account, notes, tenant)"
        " SELECT *, $7::text FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::text[],"
        " $6::text[])"
        " ON CONFLICT (phone, tenant) DO UPDATE SET name = excluded.name, tier = excluded.tier,"
        " priority = excluded.priority, account = excluded.account, notes = excluded.notes,"
        " updated_at = now()"
        " RETURNING (xmax = 0) AS inserted",
        [r.phone for r in rows],
        [r.name for r in rows],
        [r.tier for r in rows],
        [r.priority for r in rows],
        [r.account for r in rows],
        [r.notes for r in rows],
        tenant,
    )
    created = sum(1 for row in inserted if row["inserted"])
    return ImportCounts(created=created, updated=len(inserted) - created)


async def customer_exists(conn: DbConnection, phone: str, *, tenant: str) -> bool:
    return bool(
        await conn.fetchval(
            "SELECT 1 FROM customers WHERE phone = $1 AND tenant = $2", phone, tenant
        )
    )


async def list_customers(
    conn: DbConnection, *, tenant: str | None, limit: int = 100, tier: str | None = None
) -> list[asyncpg.Record]:
    """``tenant``'s cards (None: every tenant's), highest priority first, then by name:
    those that matter most on top."""
    return await conn.fetch(
        "SELECT id, tenant, phone, name, tier, priority, account, notes, created_at,"
        " updated_at FROM customers WHERE ($3::text IS NULL OR tenant = $3)"
        " AND ($1::text IS NULL OR tier = $1)"
        " ORDER BY priority DESC, name, phone LIMIT $2",
        tier,
        limit,
        tenant,
    )


@dataclass(frozen=True, slots=True)
class CustomerCalls:
    count: int
    last_at: datetime | None


async def customer_calls(conn: DbConnection, customer_id: int) -> CustomerCalls:
    row = await conn.fetchrow(
        "SELECT count(*) AS n, max(created_at) AS last_at FROM calls WHERE customer_id = $1",
        customer_id,
    )
    assert row is not None
    return CustomerCalls(count=row["n"], last_at=row["last_at"])
