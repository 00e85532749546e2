"""README, CRM webhooks: "Any 2xx answer means delivered", and "different calls do not
wait for each other (at most 8 requests in flight)". The cap is what keeps a slow CRM
from being flooded by a busy call center; the tests use the notifier's defaults, as the
service does."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
import pytest
from aiohttp import web

from tests.crm.calls import offered
from tests.crm.conftest import MakeNotifier
from tests.crm.receiver import Hit, Receiver


async def test_at_most_8_requests_in_flight_by_default(
    make_notifier: MakeNotifier, receiver: Receiver
) -> None:
    async def hold(_hit: Hit) -> web.StreamResponse:
        return await receiver.hang()

    receiver.responder = hold
    notifier = await make_notifier(timeout_s=60)
    for _ in range(20):  # twenty calls, none waiting on another's order
        notifier.publish(offered(uuid.uuid4()))
    await receiver.wait_for(lambda hits: len(hits) >= 8)
    # Give the other twelve every chance to go out too, then check they did not.
    await asyncio.sleep(0.5)
    assert (len(receiver.hits), receiver.max_in_flight) == (8, 8)
    receiver.release.set()
    await notifier.drain()
    assert len({h.call_id for h in receiver.hits}) == 20


@pytest.mark.parametrize("status", [201, 202, 204, 299])
async def test_any_2xx_answer_means_delivered(
    status: int, make_notifier: MakeNotifier, receiver: Receiver, db_pool: asyncpg.Pool
) -> None:
    async def answer(_hit: Hit) -> web.StreamResponse:
        return web.Response(status=status)

    receiver.responder = answer
    notifier = await make_notifier()
    notifier.publish(offered(uuid.uuid4()))
    await notifier.drain()
    assert len(receiver.hits) == 1  # delivered: never sent again
    row = await db_pool.fetchrow("SELECT status, last_status_code FROM webhook_deliveries")
    assert row is not None and tuple(row) == ("delivered", status)
