"""Recording rows: one per recording of a call, from start to file on disk to purge."""

from __future__ import annotations

import uuid
from datetime import datetime

import asyncpg

from callrouter.store._pool import DbConnection

__all__ = [
    "latest_recording",
    "list_recordings",
    "mark_recording_deleted",
    "recordings_by_name",
    "recordings_of_call",
    "recordings_started_between",
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


async def recordings_by_name(conn: DbConnection, name: str) -> list[asyncpg.Record]:
    return await conn.fetch("SELECT name, format, state FROM recordings WHERE name = $1", name)


async def recordings_of_call(conn: DbConnection, call_id: uuid.UUID) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT name, format, state FROM recordings WHERE call_id = $1 ORDER BY started_at",
        call_id,
    )


async def recordings_started_between(
    conn: DbConnection, since: datetime | None, until: datetime | None
) -> list[asyncpg.Record]:
    """Recordings not deleted, with their call's caller, queue and operator and their
    tenant (export)."""
    return await conn.fetch(
        "SELECT r.name, r.format, r.started_at, r.duration_s, r.call_id, c.caller_number,"
        " c.caller_name, c.queue_name, c.operator_id, r.tenant"
        " FROM recordings r JOIN calls c ON c.id = r.call_id"
        " WHERE r.state <> 'deleted' AND ($1::timestamptz IS NULL OR r.started_at >= $1)"
        " AND ($2::timestamptz IS NULL OR r.started_at < $2)"
        " ORDER BY r.started_at, r.name",
        since,
        until,
    )
