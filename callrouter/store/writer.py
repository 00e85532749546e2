"""Batched, retried writes: a database outage must neither stop routing nor lose a row,
and neither must a crash.

Theory of operation: the routing shell calls :meth:`RecordWriter.put` (never awaits the
database); one background task drains the queue in batches (``_batching.BatchQueue``,
shared with the webhook delivery log), each batch in one transaction, in the order
records were put. If PostgreSQL is unreachable the batch is kept and retried with
capped backoff while new records keep queueing; once the database is back everything
lands in order. ``flush()`` waits until all records put so far are written (tests and
shutdown use it).

With a :class:`~callrouter.store._spool.Spool` (``database.spool_dir``) every record is
also journalled on local disk by ``put`` itself, before PostgreSQL sees it, and each
batch's transaction also moves this run's mark in ``record_spools``. ``start()`` first
replays what a previous process left in the spool, in the order it was put, ahead of
anything new, and waits (up to ``replay_timeout_s``) until it is committed. A record
whose number is at or below its run's mark is already in PostgreSQL and is skipped: a
record replayed twice, or a batch retried after a commit whose acknowledgement was
lost, writes its rows once.

The guarantee, with a spool:

- Killed process (``kill -9``, OOM, crash): nothing is lost once ``put`` returned. The
  line is in the kernel's page cache after ``put``'s single ``write(2)``; the next
  start replays whatever PostgreSQL had not committed, exactly once.
- Power loss or kernel crash: at most the records put in the last group-commit window
  are lost: those put after the last completed ``fdatasync`` began, that is within
  about ``sync_interval_s`` (10 ms) plus one fdatasync before the failure (longer on a
  disk whose fsync is slow), and only if PostgreSQL had not committed them either.
  PostgreSQL's own commits are durable (fsync on, the default, synchronous_commit on).
- Database outage, of any length: nothing is lost, in memory or across restarts; the
  spool grows meanwhile and says so in the log past ``warn_bytes``.
- Not covered: records put before ``start()`` (kept in memory until then), a record
  the spool could not journal (disk full or I/O error, logged ``spool_write_failed``),
  a record PostgreSQL refuses for good (logged ``database_record_rejected``), the loss
  of the spool folder itself.

Without a spool a crash loses what is queued in memory; the restart path covers the
calls table: every call row still open (outcome NULL) whose channel is gone is closed
by :func:`callrouter.store.calls.close_orphaned_calls`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence

import asyncpg
import structlog

from callrouter.store._batching import DEFAULT_RETRY_MAX_S, BatchQueue
from callrouter.store._pool import DbConnection
from callrouter.store._spool import Spool, Spooled, read_marks, write_marks
from callrouter.store.records import (
    CallbackInsert,
    CallEventRow,
    CallInsert,
    CallUpdate,
    OperatorStateRow,
    Record,
    RecordingInsert,
    RecordingUpdate,
)

__all__ = ["RecordWriter", "Spool"]

log = structlog.get_logger(__name__)

DEFAULT_BATCH_SIZE = 500
# start() waits this long for a previous process's records to land: recovery then reads
# a database that has them. Past it (PostgreSQL away), start() goes on; they still
# land first, in order, once it is back.
DEFAULT_REPLAY_TIMEOUT_S = 30.0


class RecordWriter:
    def __init__(
        self,
        *,
        pool: asyncpg.Pool,
        batch_size: int = DEFAULT_BATCH_SIZE,
        retry_max_s: float = DEFAULT_RETRY_MAX_S,
        spool: Spool | None = None,
    ) -> None:
        self._pool = pool
        self._spool = spool
        self._queue: BatchQueue[Spooled] = BatchQueue(
            name="records",
            write=self._write,
            on_rejected=self._write_one_by_one,
            batch_size=batch_size,
            retry_max_s=retry_max_s,
        )
        # Put before start() on a spooled writer: journalled at start, after the
        # previous process's leftovers, so the order put is the order written.
        self._early: list[Record] = []
        self._task: asyncio.Task[None] | None = None

    @property
    def backlog(self) -> int:
        return self._queue.backlog + len(self._early)

    @property
    def failures(self) -> int:
        return self._queue.failures

    def put(self, record: Record) -> None:
        if self._spool is None:
            self._queue.put(Spooled(0, record))
        elif self._spool.is_open:
            self._queue.put(self._spool.append(record))
        else:
            self._early.append(record)

    def put_all(self, records: Sequence[Record]) -> None:
        for record in records:
            self.put(record)

    async def start(self, *, replay_timeout_s: float = DEFAULT_REPLAY_TIMEOUT_S) -> None:
        leftovers: list[Spooled] = []
        if self._spool is not None:
            leftovers = await self._spool.open()
            for entry in leftovers:
                self._queue.put(entry)
            early, self._early = self._early, []
            self.put_all(early)
        self._task = asyncio.create_task(self._queue.run(), name="record-writer")
        if leftovers:
            try:
                async with asyncio.timeout(replay_timeout_s):
                    await self._queue.flush()
            except TimeoutError:
                log.warning("spool_replay_pending", backlog=self._queue.backlog)
            else:
                log.info("spool_replayed", records=len(leftovers))

    async def stop(self, *, flush_timeout_s: float = 10.0) -> None:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(flush_timeout_s):
                await self.flush()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._spool is not None and self._spool.is_open:
            await self._spool.close()
            if self._queue.backlog:
                log.warning("records_left_in_spool", count=self._queue.backlog)
        elif self.backlog:
            log.error("records_not_written_at_shutdown", count=self.backlog)

    async def flush(self) -> None:
        await self._queue.flush()

    async def _write(self, batch: list[Spooled]) -> None:
        async with self._pool.acquire() as conn, conn.transaction():
            await _write_batch(conn, await _not_yet_written(conn, batch))
            await write_marks(conn, batch)
        if self._spool is not None:
            self._spool.committed(batch[-1])

    async def _write_one_by_one(self, batch: list[Spooled], _: asyncpg.PostgresError) -> None:
        # A record the database refuses will be refused forever: write the rest of the
        # batch one by one so a single bad row cannot block every later one.
        for entry in batch:
            try:
                await self._write([entry])
            except asyncpg.PostgresError as exc:
                log.error("database_record_rejected", error=str(exc), record=repr(entry.record))
                if self._spool is not None:
                    # Passed all the same, so a replay does not offer it again.
                    async with self._pool.acquire() as conn:
                        await write_marks(conn, [entry])
                    self._spool.committed(entry)


async def _not_yet_written(conn: DbConnection, batch: Sequence[Spooled]) -> list[Record]:
    """The batch's records PostgreSQL does not have yet; locks each run's mark."""
    marks = await read_marks(conn, batch)
    return [entry.record for entry in batch if not entry.written(marks)]


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
                r.tenant,
            )
        )
    sql = (
        "INSERT INTO calls (id, direction, channel_id, node, caller_number, caller_name,"
        " called_number, queue_name, priority, created_at, tenant)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (id) DO NOTHING"
    )
    return sql, rows


def _event_inserts(group: Sequence[Record]) -> tuple[str, list[tuple[object, ...]]]:
    rows: list[tuple[object, ...]] = []
    for r in group:
        assert isinstance(r, CallEventRow)
        rows.append((r.call_id, r.at, r.event, r.queue_name, r.operator_id, r.data, r.tenant))
    sql = (
        "INSERT INTO call_events (call_id, at, event, queue_name, operator_id, data, tenant)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7)"
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
        rows.append((r.call_id, r.name, r.format, r.started_at, r.tenant))
    sql = (
        "INSERT INTO recordings (call_id, name, format, started_at, tenant)"
        " VALUES ($1, $2, $3, $4, $5)"
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
