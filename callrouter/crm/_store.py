"""The ``webhook_deliveries`` table: every delivery, its attempts and its fate.

Theory of operation: :meth:`DeliveryLog.add` (never awaits) hands a newly queued
delivery to one background task that inserts rows in batches, so a burst of screen
pops costs one round trip, not one each. After every attempt the delivery's lane
writes the row again with :meth:`DeliveryLog.save`, an upsert: whichever of the two
writes lands first creates the row, and the batch insert never overwrites a later state.

The log is a record, not a gate: if PostgreSQL is down, deliveries to the CRM go on
and the rows catch up when it is back. At start, :meth:`DeliveryLog.load_pending`
returns this node's rows still pending, oldest first, for the notifier to resume.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal
from uuid import UUID

import asyncpg

from callrouter.store._batching import DB_ERRORS, DEFAULT_RETRY_MAX_S, BatchQueue

__all__ = [
    "DB_ERRORS",
    "Delivery",
    "DeliveryLog",
    "DeliveryStatus",
    "call_keys",
    "encode_body",
]

DeliveryStatus = Literal["pending", "delivered", "failed"]

DEFAULT_BATCH_SIZE = 200

_INSERT = (
    "INSERT INTO webhook_deliveries (id, node, event, url, call_id, payload, status,"
    " attempts, last_status_code, last_error, created_at, delivered_at, next_attempt_at)"
    # text then jsonb: the parameter is then plain text, whatever JSON codec the
    # pool's connections were given.
    " VALUES ($1, $2, $3, $4, $5, $6::text::jsonb, $7, $8, $9, $10, $11, $12, $13)"
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
    " last_error, created_at, next_attempt_at FROM webhook_deliveries"
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
    status: DeliveryStatus = "pending"
    attempts: int = 0
    last_status_code: int | None = None
    last_error: str | None = None
    delivered_at: datetime | None = None
    next_attempt_at: datetime | None = None
    persisted: bool = False


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
        batch_size: int = DEFAULT_BATCH_SIZE,
        retry_max_s: float = DEFAULT_RETRY_MAX_S,
    ) -> None:
        self._pool = pool
        self._node = node
        self._queue: BatchQueue[Delivery] = BatchQueue(
            name="webhook-deliveries",
            write=self._insert,
            on_rejected=self._rejected,
            batch_size=batch_size,
            retry_max_s=retry_max_s,
        )

    @property
    def unsaved(self) -> int:
        return self._queue.backlog

    def add(self, delivery: Delivery) -> None:
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
        # A row PostgreSQL refuses now it will refuse forever; the deliveries themselves
        # still go to the CRM, only their record is lost.
        return None

    async def _insert(self, batch: list[Delivery]) -> None:
        rows = [self._row(d) for d in batch if not d.persisted]
        if rows:
            await self._pool.executemany(_INSERT_NEW, rows)
        for d in batch:
            d.persisted = True

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
        attempts=row["attempts"],
        last_status_code=row["last_status_code"],
        last_error=row["last_error"],
        next_attempt_at=row["next_attempt_at"],
        persisted=True,
    )
