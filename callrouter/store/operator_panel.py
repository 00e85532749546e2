"""What the operator panel reads for the caller's card: their past calls (outcome,
disposition, whether a recording is there to play) and, for a campaign's call, its
attempt and lead. The card itself is ``directory.find_customer``."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import asyncpg

from callrouter.store._pool import DbConnection

__all__ = ["attempt_of_call", "attempt_owner", "call_of_card", "lead_data", "past_calls"]

PAST_CALLS = 10


async def past_calls(
    conn: DbConnection,
    numbers: Sequence[str],
    *,
    tenant: str,
    exclude: uuid.UUID | None = None,
    limit: int = PAST_CALLS,
) -> list[asyncpg.Record]:
    """``tenant``'s newest finished calls with one of ``numbers`` (the caller of an
    inbound call, the customer dialled by an outbound one), newest first."""
    return await conn.fetch(
        "SELECT c.id, c.direction, c.created_at, c.queue_name, c.operator_id, c.outcome,"
        " c.wait_s, c.talk_s, c.disposition, c.disposition_note,"
        " EXISTS (SELECT 1 FROM recordings r WHERE r.call_id = c.id"
        "   AND r.state NOT IN ('deleted', 'failed')) AS has_recording"
        " FROM calls c WHERE c.outcome IS NOT NULL AND c.tenant = $4"
        " AND (c.id <> $2 OR $2::uuid IS NULL)"
        " AND ((c.direction = 'inbound' AND c.caller_number = ANY($1::text[]))"
        "   OR (c.direction = 'outbound' AND c.called_number = ANY($1::text[])))"
        " ORDER BY c.created_at DESC LIMIT $3",
        list(numbers),
        exclude,
        limit,
        tenant,
    )


async def attempt_of_call(conn: DbConnection, call_id: uuid.UUID) -> asyncpg.Record | None:
    """The campaign attempt ``call_id`` belongs to, with its campaign and lead."""
    return await conn.fetchrow(
        "SELECT a.id AS attempt_id, a.operator_id, a.disposition, c.name AS campaign,"
        " c.id AS campaign_id,"
        " l.id AS lead_id, l.name AS lead_name, l.phone AS lead_phone, l.data AS lead_data"
        " FROM attempts a JOIN campaigns c ON c.id = a.campaign_id"
        " JOIN leads l ON l.id = a.lead_id WHERE a.call_id = $1",
        call_id,
    )


async def call_of_card(conn: DbConnection, call_id: uuid.UUID) -> asyncpg.Record | None:
    """The call a card is opened for, as its row has it."""
    return await conn.fetchrow(
        "SELECT direction, caller_number, caller_name, called_number, queue_name,"
        " operator_id FROM calls WHERE id = $1",
        call_id,
    )


async def lead_data(conn: DbConnection, lead_id: int) -> dict[str, object] | None:
    """A lead's own fields (the campaign file's extra columns), for its script."""
    data = await conn.fetchval("SELECT data FROM leads WHERE id = $1", lead_id)
    return dict(data) if data else None


async def attempt_owner(conn: DbConnection, attempt_id: int) -> str | None:
    """The operator an attempt was given to."""
    owner = await conn.fetchval("SELECT operator_id FROM attempts WHERE id = $1", attempt_id)
    return str(owner) if owner is not None else None
