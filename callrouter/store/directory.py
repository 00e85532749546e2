"""Who works here and who calls: queues, operators, memberships, customers, requests.

The YAML config is the source of truth for queues and configured operators: at start-up
:func:`sync_directory` makes the tables match it, keeping each operator's persisted state
(so a restart does not log everybody out).
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from callrouter.config import Settings
from callrouter.dialer import NormalizedNumber, normalize_number, normalize_region
from callrouter.errors import NotFound
from callrouter.store._pool import DbConnection
from callrouter.store.customers import check_e164

__all__ = [
    "CustomerCard",
    "OperatorRequest",
    "find_customer",
    "list_operators",
    "operator_states_by_queue",
    "operators_by_state",
    "phone_keys",
    "request_operator_action",
    "request_result",
    "sync_directory",
    "upsert_customer",
]

OPERATOR_REQUESTS_CHANNEL = "callrouter_operator_requests"


async def sync_directory(conn: DbConnection, settings: Settings) -> None:
    async with conn.transaction():
        for name, queue in settings.queues.items():
            await conn.execute(
                "INSERT INTO queues (name, settings) VALUES ($1, $2)"
                " ON CONFLICT (name) DO UPDATE SET settings = $2, updated_at = now()",
                name,
                json.loads(queue.model_dump_json()),
            )
        for op_id, op in settings.operators.items():
            initial = "available" if op.logged_in else "logged_out"
            await conn.execute(
                "INSERT INTO operators (id, name, endpoint, wrapup_s, state)"
                " VALUES ($1, $2, $3, $4, $5)"
                " ON CONFLICT (id) DO UPDATE SET name = $2, endpoint = $3, wrapup_s = $4,"
                " updated_at = now()",
                op_id,
                op.name,
                op.endpoint,
                op.wrapup_s,
                initial,
            )
            await conn.execute("DELETE FROM queue_members WHERE operator_id = $1", op_id)
            await conn.executemany(
                "INSERT INTO queue_members (queue_name, operator_id, penalty) VALUES ($1,$2,$3)",
                [(queue, op_id, penalty) for queue, penalty in op.queues.items()],
            )


async def list_operators(conn: DbConnection) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT o.id, o.name, o.endpoint, o.state, o.state_reason, o.state_since,"
        " coalesce(jsonb_object_agg(m.queue_name, m.penalty)"
        "   FILTER (WHERE m.queue_name IS NOT NULL), '{}'::jsonb) AS queues"
        " FROM operators o LEFT JOIN queue_members m ON m.operator_id = o.id"
        " GROUP BY o.id ORDER BY o.id"
    )


@dataclass(frozen=True, slots=True)
class OperatorRequest:
    id: int
    operator_id: str
    action: str
    reason: str | None
    requested_at: datetime


async def request_operator_action(
    conn: DbConnection, operator_id: str, action: str, reason: str | None, source: str
) -> int:
    """Queue a state change for the routing process and wake it with NOTIFY."""
    exists = await conn.fetchval("SELECT 1 FROM operators WHERE id = $1", operator_id)
    if not exists:
        raise NotFound(f"no operator {operator_id!r}")
    async with conn.transaction():
        request_id: int = await conn.fetchval(
            "INSERT INTO operator_requests (operator_id, action, reason, source)"
            " VALUES ($1, $2, $3, $4) RETURNING id",
            operator_id,
            action,
            reason,
            source,
        )
        await conn.execute("SELECT pg_notify($1, $2)", OPERATOR_REQUESTS_CHANNEL, str(request_id))
    return request_id


@dataclass(frozen=True, slots=True)
class CustomerCard:
    id: int
    phone: str
    name: str
    tier: str
    priority: int
    account: str | None
    notes: str | None


@functools.lru_cache(maxsize=4096)
def _phone_keys(number: str, region: str | None) -> tuple[str, ...]:
    # Parsing a number costs tens of µs on every call's way to its operator; callers
    # call again (and callbacks and the dialer look the same numbers up).
    return tuple(phone_keys(number, region))


def phone_keys(number: str, region: str | None = None) -> list[str]:
    """The stored phones a caller number may match, best first.

    Cards are stored in E.164 (``customers import``/``add`` normalise them), but trunks
    send what they like: ``030 1234567``, ``0049301234567``, ``+49 30 1234567``. So:
    the number normalised with ``region`` (``dialer.default_region``, for numbers
    without +country); then the number as sent (an extension, or a card written
    before normalisation); then, for 10 to 15 bare digits, ``+`` and the digits when
    that is a valid number (a trunk that drops the ``+``: ``49301234567``).
    """
    raw = number.strip()
    keys: list[str] = []
    normalised = normalize_number(raw, region=_known_region(region), require_valid=False)
    if isinstance(normalised, NormalizedNumber):
        keys.append(normalised.e164)
    keys.append(raw)
    if raw.isdigit() and 10 <= len(raw) <= 15:  # E.164 allows 15 digits at most
        plus = normalize_number("+" + raw, require_valid=True)
        if isinstance(plus, NormalizedNumber):
            keys.append(plus.e164)
    return list(dict.fromkeys(keys))


def _known_region(region: str | None) -> str | None:
    # A bad region was reported by check-config; a lookup mid-call must not fail on it.
    try:
        return normalize_region(region)
    except ValueError:
        return None


async def find_customer(
    conn: DbConnection, phone: str, *, tenant: str, region: str | None = None
) -> CustomerCard | None:
    """``tenant``'s card of the caller number ``phone`` as the trunk sent it (see
    :func:`phone_keys`). One phone may have a card in each tenant: a caller gets the card
    of the tenant whose number they called, never another's."""
    keys = _phone_keys(phone, region)
    if len(keys) == 1:  # the common case: the trunk sent E.164
        row = await conn.fetchrow(
            "SELECT id, phone, name, tier, priority, account, notes FROM customers"
            " WHERE phone = $1 AND tenant = $2",
            keys[0],
            tenant,
        )
    else:
        row = await conn.fetchrow(
            "SELECT id, phone, name, tier, priority, account, notes FROM customers"
            " WHERE phone = ANY($1::text[]) AND tenant = $2"
            " ORDER BY array_position($1::text[], phone) LIMIT 1",
            list(keys),
            tenant,
        )
    return CustomerCard(**dict(row)) if row else None


