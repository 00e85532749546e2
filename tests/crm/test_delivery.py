"""Delivery over real sockets to a live receiver: signing, retries, order, isolation."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import inspect
import random
import re
import uuid

import asyncpg
from aiohttp import web
from structlog.testing import capture_logs

import callrouter.crm
from tests.crm.calls import ORDER, answered, life, offered
from tests.crm.conftest import SECRET, MakeNotifier, wait_until
from tests.crm.receiver import Hit, Receiver

UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$")


def doc_verify_function() -> object:
    """The verification snippet from the package docs, run as a CRM would run it."""
    doc = callrouter.crm.__doc__ or ""
    section = doc.split("## Verifying the signature", 1)[1]
    code = section.split("```python\n", 1)[1].split("```", 1)[0]
    namespace: dict[str, object] = {}
    exec(code, namespace)
    return namespace["verify"]


async def test_delivery_is_signed_and_verifiable(
    make_notifier: MakeNotifier, receiver: Receiver
) -> None:
    notifier = await make_notifier()
    payload = offered(uuid.uuid4())
    notifier.publish(payload)
    await notifier.drain()

    [hit] = receiver.hits
    assert hit.headers["Content-Type"] == "application/json"
    assert hit.event == "call.offered"
    assert UUID_RE.match(hit.delivery)
    assert hit.attempt == 1
    timestamp = hit.headers["X-Callrouter-Timestamp"]
    assert timestamp.isdigit()
    # Verified here from first principles, not with callrouter's own helper.
    mac = hmac.new(SECRET.encode(), timestamp.encode() + b"." + hit.body, hashlib.sha256)
    assert hit.headers["X-Callrouter-Signature"] == "sha256=" + mac.hexdigest()
    assert hit.json == payload.to_json()

    verify = doc_verify_function()
    assert callable(verify)
    headers = dict(hit.headers)
    assert verify(SECRET, headers, hit.body) is True
    assert verify("another secret", headers, hit.body) is False
    assert verify(SECRET, headers, hit.body.replace(b"gold", b"platinum")) is False
    assert callrouter.crm.verify_signature(
        SECRET, timestamp=timestamp, body=hit.body, signature=headers["X-Callrouter-Signature"]
    )


async def test_without_a_secret_requests_go_unsigned(
    make_notifier: MakeNotifier, receiver: Receiver
) -> None:
    with capture_logs() as logs:
        notifier = await make_notifier(secret=None)
    notifier.publish(offered(uuid.uuid4()))
    await notifier.drain()
    assert "X-Callrouter-Signature" not in receiver.hits[0].headers
    assert any(entry["event"] == "webhooks_unsigned" for entry in logs)


async def test_retry_after_a_500_then_success(
    make_notifier: MakeNotifier, receiver: Receiver, db_pool: asyncpg.Pool
) -> None:
    async def fail_first(hit: Hit) -> web.StreamResponse:
        return web.Response(status=500 if hit.attempt == 1 else 200)

    receiver.responder = fail_first
    notifier = await make_notifier()
    notifier.publish(answered(uuid.uuid4()))
    await notifier.drain()

    assert [hit.attempt for hit in receiver.hits] == [1, 2]
    assert len({hit.delivery for hit in receiver.hits}) == 1
    assert receiver.hits[0].body == receiver.hits[1].body
    row = await db_pool.fetchrow(
        "SELECT status, attempts, last_status_code FROM webhook_deliveries"
    )
    assert row is not None
    assert tuple(row) == ("delivered", 2, 200)


async def test_no_retry_after_a_400(
    make_notifier: MakeNotifier, receiver: Receiver, db_pool: asyncpg.Pool
) -> None:
    async def refuse(_hit: Hit) -> web.StreamResponse:
        return web.Response(status=400, text="unknown queue")

    receiver.responder = refuse
    notifier = await make_notifier(max_attempts=5)
    notifier.publish(offered(uuid.uuid4()))
    await notifier.drain()

    assert len(receiver.hits) == 1
    row = await db_pool.fetchrow(
        "SELECT status, attempts, last_status_code, last_error FROM webhook_deliveries"
    )
    assert row is not None
    assert tuple(row) == ("failed", 1, 400, "HTTP 400: unknown queue")


async def test_gives_up_after_max_attempts(
    make_notifier: MakeNotifier, receiver: Receiver, db_pool: asyncpg.Pool
) -> None:
    async def down(_hit: Hit) -> web.StreamResponse:
        return web.Response(status=503)

    receiver.responder = down
    notifier = await make_notifier(max_attempts=3)
    notifier.publish(offered(uuid.uuid4()))
    await notifier.drain()

    assert [hit.attempt for hit in receiver.hits] == [1, 2, 3]
    row = await db_pool.fetchrow(
        "SELECT status, attempts, last_status_code FROM webhook_deliveries"
    )
    assert row is not None
    assert tuple(row) == ("failed", 3, 503)
    assert notifier.failed == 1  # /metrics: callrouter_webhook_failures_total


async def test_redirects_are_not_followed(
    make_notifier: MakeNotifier, receiver: Receiver, db_pool: asyncpg.Pool
) -> None:
    async def moved(_hit: Hit) -> web.StreamResponse:
        return web.Response(status=302, headers={"Location": "/elsewhere"})

    receiver.responder = moved
    notifier = await make_notifier()
    notifier.publish(offered(uuid.uuid4()))
    await notifier.drain()
    assert [hit.path for hit in receiver.hits] == ["/hook"]
    assert await db_pool.fetchval("SELECT status FROM webhook_deliveries") == "failed"


async def test_retry_after_is_honoured(
    make_notifier: MakeNotifier, receiver: Receiver, db_pool: asyncpg.Pool
) -> None:
    async def throttle_first(hit: Hit) -> web.StreamResponse:
        if hit.attempt == 1:
            return web.Response(status=429, headers={"Retry-After": "0.2"})
        return web.Response(status=200)

    receiver.responder = throttle_first
    notifier = await make_notifier()
    with capture_logs() as logs:
        notifier.publish(offered(uuid.uuid4()))
        await notifier.drain()

    assert [hit.attempt for hit in receiver.hits] == [1, 2]
    [retry] = [entry for entry in logs if entry["event"] == "webhook_retry"]
    # The backoff policy alone would have waited at most 1 ms.
    assert retry["delay_s"] == 0.2
    assert retry["error"] == "HTTP 429"
    assert await db_pool.fetchval("SELECT status FROM webhook_deliveries") == "delivered"


async def test_network_errors_and_timeouts_are_retried(
    make_notifier: MakeNotifier, receiver: Receiver, db_pool: asyncpg.Pool
) -> None:
    # A port nobody listens on: bind one, note it, close it.
    server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    closed_port = server.sockets[0].getsockname()[1]
    server.close()
    await server.wait_closed()

    async def hang(_hit: Hit) -> web.StreamResponse:
        return await receiver.hang()

    receiver.responder = hang
    notifier = await make_notifier(
        webhooks={"offered": f"http://127.0.0.1:{closed_port}/hook", "answered": receiver.url},
        timeout_s=0.2,
        max_attempts=2,
    )
    notifier.publish(offered(uuid.uuid4()))
    notifier.publish(answered(uuid.uuid4()))
    await notifier.drain()

    rows = {
        r["event"]: r
        for r in await db_pool.fetch(
            "SELECT event, status, attempts, last_status_code, last_error FROM webhook_deliveries"
        )
    }
    refused, timed_out = rows["call.offered"], rows["call.answered"]
    assert (refused["status"], refused["attempts"], refused["last_status_code"]) == (
        "failed",
        2,
        None,
    )
    assert "Connect" in refused["last_error"]
    assert (timed_out["status"], timed_out["attempts"]) == ("failed", 2)
    assert timed_out["last_error"] == "no answer within 0.2 s"
    assert [hit.attempt for hit in receiver.hits] == [1, 2]


async def test_a_hanging_crm_delays_neither_notify_nor_other_calls(
    make_notifier: MakeNotifier, receiver: Receiver
) -> None:
    stuck, others = uuid.uuid4(), [uuid.uuid4() for _ in range(5)]

    async def hang_one_call(hit: Hit) -> web.StreamResponse:
        if hit.call_id == str(stuck):
            return await receiver.hang()
        return web.Response(status=200)

    receiver.responder = hang_one_call
    notifier = await make_notifier(timeout_s=60, max_concurrency=2)
    # notify is a plain function: by construction it cannot wait for the network.
    assert not inspect.iscoroutinefunction(notifier.notify)

    notifier.publish(offered(stuck))
    await receiver.wait_for(lambda hits: any(h.call_id == str(stuck) for h in hits))
    # The CRM now holds the stuck call's request open; everything below happens while
    # it does.
    notifier.publish(answered(stuck))
    for call_id in others:
        for payload in life(call_id):
            notifier.publish(payload)
    expected = {(str(c), event) for c in others for event in ORDER}
    await receiver.wait_for(lambda hits: expected <= {(h.call_id, h.event) for h in hits})

    stuck_events = [h.event for h in receiver.hits if h.call_id == str(stuck)]
    assert stuck_events == ["call.offered"]  # answered waits behind the hung offered

    async def only_the_stuck_call_left() -> bool:
        return notifier.backlog == 2

    await wait_until(only_the_stuck_call_left)

    receiver.release.set()
    await notifier.drain()
    stuck_events = [h.event for h in receiver.hits if h.call_id == str(stuck)]
    assert stuck_events == ["call.offered", "call.answered"]
    assert notifier.backlog == 0


async def test_each_calls_events_arrive_in_order_while_calls_run_in_parallel(
    make_notifier: MakeNotifier, receiver: Receiver
) -> None:
    rng = random.Random(20261123)

    async def slow_and_flaky(hit: Hit) -> web.StreamResponse:
        await asyncio.sleep(rng.uniform(0.001, 0.005))
        if hit.attempt == 1 and rng.random() < 0.3:
            return web.Response(status=502)
        return web.Response(status=200)

    receiver.responder = slow_and_flaky
    notifier = await make_notifier(max_concurrency=4, max_attempts=10)
    calls = [uuid.uuid4() for _ in range(25)]
    queued = [payload for call_id in calls for payload in life(call_id)]
    # Interleave calls at random while keeping each call's own order, as live traffic does.
    pending = {call_id: life(call_id) for call_id in calls}
    while pending:
        call_id = rng.choice(list(pending))
        notifier.publish(pending[call_id].pop(0))
        if not pending[call_id]:
            del pending[call_id]
    await notifier.drain()

    assert len({h.delivery for h in receiver.hits}) == len(queued)
    for call_id in calls:
        seen = [h.event for h in receiver.hits if h.call_id == str(call_id)]
        # Retries repeat an event, but no event is ever sent before an earlier one is done.
        assert seen == sorted(seen, key=ORDER.index), seen
        assert list(dict.fromkeys(seen)) == ORDER
    assert any(h.attempt > 1 for h in receiver.hits)
    assert 1 < receiver.max_in_flight <= 4
