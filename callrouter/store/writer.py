"""Batched, retried writes: a database outage must neither stop routing nor lose a row.

Theory of operation: the routing shell calls :meth:`RecordWriter.put` (never awaits the
database); one background task drains the queue in batches, each batch in one
transaction, in the order records were put. If PostgreSQL is unreachable the batch is
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
import random
from collections import deque
from collections.abc import Sequence

import asyncpg
import structlog

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
DEFAULT_RETRY_MAX_S = 10.0
_RETRYABLE = (OSError, asyncpg.InterfaceError, asyncpg.PostgresConnectionError, TimeoutError)


class RecordWriter:
    def __init__(
        self,
        *,
        pool: asyncpg.Pool,
        batch_size: int = DEFAULT_BATCH_SIZE,
        retry_max_s: float = DEFAULT_RETRY_MAX_S,
    ) -> None:
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        self._pool = pool
        self._batch_size = batch_size
        self._retry_max_s = retry_max_s
        self._pending: deque[Record] = deque()
        self._wakeup = asyncio.Event()
        self._put_count = 0
        self._written_count = 0
        self._progress = asyncio.Condition()
        self._task: asyncio.Task[None] | None = None
        self.failures = 0

    @property
    def backlog(self) -> int:
        return len(self._pending)

    def put(self, record: Record) -> None:
        self._pending.append(record)
        self._put_count += 1
        self._wakeup.set()

    def put_all(self, records: Sequence[Record]) -> None:
        for record in records:
            self.put(record)

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="record-writer")

    async def stop(self, *, flush_timeout_s: float = 10.0) -> None:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(flush_timeout_s):
                await self.flush()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._pending:
            log.error("records_not_written_at_shutdown", count=len(self._pending))

    async def flush(self) -> None:
        target = self._put_count
        async with self._progress:
            await self._progress.wait_for(lambda: self._written_count >= target)

    async def _run(self) -> None:
        delay = 0.05
        while True:
            if not self._pending:
                self._wakeup.clear()
                await self._wakeup.wait()
            batch = [self._pending[i] for i in range(min(self._batch_size, len(self._pending)))]
            try:
                async with self._pool.acquire() as conn, conn.transaction():
                    await _write_batch(conn, batch)
            except _RETRYABLE as exc:
                self.failures += 1
                log.warning(
                    "database_write_retry",
                    error=str(exc),
                    backlog=len(self._pending),
                    delay_s=delay,
                )
                await asyncio.sleep(delay * (0.5 + random.random()))
                delay = min(delay * 2, self._retry_max_s)
                continue
            except asyncpg.PostgresError as exc:
                # A record the database refuses will be refused forever: write the rest of
                # the batch one by one so a single bad row cannot block every later one.
                log.error("database_batch_rejected", error=str(exc), size=len(batch))
                await self._write_one_by_one(batch)
            delay = 0.05
            for _ in batch:
                self._pending.popleft()
            async with self._progress:
                self._written_count += len(batch)
                self._progress.notify_all()

    async def _write_one_by_one(self, batch: list[Record]) -> None:
        for record in batch:
            try:
                async with self._pool.acquire() as conn, conn.transaction():
                    await _write_batch(conn, [record])
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