async def upsert_customer(
    conn: DbConnection,
    *,
    phone: str,
    name: str,
    tenant: str,
    tier: str = "standard",
    priority: int = 0,
    account: str | None = None,
    notes: str | None = None,
) -> int:
    """Create or replace ``tenant``'s card of ``phone`` (E.164); its id."""
    check_e164(phone)
    customer_id: int = await conn.fetchval(
        "INSERT INTO customers (phone, name, tier, priority, account, notes, tenant)"
        " VALUES ($1,$2,$3,$4,$5,$6,$7) ON CONFLICT (phone, tenant) DO UPDATE SET name=$2,"
        " tier=$3, priority=$4, account=$5, notes=$6, updated_at=now() RETURNING id",
        phone,
        name,
        tier,
        priority,
        account,
        notes,
        tenant,
    )
    return customer_id


async def operators_by_state(conn: DbConnection) -> dict[str, int]:
    rows = await conn.fetch("SELECT state, count(*) AS n FROM operators GROUP BY state")
    return {row["state"]: row["n"] for row in rows}


async def operator_states_by_queue(conn: DbConnection) -> list[asyncpg.Record]:
    """(queue, state, how many operators) over queue memberships."""
    return await conn.fetch(
        "SELECT m.queue_name, o.state, count(*) AS n FROM queue_members m"
        " JOIN operators o ON o.id = m.operator_id GROUP BY 1, 2"
    )


async def request_result(conn: DbConnection, request_id: int) -> str | None:
    """An operator request's result once a running callrouter applied it, else None."""
    result: str | None = await conn.fetchval(
        "SELECT result FROM operator_requests WHERE id = $1 AND applied_at IS NOT NULL",
        request_id,
    )
    return result
