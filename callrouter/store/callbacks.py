"""Every query on ``callbacks``: scheduled over the API, offered to the routing core,
claimed by the dialer (one node at a time), finished, and given back after a crash.

(The callbacks a caller asks for with a key are inserted by the batched writer,
``store.writer``, with the rest of the call's rows.)
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from callrouter.config import DEFAULT_TENANT
from callrouter.dialer.store import OpenAttempt
from callrouter.store._pool import DbConnection

__all__ = [
    "OPERATOR_PLAN_PREFIX",
    "QUEUE_PLAN_PREFIX",
    "DueCallback",
    "cancel_callback",
    "cancel_dnc_callbacks",
    "claim_callback",
    "due_operator_callbacks",
    "due_queue_callbacks",
    "expire_dialing_callbacks",
    "finish_callback",
    "list_callbacks",
    "mark_callback_dialing",
    "open_callback_attempts",
    "schedule_callback",
    "set_callback_call",
    "unclaim_callback",
]

# How a callback's attempt is named among the dialer's open attempts.
QUEUE_PLAN_PREFIX = "callback:"
OPERATOR_PLAN_PREFIX = "operator-callback:"


@dataclass(frozen=True, slots=True)
class DueCallback:
    id: int
    phone: str
    caller_name: str = ""
    operator_id: str | None = None
    queue: str | None = None
    priority: int = 0
    queued_at: datetime | None = None
    # Whose callback: its tenant's do-not-call list applies, besides the center's.
    tenant: str = DEFAULT_TENANT


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
        "   WHERE d.phone = c.phone AND (d.tenant IS NULL OR d.tenant = c.tenant)"
        "   AND (d.expires_at IS NULL OR d.expires_at > $1))",
        now,
    )
    return int(result.split()[-1])


async def due_queue_callbacks(
    conn: DbConnection, now: datetime, per_queue: int
) -> list[DueCallback]:
    """Per queue, the ``per_queue`` best pending callbacks due at ``now`` that any operator
    of the queue may take, with the priority and original place of the caller's call
    (priority 0 for a callback scheduled over the API). Numbers on the do-not-call list
    at ``now`` are cancelled first."""
    await cancel_dnc_callbacks(conn, now)
    rows = await conn.fetch(
        "SELECT id, phone, caller_name, queue_name, priority, queued_at FROM ("
        "  SELECT b.id, b.phone, b.caller_name, b.queue_name, b.queued_at,"
        "   coalesce(k.priority, 0) AS priority, row_number() OVER (PARTITION BY b.queue_name"
        "   ORDER BY coalesce(k.priority, 0) DESC, b.queued_at, b.id) AS rank"
        "  FROM callbacks b LEFT JOIN calls k ON k.id = b.call_id"
        "  WHERE b.status = 'pending' AND b.due_at <= $1 AND b.queue_name IS NOT NULL"
        "  AND b.operator_id IS NULL) best WHERE rank <= $2",
        now,
        per_queue,
    )
    return [
        DueCallback(
            r["id"],
            r["phone"],
            r["caller_name"],
            queue=r["queue_name"],
            priority=r["priority"],
            queued_at=r["queued_at"],
        )
        for r in rows
    ]


async def claim_callback(
    conn: DbConnection, callback_id: int, node: str, now: datetime
) -> DueCallback | None:
    """Take a pending callback to dial it now (None: gone, not due, or another node's).
    Only a pending row is taken, and ``SKIP LOCKED``: two nodes never dial it at once."""
    row = await conn.fetchrow(
        "UPDATE callbacks SET status = 'dialing', attempts = attempts + 1,"
        " dialing_node = $2, dialing_since = $3"
        " WHERE id = (SELECT id FROM callbacks WHERE id = $1 AND status = 'pending'"
        "   AND due_at <= $3 FOR UPDATE SKIP LOCKED)"
        " RETURNING id, phone, caller_name, queue_name, operator_id, tenant",
        callback_id,
        node,
        now,
    )
    if row is None:
        return None
    return DueCallback(
        row["id"], row["phone"], row["caller_name"], row["operator_id"], row["queue_name"],
        tenant=row["tenant"],
    )  # fmt: skip


async def unclaim_callback(conn: DbConnection, callback_id: int, note: str | None = None) -> None:
    """A claim given back before anything was dialled: pending again, in its place, the
    attempt not counted."""
    await conn.execute(
        "UPDATE callbacks SET status = 'pending', attempts = greatest(attempts - 1, 0),"
        " dialing_node = NULL, dialing_since = NULL, note = coalesce($2, note)"
        " WHERE id = $1 AND status = 'dialing'",
        callback_id,
        note,
    )


async def cancel_callback(conn: DbConnection, callback_id: int, why: str) -> None:
    """Never to be dialled (on the do-not-call list, not a phone number)."""
    await conn.execute(
        "UPDATE callbacks SET status = 'cancelled', note = $2, dialing_node = NULL,"
        " dialing_since = NULL WHERE id = $1",
        callback_id,
        why[:500],
    )


async def set_callback_call(conn: DbConnection, callback_id: int, call_id: str) -> None:
    await conn.execute(
        "UPDATE callbacks SET last_call_id = $2 WHERE id = $1", callback_id, uuid.UUID(call_id)
    )


async def open_callback_attempts(conn: DbConnection, node: str) -> list[OpenAttempt]:
    """The callbacks ``node`` left in ``dialing``, as the dialer's open attempts (with the
    call of the attempt, if its row arrived)."""
    rows = await conn.fetch(
        "SELECT b.id, b.queue_name, b.operator_id, b.last_call_id, b.dialing_since,"
        " k.answered_at, k.channel_id, k.outcome, b.phone, b.caller_name FROM callbacks b"
        " LEFT JOIN calls k ON k.id = b.last_call_id"
        " WHERE b.status = 'dialing' AND b.dialing_node = $1 ORDER BY b.dialing_since, b.id",
        node,
    )
    return [_open_attempt(r) for r in rows]


def _open_attempt(r: asyncpg.Record) -> OpenAttempt:
    plan = (
        f"{OPERATOR_PLAN_PREFIX}{r['operator_id']}"
        if r["operator_id"]
        else f"{QUEUE_PLAN_PREFIX}{r['queue_name']}"
    )
    return OpenAttempt(
        id=r["id"], lead_id=r["id"], campaign=plan, call_id=r["last_call_id"],
        started_at=r["dialing_since"], answered_at=r["answered_at"],
        channel_id=r["channel_id"], call_outcome=r["outcome"], phone=r["phone"],
        name=r["caller_name"],
    )  # fmt: skip


async def expire_dialing_callbacks(
    conn: DbConnection, *, node: str, working: Iterable[int], now: datetime, stale_before: datetime
) -> int:
    """Renew ``node``'s claims on the callbacks it still works on, then give back every
    node's ``dialing`` callback not renewed since ``stale_before`` (its node is gone)."""
    await conn.execute(
        "UPDATE callbacks SET dialing_since = $3 WHERE id = ANY($2::bigint[])"
        " AND status = 'dialing' AND dialing_node = $1",
        node,
        list(working),
        now,
    )
    result = await conn.execute(
        "UPDATE callbacks SET status = 'pending', dialing_node = NULL, dialing_since = NULL,"
        " note = 'released: its node stopped dialling it'"
        " WHERE status = 'dialing' AND dialing_since < $1",
        stale_before,
    )
    return int(result.split()[-1])


