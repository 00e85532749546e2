"""The shell's side of operator claims (``callrouter.store.claims``).

Claims and releases of one operator run in order on that operator's own lane, so a
release queued when the core freed the operator can never overtake the claim for their
next call. Fail-closed: if PostgreSQL cannot be reached the claim is refused, so no
node rings an operator another node may be ringing; the core then rests the operator
and tries again (``retry_s``). That is why ``cluster.claim_operators`` is for several
nodes only: a single node keeps routing through a database outage without it.
"""

from __future__ import annotations

import asyncio

import asyncpg
import structlog

from callrouter.calls._clock import Clock
from callrouter.calls._serial import SerialExecutor
from callrouter.store import DB_ERRORS
from callrouter.store.claims import claim_operator, release_operator

__all__ = ["OperatorClaims"]

log = structlog.get_logger(__name__)


class OperatorClaims:
    def __init__(self, *, pool: asyncpg.Pool, node: str, clock: Clock) -> None:
        self._pool = pool
        self._node = node
        self._clock = clock
        self._lanes = SerialExecutor(name="claims")

    async def claim(self, operator_id: str) -> bool:
        result: asyncio.Future[bool] = asyncio.get_running_loop().create_future()

        async def work() -> None:
            try:
                async with self._pool.acquire() as conn:
                    ok = await claim_operator(conn, operator_id, self._node, self._clock.now())
            except DB_ERRORS as exc:
                log.warning("operator_claim_unavailable", operator=operator_id, error=str(exc))
                ok = False
            if not result.done():
                result.set_result(ok)

        self._lanes.submit(operator_id, work)
        return await result

    def release(self, operator_id: str) -> None:
        async def work() -> None:
            try:
                async with self._pool.acquire() as conn:
                    await release_operator(conn, operator_id, self._node)
            except DB_ERRORS as exc:
                log.warning("operator_release_failed", operator=operator_id, error=str(exc))

        self._lanes.submit(operator_id, work)

    async def close(self) -> None:
        await self._lanes.close()
