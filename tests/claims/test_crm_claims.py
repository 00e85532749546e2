"""README, CRM webhooks: "different calls do not wait for each other (at most 8
requests in flight)". The cap is what keeps a slow CRM from being flooded by a busy
call center; the test uses the notifier's default, as the service does."""

from __future__ import annotations

import asyncio
import uuid

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
