"""Rows for the API tests to read, written straight to the database."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import asyncpg

T0 = datetime(2025, 3, 4, 9, 30, tzinfo=UTC)
NASTY = "Robert'); DROP TABLE calls;-- \"O'Hara\" <\\x00|%s>"


async def add_operator(pool: asyncpg.Pool, op_id: str, *, state: str = "available") -> None:
    await pool.execute("INSERT INTO queues (name) VALUES ('support') ON CONFLICT DO NOTHING")
    await pool.execute(
        "INSERT INTO operators (id, name, endpoint, state, state_reason)"
        " VALUES ($1, $2, $3, $4, $5)",
        op_id,
        f"Operator {op_id}",
        f"PJSIP/{op_id}",
        state,
        "lunch" if state == "paused" else None,
    )
    await pool.execute(
        "INSERT INTO queue_members (queue_name, operator_id, penalty) VALUES ('support', $1, 2)",
        op_id,
    )


async def add_call(
    pool: asyncpg.Pool,
    *,
    caller_name: str = NASTY,
    queue: str = "support",
    outcome: str | None = "answered",
    created_at: datetime = T0,
    channel_id: str | None = None,
    call_id: uuid.UUID | None = None,
) -> uuid.UUID:
    call_id = call_id or uuid.uuid4()
    ended = created_at + timedelta(seconds=72) if outcome else None
    await pool.execute(
        "INSERT INTO calls (id, direction, channel_id, caller_number, caller_name, queue_name,"
        " created_at, queued_at, answered_at, ended_at, wait_s, talk_s, outcome)"
        " VALUES ($1,'inbound',$2,'+4930123',$3,$4,$5,$5,$6,$7,12.5,60,$8)",
        call_id,
        channel_id,
        caller_name,
        queue,
        created_at,
        created_at + timedelta(seconds=12) if outcome else None,
        ended,
        outcome,
    )
    return call_id


async def add_events_and_recordings(pool: asyncpg.Pool, call_id: uuid.UUID) -> None:
    # The pool encodes jsonb itself (callrouter.store._pool), so data goes in as dicts.
    await pool.execute(
        "INSERT INTO call_events (call_id, at, event, queue_name, operator_id, data) VALUES"
        " ($1, $2, 'ENTERQUEUE', 'support', NULL, $3::jsonb),"
        " ($1, $4, 'CONNECT', 'support', 'anna', $5::jsonb)",
        call_id,
        T0,
        {"caller_id": NASTY, "position": 1},
        T0 + timedelta(seconds=12),
        {"holdtime": 12, "ringtime": 3},
    )
    await pool.execute(
        "INSERT INTO recordings (call_id, name, format, state, started_at, ended_at,"
        " duration_s, size_bytes) VALUES"
        " ($1, $2, 'wav', 'done', $3, $4, 60, 960044),"
        " ($1, $5, 'wav', 'deleted', $3, $4, 60, NULL)",
        call_id,
        f"rec-{call_id}",
        T0 + timedelta(seconds=12),
        T0 + timedelta(seconds=72),
        f"old-{call_id}",
    )


async def add_callback(
    pool: asyncpg.Pool, *, phone: str, status: str = "pending", due_in_s: int = 0
) -> int:
    callback_id: int = await pool.fetchval(
        "INSERT INTO callbacks (queue_name, phone, caller_name, queued_at, requested_at,"
        " due_at, status, note) VALUES ('support', $1, $2, $3, $3, $4, $5, $2) RETURNING id",
        phone,
        NASTY,
        T0,
        T0 + timedelta(seconds=due_in_s),
        status,
    )
    return callback_id


async def add_attempt(pool: asyncpg.Pool) -> int:
    campaign_id = await pool.fetchval(
        "INSERT INTO campaigns (name, mode) VALUES ('spring', 'progressive') RETURNING id"
    )
    lead_id = await pool.fetchval(
        "INSERT INTO leads (campaign_id, key, phone, timezone) VALUES ($1, 'L1', '+4930999',"
        " 'Europe/Berlin') RETURNING id",
        campaign_id,
    )
    attempt_id: int = await pool.fetchval(
        "INSERT INTO attempts (campaign_id, lead_id, started_at) VALUES ($1, $2, $3) RETURNING id",
        campaign_id,
        lead_id,
        T0,
    )
    return attempt_id