async def due_operator_callbacks(conn: DbConnection, now: datetime) -> list[DueCallback]:
    """Callbacks reserved for one operator, due now (do-not-call ones cancelled)."""
    await cancel_dnc_callbacks(conn, now)
    rows = await conn.fetch(
        "SELECT id, operator_id, phone FROM callbacks WHERE status = 'pending'"
        " AND operator_id IS NOT NULL AND due_at <= $1 ORDER BY due_at, queued_at",
        now,
    )
    return [DueCallback(r["id"], r["phone"], operator_id=r["operator_id"]) for r in rows]


async def mark_callback_dialing(
    conn: DbConnection, callback_id: int, *, node: str, call_id: str, now: datetime
) -> None:
    await conn.execute(
        "UPDATE callbacks SET status = 'dialing', attempts = attempts + 1, dialing_node = $2,"
        " dialing_since = $3, last_call_id = $4 WHERE id = $1",
        callback_id,
        node,
        now,
        uuid.UUID(call_id),
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
    """Done when someone talked to the customer; otherwise due again at ``retry_at`` (a
    ``lost`` attempt, cut by a crash, keeps its due time), until the attempts run out.
    Its place (``queued_at``) never changes."""
    await conn.execute(
        "UPDATE callbacks SET"
        " status = CASE WHEN $2 = 'connected' THEN 'done'"
        "   WHEN attempts >= $3 THEN 'failed' ELSE 'pending' END,"
        " due_at = CASE WHEN $2 IN ('connected', 'lost') THEN due_at ELSE $4 END,"
        " operator_id = coalesce($5, operator_id), note = $6,"
        " dialing_node = NULL, dialing_since = NULL"
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
