"""Recording rows: one per recording of a call, from start to file on disk to purge."""

from __future__ import annotations

import uuid

import asyncpg

from callrouter.store._pool import DbConnection

__all__ = [
    "latest_recording",
    "list_recordings",
    "mark_recording_deleted",
]


async def list_recordings(
    conn: DbConnection, *, limit: int = 50, call_id: uuid.UUID | None = None
) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT r.name, r.call_id, r.format, r.state, r.started_at, r.ended_at, r.duration_s,"
        " r.size_bytes, r.error, c.queue_name, c.operator_id, c.caller_number"
        " FROM recordings r JOIN calls c ON c.id = r.call_id"
        " WHERE ($1::uuid IS NULL OR r.call_id = $1)"
        " ORDER BY r.started_at DESC LIMIT $2",
        call_id,
        limit,
    )


async def mark_recording_deleted(conn: DbConnection, name: str) -> None:
    await conn.execute("UPDATE recordings SET state = 'deleted' WHERE name = $1", name)


async def latest_recording(conn: DbConnection, call_id: uuid.UUID) -> asyncpg.Record | None:
    """The newest recording of a call that was not deleted (name, format)."""
    row: asyncpg.Record | None = await conn.fetchrow(
        "SELECT name, format FROM recordings WHERE call_id = $1 AND state <> 'deleted'"
        " ORDER BY started_at DESC LIMIT 1",
        call_id,
    )
    return row
