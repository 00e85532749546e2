"""The few queries only the API needs; the call log's live in callrouter.store.calls."""

from __future__ import annotations

import asyncpg

from callrouter.errors import NotFound
from callrouter.store._pool import DbConnection

__all__ = ["list_callbacks", "set_disposition"]


async def list_callbacks(
    conn: DbConnection, *, status: str, queue: str | None, limit: int
) -> list[asyncpg.Record]:
    # Oldest place first: the order in which the dispatcher will serve them.
    return await conn.fetch(
        "SELECT id, call_id, queue_name, phone, caller_name, queued_at, requested_at, due_at,"
        " operator_id, campaign_id, status, attempts, note FROM callbacks"
        " WHERE status = $1 AND ($2::text IS NULL OR queue_name = $2)"
        " ORDER BY due_at, queued_at, id LIMIT $3",
        status,
        queue,
        limit,
    )


async def set_disposition(conn: DbConnection, attempt_id: int, disposition: str) -> asyncpg.Record:
    row = await conn.fetchrow(
        "UPDATE attempts SET disposition = $2 WHERE id = $1"
        " RETURNING id AS attempt_id, campaign_id, lead_id, call_id, disposition",
        attempt_id,
        disposition,
    )
    if row is None:
        raise NotFound(f"no attempt {attempt_id}")
    return row
