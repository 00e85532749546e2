"""Every query on ``callbacks``: scheduled over the API, claimed by the dialer, finished.

(The callbacks a caller asks for with a key are inserted by the batched writer,
``store.writer``, with the rest of the call's rows.)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg

from callrouter.store._pool import DbConnection

__all__ = [
    "DueCallback",
    "cancel_dnc_callbacks",
    "claim_queue_callbacks",
    "due_operator_callbacks",
    "finish_callback",
    "list_callbacks",
    "mark_callback_dialing",
    "queues_with_due_callbacks",
    "schedule_callback",
]


@dataclass(frozen=True, slots=True)
class DueCallback:
    id: int
    phone: str
    caller_name: str = ""
    operator_id: str | None = None


async def schedule_callback(
    conn: DbConnection,
    *,
    queue: str,
    phone: str,
    name: str,
    now: datetime,
    due_at: datetime,
    note: str | None,
    operator_id: str | None,
) -> int:
    callback_id: int = await conn.fetchval(
        "INSERT INTO callbacks (queue_name, phone, caller_name, queued_at, requested_at,"
        " due_at, note, operator_id) VALUES ($1, $2, $3, $4, $4, $5, $6, $7) RETURNING id",
        queue, phone, name, now, due_at, note, operator_id,
    )  # fmt: skip
    return callback_id


async def cancel_dnc_callbacks(conn: DbConnection, now: datetime) -> int:
    """Pending callbacks to numbers now on the do-not-call list are never dialled: they
    are cancelled, right before the claims that would dial them."""
    result = await conn.execute(
        "UPDATE callbacks c SET status = 'cancelled', note = 'on the do-not-call list'"
        " WHERE c.status = 'pending' AND c.due_at <= $1 AND EXISTS (SELECT 1 FROM do_not_call d"
        "   WHERE d.phone = c.phone AND (d.expires_at IS NULL OR d.expires_at > $1))",
        now,
    )
    return int(result.split()[-1])


async def queues_with_due_callbacks(conn: DbConnection) -> list[str]:
    """Queues with callbacks due that any operator of the queue may take."""
    rows = await conn.fetch(
        "SELECT DISTINCT queue_name FROM callbacks"
        " WHERE status = 'pending' AND due_at <= now() AND queue_name IS NOT NULL"
        " AND operator_id IS NULL"
    )
    return [row["queue_name"] for row in rows]


async def claim_queue_callbacks(
    conn: DbConnection, queue: str, now: datetime, limit: int
) -> list[DueCallback]:
    """Oldest first by the caller's original queue time; SKIP LOCKED across nodes.
    Numbers on the do-not-call list at ``now`` are cancelled, not claimed."""
    await cancel_dnc_callbacks(conn, now)
    rows = await conn.fetch(
        "UPDATE callbacks SET status = 'dialing', attempts = attempts + 1"
        " WHERE id IN (SELECT id FROM callbacks WHERE status = 'pending'"
        "   AND queue_name = $1 AND due_at <= $2 AND operator_id IS NULL"
        "   ORDER BY queued_at"
        "   LIMIT $3 FOR UPDATE SKIP LOCKED)"
        " RETURNING id, phone, caller_name",
        queue,
        now,
        limit,
    )
    return [DueCallback(r["id"], r["phone"], r["caller_name"]) for r in rows]


async def due_operator_callbacks(conn: DbConnection, now: datetime) -> list[DueCallback]:
    """Callbacks reserved for one operator, due now (do-not-call ones cancelled)."""
    await cancel_dnc_callbacks(conn, now)
    rows = await conn.fetch(
        "SELECT id, operator_id, phone FROM callbacks WHERE status = 'pending'"
        " AND operator_id IS NOT NULL AND due_at <= $1 ORDER BY due_at, queued_at",
        now,
    )
    return [DueCallback(r["id"], r["phone"], operator_id=r["operator_id"]) for r in rows]


async def mark_callback_dialing(conn: DbConnection, callback_id: int) -> None:
    await conn.execute(
        "UPDATE callbacks SET status = 'dialing', attempts = attempts + 1 WHERE id = $1",
        callback_id,
    )


async def finish_callback(
    conn: asyncpg.Connection | DbConnection,
    callback_id: int,
    outcome: str,
    *,
    operator_id: str | None,
    retry_at: datetime,
    max_attempts: int,
) -> None:
    """Done when someone talked to the customer; otherwise due again at ``retry_at``,
    until the attempts run out."""
    await conn.execute(
        "UPDATE callbacks SET"
        " status = CASE WHEN $2 = 'connected' THEN 'done'"
        "   WHEN attempts >= $3 THEN 'failed' ELSE 'pending' END,"
        " due_at = CASE WHEN $2 = 'connected' THEN due_at ELSE $4 END,"
        " operator_id = coalesce($5, operator_id), note = $6"
        " WHERE id = $1",
        callback_id,
        outcome,
        max_attempts,
        retry_at,
        operator_id,
        f"last attempt: {outcome}",
    )


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
