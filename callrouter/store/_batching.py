"""One batching queue for every background writer (call rows, webhook delivery log).

Items are put without awaiting; one task writes them in batches, in the order they were
put. While PostgreSQL is unreachable a batch is kept and retried with capped backoff
(new items keep queueing in memory); a batch PostgreSQL refuses is handed to
``on_rejected`` (which may write what it can one by one) so it never blocks the rest.
``flush()`` waits until everything put so far is written or rejected.
"""

from __future__ import annotations

import asyncio
import random
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

import asyncpg
import structlog

__all__ = ["DB_ERRORS", "DEFAULT_RETRY_MAX_S", "RETRYABLE", "BatchQueue"]

log = structlog.get_logger(__name__)

DEFAULT_RETRY_MAX_S = 10.0
# The database is away (or the link to it): try the same batch again later.
RETRYABLE = (OSError, asyncpg.InterfaceError, asyncpg.PostgresConnectionError, TimeoutError)
DB_ERRORS = (*RETRYABLE, asyncpg.PostgresError)
_FIRST_DELAY_S = 0.05
# How long an idle writer waits after the first new record before it writes. A call's
# steps come in bursts a few ms apart and calls overlap: 50 ms gathers the steps of
# every call of that moment into one transaction (at 20 calls/s, 15 commits per call
# at 5 ms became about 2; bench/bench_routing.py). Rows are journalled in the spool
# at put(), so a later commit loses nothing to a crash; readers see rows 50 ms later.
COALESCE_S = 0.05

T = TypeVar("T")


class BatchQueue(Generic[T]):
    def __init__(
        self,
        *,
        name: str,
        write: Callable[[list[T]], Awaitable[None]],
        on_rejected: Callable[[list[T], asyncpg.PostgresError], Awaitable[None]],
        batch_size: int,
        retry_max_s: float = DEFAULT_RETRY_MAX_S,
    ) -> None:
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        self._name = name
        self._write = write
        self._on_rejected = on_rejected
        self._batch_size = batch_size
        self._retry_max_s = retry_max_s
        self._pending: deque[T] = deque()
        self._wakeup = asyncio.Event()
        self._put_count = 0
        self._done_count = 0
        self._progress = asyncio.Condition()
        self.failures = 0

    @property
    def backlog(self) -> int:
        return len(self._pending)

    def put(self, item: T) -> None:
        self._pending.append(item)
        self._put_count += 1
        self._wakeup.set()

    async def flush(self) -> None:
        target = self._put_count
        async with self._progress:
            await self._progress.wait_for(lambda: self._done_count >= target)

    async def run(self) -> None:
        """Write until cancelled."""
        delay = _FIRST_DELAY_S
        while True:
            if not self._pending:
                self._wakeup.clear()
                await self._wakeup.wait()
                # Let the rest of this moment's records join the batch: a call's steps
                # come in bursts, and one commit for a burst instead of one per record
                # leaves PostgreSQL's CPU to routing (bench/bench_routing.py).
                await asyncio.sleep(COALESCE_S)
            batch = [self._pending[i] for i in range(min(self._batch_size, len(self._pending)))]
            try:
                await self._write_or_reject(batch)
            except RETRYABLE as exc:
                self.failures += 1
                log.warning(
                    "batch_write_retry",
                    queue=self._name,
                    error=str(exc),
                    backlog=len(self._pending),
                    delay_s=delay,
                )
                await asyncio.sleep(delay * (0.5 + random.random()))
                delay = min(delay * 2, self._retry_max_s)
                continue
            delay = _FIRST_DELAY_S
            for _ in batch:
                self._pending.popleft()
            async with self._progress:
                self._done_count += len(batch)
                self._progress.notify_all()

    async def _write_or_reject(self, batch: list[T]) -> None:
        try:
            await self._write(batch)
        except RETRYABLE:
            raise
        except asyncpg.PostgresError as exc:
            log.error("batch_rejected", queue=self._name, error=str(exc), size=len(batch))
            # The link may drop while the rest is written one by one: that is a retry of
            # the whole batch (RETRYABLE goes up), never the end of the writer task.
            await self._on_rejected(batch, exc)
