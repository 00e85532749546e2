"""The ``webhook_deliveries`` table: every delivery, its attempts and its fate.

Theory of operation: :meth:`DeliveryLog.add` (never awaits) hands a newly queued
delivery to one background task that inserts rows in batches, so a burst of screen
pops costs one round trip, not one each. After every attempt the delivery's lane
writes the row again with :meth:`DeliveryLog.save`, an upsert: whichever of the two
writes lands first creates the row, and the batch insert never overwrites a later state.

The log is a record, not a gate: if PostgreSQL is down, deliveries to the CRM go on
and the rows catch up when it is back. At start, :meth:`DeliveryLog.load_pending`
returns this node's rows still pending, oldest first, for the notifier to resume.

With a journal (``_journal.py``), :meth:`DeliveryLog.add` also appends the delivery to
it, and each batch insert moves the journal's mark in the same transaction;
:meth:`DeliveryLog.open` first inserts what earlier processes journalled and the table
lacks, so ``load_pending`` resumes those too.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal
from uuid import UUID

import asyncpg
import structlog

from callrouter.config import DEFAULT_TENANT
from callrouter.crm._journal import Published
from callrouter.store import (
    DB_ERRORS,
    DEFAULT_RETRY_MAX_S,
    RETRYABLE,
    BatchQueue,
    Spool,
    Spooled,
    read_marks,
    write_marks,
)

__all__ = [
    "DB_ERRORS",
    "Delivery",
    "DeliveryLog",
    "DeliveryStatus",
    "call_keys",
    "encode_body",
]

log = structlog.get_logger(__name__)

DeliveryStatus = Literal["pending", "delivered", "failed"]

DEFAULT_BATCH_SIZE = 200

_INSERT = (
    "INSERT INTO webhook_deliveries (id, node, event, url, call_id, payload, status,"
    " attempts, last_status_code, last_error, created_at, delivered_at, next_attempt_at,"
    " tenant)"
    # text then jsonb: the parameter is then plain text, whatever JSON codec the
    # pool's connections were given.
    " VALUES ($1, $2, $3, $4, $5, $6::text::jsonb, $7, $8, $9, $10, $11, $12, $13, $14)"
)
_INSERT_NEW = _INSERT + " ON CONFLICT (id) DO NOTHING"
_SAVE = _INSERT + (
    " ON CONFLICT (id) DO UPDATE SET url = EXCLUDED.url, status = EXCLUDED.status,"
    " attempts = EXCLUDED.attempts, last_status_code = EXCLUDED.last_status_code,"
    " last_error = EXCLUDED.last_error, delivered_at = EXCLUDED.delivered_at,"
    " next_attempt_at = EXCLUDED.next_attempt_at"
)
_LOAD_PENDING = (
    "SELECT id, event, url, call_id, payload::text AS payload, attempts, last_status_code,"
    " last_error, created_at, next_attempt_at, tenant FROM webhook_deliveries"
    " WHERE node = $1 AND status = 'pending' ORDER BY created_at, seq"
)


@dataclass(slots=True, eq=False)
class Delivery:
    """One webhook owed to the CRM. The lane that owns it is the only one to mutate it."""

    id: UUID
    event: str
    lane: str
    call_id: UUID | None
    body: bytes
    created_at: datetime
    url: str = ""
    # The call's tenant: whose CRM the delivery goes to (crm/_targets.py).
    tenant: str = DEFAULT_TENANT
    status: DeliveryStatus = "pending"
    attempts: int = 0
    last_status_code: int | None = None
    last_error: str | None = None
    delivered_at: datetime | None = None
    next_attempt_at: datetime | None = None
    persisted: bool = False
    journalled: Spooled[Published] | None = None  # its place in the journal, if any


def encode_body(payload: Mapping[str, Any]) -> bytes:
    """Compact UTF-8 JSON: the exact bytes that are signed and sent."""
    # allow_nan=False: NaN is not JSON; the CRM's parser and jsonb would both refuse it.
    return json.dumps(
        payload, separators=(",", ":"), ensure_ascii=False, allow_nan=False, default=_json_default
    ).encode()


def _json_default(value: object) -> object:
    # Plain payloads from the shell may carry the same types the models accept.
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def call_keys(payload: Mapping[str, Any], delivery_id: UUID) -> tuple[UUID | None, str]:
    """The call_id column (None unless a UUID) and the lane that keeps a call in order."""
    raw = payload.get("call_id")
    if raw is None:
        # No call, no order to keep: the delivery gets a lane of its own.
        return None, f"delivery:{delivery_id}"
    try:
        return UUID(str(raw)), f"call:{raw}"
    except ValueError:
        return None, f"call:{raw}"


class DeliveryLog:
    def __init__(
        self,
        *,
        pool: asyncpg.Pool,
        node: str,
        journal: Spool[Published] | None = None,
        batch_size: int = DEFAULT_BATCH_SIZE,
        retry_max_s: float = DEFAULT_RETRY_MAX_S,
    ) -> None:
        self._pool = pool
        self._node = node
        self._journal = journal
        self._batch_size = batch_size
        # Added before open(): journalled at open, after what earlier processes left.
        self._early: list[Delivery] = []
        self._queue: BatchQueue[Delivery] = BatchQueue(
            name="webhook-deliveries",
            write=self._insert,
            on_rejected=self._rejected,
            batch_size=batch_size,
            retry_max_s=retry_max_s,
        )

    @property
    def unsaved(self) -> int:
        return self._queue.backlog + len(self._early)

    @property
    def journalled(self) -> bool:
        return self._journal is not None

    async def open(self) -> int:
        """Open the journal; give the table what earlier processes journalled and it
        lacks (as pending rows). Returns how many deliveries the journal held."""
        if self._journal is None:
            return 0
        leftovers = [_from_journal(entry) for entry in await self._journal.open()]
        for start in range(0, len(leftovers), self._batch_size):
            chunk = leftovers[start : start + self._batch_size]
            try:
                await self._insert(chunk)
            except RETRYABLE:
                raise
            except asyncpg.PostgresError as exc:
                await self._rejected(chunk, exc)
        early, self._early = self._early, []
        for delivery in early:
            self.add(delivery)
        return len(leftovers)

    async def close(self) -> None:
        """Sync and release the journal; what the table lacks stays in it for the next start."""
        if self._journal is not None and self._journal.is_open:
            await self._journal.close()

    def add(self, delivery: Delivery) -> None:
        """Queue the delivery's row; with a journal, journal it first (no await)."""
        if self._journal is not None:
            if not self._journal.is_open:
                self._early.append(delivery)
                return
            delivery.journalled = self._journal.append(_to_journal(delivery))
        self._queue.put(delivery)

    async def flush(self) -> None:
        """Wait until every delivery added so far has its row (or was refused one)."""
        await self._queue.flush()

    async def save(self, delivery: Delivery) -> None:
        await self._pool.execute(_SAVE, *self._row(delivery))
        delivery.persisted = True

    async def load_pending(self) -> list[Delivery]:
        """This node's deliveries still pending, oldest first, as the table has them."""
        return [_from_row(row) for row in await self._pool.fetch(_LOAD_PENDING, self._node)]

    async def run(self) -> None:
        """The background inserter; runs until cancelled."""
        await self._queue.run()

    async def _rejected(self, batch: list[Delivery], _: asyncpg.PostgresError) -> None:
        # A row PostgreSQL refuses now it will refuse forever; the delivery itself still
        # goes to the CRM, only its record is lost. The rest of the batch get theirs.
        for d in batch:
            try:
                await self._insert([d])
            except asyncpg.PostgresError as exc:
                if isinstance(exc, RETRYABLE):
                    raise
                log.error("webhook_log_row_refused", delivery_id=str(d.id), error=str(exc))
                d.persisted = True
                if d.journalled is not None:
                    # Passed all the same, so the next start does not offer it again.
                    async with self._pool.acquire() as conn:
                        await write_marks(conn, [d.journalled])
                    self._committed(d.journalled)

    async def _insert(self, batch: list[Delivery]) -> None:
        entries = [d.journalled for d in batch if d.journalled is not None]
        # Rows as the deliveries stand when the batch is taken, before any await: an
        # attempt a lane begins meanwhile is written by that lane's own upsert.
        new = [(d.journalled, self._row(d)) for d in batch if not d.persisted]
        async with self._pool.acquire() as conn, conn.transaction():
            # A batch retried after a commit whose acknowledgement was lost, or a
            # journal replayed twice, is behind the mark: its rows exist already.
            marks = await read_marks(conn, entries)
            rows = [row for entry, row in new if not (entry and entry.written(marks))]
            if rows:
                await conn.executemany(_INSERT_NEW, rows)
            await write_marks(conn, entries)
        for d in batch:
            d.persisted = True
        if entries:
            self._committed(entries[-1])

    def _committed(self, entry: Spooled[Published]) -> None:
        assert self._journal is not None
        self._journal.committed(entry)

    def _row(self, d: Delivery) -> tuple[object, ...]:
        return (
            d.id,
            self._node,
            d.event,
            d.url,
            d.call_id,
            d.body.decode(),
            d.status,
            d.attempts,
            d.last_status_code,
            d.last_error,
            d.created_at,
            d.delivered_at,
            d.next_attempt_at,
            d.tenant,
        )


def _to_journal(d: Delivery) -> Published:
    return Published(
        id=d.id,
        event=d.event,
        url=d.url,
        body=d.body.decode(),
        created_at=d.created_at,
        tenant=d.tenant,
    )


def _from_journal(entry: Spooled[Published]) -> Delivery:
    p = entry.record
    call_id, lane = call_keys(json.loads(p.body), p.id)
    return Delivery(
        id=p.id,
        event=p.event,
        lane=lane,
        call_id=call_id,
        body=p.body.encode(),
        created_at=p.created_at,
        url=p.url,
        tenant=p.tenant,
        journalled=entry,
    )


def _from_row(row: asyncpg.Record) -> Delivery:
    payload = json.loads(row["payload"])
    call_id, lane = call_keys(payload, row["id"])
    return Delivery(
        id=row["id"],
        event=row["event"],
        lane=lane,
        call_id=call_id,
        body=encode_body(payload),
        created_at=row["created_at"],
        url=row["url"],
        tenant=row["tenant"],
        attempts=row["attempts"],
        last_status_code=row["last_status_code"],
        last_error=row["last_error"],
        next_attempt_at=row["next_attempt_at"],
        persisted=True,
    )
