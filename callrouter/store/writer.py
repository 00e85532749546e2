"""Batched, retried writes: a database outage must neither stop routing nor lose a row.

Theory of operation: the routing shell calls :meth:`RecordWriter.put` (never awaits the
database); one background task drains the queue in batches (``_batching.BatchQueue``,
shared with the webhook delivery log), each batch in one transaction, in the order
records were put. If PostgreSQL is unreachable the batch is
kept and retried with capped backoff while new records keep queueing in memory; once
the database is back everything lands in order. ``flush()`` waits until all records put
so far are written (tests and shutdown use it).

A crash while the database is down loses the in-memory queue; the restart path covers
that: every call row still open (outcome NULL) whose channel is gone is closed by
:func:`callrouter.store.calls.close_orphaned_calls`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence

import asyncpg
import structlog

from callrouter.store._batching import DEFAULT_RETRY_MAX_S, BatchQueue
from callrouter.store._pool import DbConnection
from callrouter.store._records import (
    CallbackInsert,
    CallEventRow,
    CallInsert,
    CallUpdate,
    OperatorStateRow,
    Record,
    RecordingInsert,
    RecordingUpdate,
)

__all__ = ["RecordWriter"]

log = structlog.get_logger(__name__)

DEFAULT_BATCH_SIZE = 500


class RecordWriter:
    def __init__(
        self,
        *,
        pool: asyncpg.Pool,
        batch_size: int = DEFAULT_BATCH_SIZE,
        retry_max_s: float = DEFAULT_RETRY_MAX_S,
    ) -> None:
        self._pool = pool
        self._queue: BatchQueue[Record] = BatchQueue(
            name="records",
            write=self._write,
            on_rejected=self._write_one_by_one,
            batch_size=batch_size,
            retry_max_s=retry_max_s,
        )
        self._task: asyncio.Task[None] | None = None

    @property
    def backlog(self) -> int:
        return self._queue.backlog

    @property
    def failures(self) -> int:
        return self._queue.failures

    def put(self, record: Record) -> None:
        self._queue.put(record)

    def put_all(self, records: Sequence[Record]) -> None:
        for record in records:
            self._queue.put(record)

    async def start(self) -> None:
        self._task = asyncio.create_task(self._queue.run(), name="record-writer")

    async def stop(self, *, flush_timeout_s: float = 10.0) -> None:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(flush_timeout_s):
                await self.flush()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._queue.backlog:
            log.error("records_not_written_at_shutdown", count=self._queue.backlog)

    async def flush(self) -> None:
        await self._queue.flush()

    async def _write(self, batch: list[Record]) -> None:
        async with self._pool.acquire() as conn, conn.transaction():
            await _write_batch(conn, batch)

    async def _write_one_by_one(self, batch: list[Record], _: asyncpg.PostgresError) -> None:
        # A record the database refuses will be refused forever: write the rest of the
        # batch one by one so a single bad row cannot block every later one.
        for record in batch:
            try:
                await self._write([record])
            except asyncpg.PostgresError as exc:
                log.error("database_record_rejected", error=str(exc), record=repr(record))


async def _write_batch(conn: DbConnection, batch: Sequence[Record]) -> None:
    # Consecutive records of one kind go in one executemany; order is kept because a
    # call's events reference its row.
    index = 0
    while index < len(batch):
        kind = type(batch[index])
        end = index
        while end < len(batch) and type(batch[end]) is kind:
            end += 1
        group = batch[index:end]
        if kind is CallUpdate:
            for update in group:
                assert isinstance(update, CallUpdate)
                await _update_call(conn, update)
        else:
            sql, rows = _INSERTS[kind](group)
            await conn.executemany(sql, rows)
        index = end


async def _update_call(conn: DbConnection, update: CallUpdate) -> None:
    columns = sorted(update.values)
    assignments = ", ".join(f"{column} = ${i + 2}" for i, column in enumerate(columns))
    await conn.execute(
        f"UPDATE calls SET {assignments} WHERE id = $1",
        update.call_id,
        *(update.values[c] for c in columns),
    )


def _call_inserts(group: Sequence[Record]) -> tuple[str, list[tuple[object, ...]]]:
    rows: list[tuple[object, ...]] = []
    for r in group:
        assert isinstance(r, CallInsert)
        rows.append(
            (
                r.call_id,
                r.direction,
                r.channel_id,
                r.node,
                r.caller_number,
                r.caller_name,
                r.called_number,
                r.queue_name,
                r.priority,
                r.created_at,
            )
        )
    sql = (
        "INSERT INTO calls (id, direction, channel_id, node, caller_number, caller_name,"
        " called_number, queue_name, priority, created_at)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (id) DO NOTHING"
    )
    return sql, rows


def _event_inserts(group: Sequence[Record]) -> tuple[str, list[tuple[object, ...]]]:
    rows: list[tuple[object, ...]] = []
    for r in group:
        assert isinstance(r, CallEventRow)
        rows.append((r.call_id, r.at, r.event, r.queue_name, r.operator_id, r.data))
    sql = (
        "INSERT INTO call_events (call_id, at, event, queue_name, operator_id, data)"
        " VALUES ($1, $2, $3, $4, $5, $6)"
    )
    return sql, rows


def _operator_state_inserts(group: Sequence[Record]) -> tuple[str, list[tuple[object, ...]]]:
    rows: list[tuple[object, ...]] = []
    for r in group:
        assert isinstance(r, OperatorStateRow)
        rows.append((r.operator_id, r.old_state, r.state, r.reason, r.at))
    # One statement both logs the change and moves the operator's current state, so the
    # two can never disagree.
    sql = (
        "WITH moved AS (UPDATE operators SET state = $3, state_reason = $4, state_since = $5,"
        " updated_at = now() WHERE id = $1 RETURNING id)"
        " INSERT INTO operator_state_log (operator_id, old_state, state, reason, at)"
        " SELECT id, $2, $3, $4, $5 FROM moved"
    )
    return sql, rows


def _recording_inserts(group: Sequence[Record]) -> tuple[str, list[tuple[object, ...]]]:
    rows: list[tuple[object, ...]] = []
    for r in group:
        assert isinstance(r, RecordingInsert)
        rows.append((r.call_id, r.name, r.format, r.started_at))
    sql = (
        "INSERT INTO recordings (call_id, name, format, started_at) VALUES ($1, $2, $3, $4)"
        " ON CONFLICT (name) DO NOTHING"
    )
    return sql, rows


def _recording_updates(group: Sequence[Record]) -> tuple[str, list[tuple[object, ...]]]:
    rows: list[tuple[object, ...]] = []
    for r in group:
        assert isinstance(r, RecordingUpdate)
        rows.append((r.name, r.state, r.ended_at, r.duration_s, r.size_bytes, r.error))
    # NULL means "unchanged", so a pause (state only) keeps the start's figures.
    sql = (
        "UPDATE recordings SET state = $2, ended_at = coalesce($3, ended_at),"
        " duration_s = coalesce($4, duration_s), size_bytes = coalesce($5, size_bytes),"
        " error = coalesce($6, error) WHERE name = $1"
    )
    return sql, rows


def _callback_inserts(group: Sequence[Record]) -> tuple[str, list[tuple[object, ...]]]:
    rows: list[tuple[object, ...]] = []
    for r in group:
        assert isinstance(r, CallbackInsert)
        rows.append(
            (r.call_id, r.queue_name, r.phone, r.caller_name, r.queued_at, r.requested_at, r.due_at)
        )
    sql = (
        "INSERT INTO callbacks (call_id, queue_name, phone, caller_name, queued_at,"
        " requested_at, due_at) VALUES ($1, $2, $3, $4, $5, $6, $7)"
    )
    return sql, rows


_INSERTS = {
    CallbackInsert: _callback_inserts,
    RecordingInsert: _recording_inserts,
    RecordingUpdate: _recording_updates,
    CallInsert: _call_inserts,
    CallEventRow: _event_inserts,
    OperatorStateRow: _operator_state_inserts,
}
