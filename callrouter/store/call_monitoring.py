"""``call_monitoring``: who listened to, whispered into or barged in on which call, when."""

from __future__ import annotations

import uuid
from datetime import datetime

import asyncpg

from callrouter.store._pool import DbConnection

__all__ = ["close_monitoring", "close_stale_monitoring", "monitoring_of_call", "open_monitoring"]


async def open_monitoring(
    conn: DbConnection,
    *,
    call_id: uuid.UUID,
    supervisor: str,
    endpoint: str,
    mode: str,
    operator_id: str | None,
    node: str,
    at: datetime,
) -> int:
    """A supervisor starts monitoring (or changes mode); the row's id."""
    row_id: int = await conn.fetchval(
        "INSERT INTO call_monitoring"
        " (call_id, supervisor, endpoint, mode, operator_id, node, started_at)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        call_id, supervisor, endpoint, mode, operator_id, node, at,
    )  # fmt: skip
    return row_id


async def close_monitoring(conn: DbConnection, row_id: int, at: datetime) -> None:
    await conn.execute(
        "UPDATE call_monitoring SET ended_at = GREATEST($2, started_at)"
        " WHERE id = $1 AND ended_at IS NULL",
        row_id,
        at,
    )


async def close_stale_monitoring(
    conn: DbConnection, *, node: str, live_row_ids: list[int], at: datetime
) -> int:
    """Close ``node``'s open rows but those of monitorings still running (after a
    restart: all of them; its snoops were hung up). How many were closed."""
    status: str = await conn.execute(
        "UPDATE call_monitoring SET ended_at = GREATEST($3, started_at)"
        " WHERE node = $1 AND ended_at IS NULL AND NOT (id = ANY($2::bigint[]))",
        node,
        live_row_ids,
        at,
    )
    return int(status.rsplit(" ", 1)[-1])


async def monitoring_of_call(conn: DbConnection, call_id: uuid.UUID) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT supervisor, endpoint, mode, operator_id, node, started_at, ended_at"
        " FROM call_monitoring WHERE call_id = $1 ORDER BY started_at, id",
        call_id,
    )
