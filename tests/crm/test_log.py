"""The delivery log in a real PostgreSQL: rows, resume after a restart, and log hygiene."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

import asyncpg
from aiohttp import web
from structlog.testing import capture_logs

from callrouter.crm import RetryPolicy
from tests.crm.calls import CUSTOMER, ORDER, answered, callback, ended, offered
from tests.crm.conftest import SECRET, T0, FixedClock, MakeNotifier, wait_until
from tests.crm.receiver import Hit, Receiver


async def test_every_delivery_has_a_row(
    make_notifier: MakeNotifier, receiver: Receiver, db_pool: asyncpg.Pool
) -> None:
    async def refuse_answers(hit: Hit) -> web.StreamResponse:
        return web.Response(status=422 if hit.event == "call.answered" else 200)

    receiver.responder = refuse_answers
    clock = FixedClock()
    notifier = await make_notifier(clock=clock)
    call_id = uuid.uuid4()
    notifier.publish(offered(call_id))
    notifier.publish(answered(call_id))
    await notifier.drain()

    rows = await db_pool.fetch("SELECT * FROM webhook_deliveries ORDER BY seq")
    assert [r["event"] for r in rows] == ["call.offered", "call.answered"]
    sent, refused = rows
    assert str(sent["id"]) == receiver.hits[0].delivery
    assert sent["call_id"] == call_id
    assert sent["url"] == receiver.url
    assert sent["node"] == ""
    payload = sent["payload"]
    assert (json.loads(payload) if isinstance(payload, str) else payload) == offered(
        call_id
    ).to_json()
    assert (sent["status"], sent["attempts"], sent["last_status_code"]) == ("delivered", 1, 200)
    assert sent["created_at"] == sent["delivered_at"] == T0
    assert sent["next_attempt_at"] is None and sent["last_error"] is None
    assert (refused["status"], refused["attempts"], refused["last_status_code"]) == (
        "failed",
        1,
        422,
    )
    assert refused["delivered_at"] is None
    # The injected clock also stamps what is signed.
    assert receiver.hits[0].headers["X-Callrouter-Timestamp"] == str(int(T0.timestamp()))


async def test_a_queued_delivery_has_a_pending_row_before_it_is_sent(
    make_notifier: MakeNotifier, receiver: Receiver, db_pool: asyncpg.Pool
) -> None:
    async def hang(_hit: Hit) -> web.StreamResponse:
        return await receiver.hang()

    receiver.responder = hang
    notifier = await make_notifier()
    call_id = uuid.uuid4()
    notifier.publish(offered(call_id))
    notifier.publish(answered(call_id))

    async def both_rows_written() -> bool:
        count: int = await db_pool.fetchval("SELECT count(*) FROM webhook_deliveries")
        return count == 2

    await wait_until(both_rows_written)
    statuses = await db_pool.fetch(
        "SELECT event, status, attempts FROM webhook_deliveries ORDER BY seq"
    )
    assert [tuple(r) for r in statuses] == [
        ("call.offered", "pending", 0),
        ("call.answered", "pending", 0),
    ]


async def test_pending_deliveries_resume_after_a_restart(
    make_notifier: MakeNotifier, receiver: Receiver, db_pool: asyncpg.Pool
) -> None:
    async def down(_hit: Hit) -> web.StreamResponse:
        return web.Response(status=503)

    receiver.responder = down
    call_id = uuid.uuid4()
    # The first process's clock is a day behind, so the retry it scheduled is already
    # due when the second process starts; its own backoff is long enough to be asleep
    # when it is stopped.
    first = await make_notifier(
        node="pbx-a",
        clock=FixedClock(T0 - timedelta(days=1)),
        retry=RetryPolicy(base_s=60, jitter=0),
    )
    for payload in (offered(call_id), answered(call_id), ended(call_id)):
        first.publish(payload)

    async def first_attempt_recorded() -> bool:
        attempts: int | None = await db_pool.fetchval(
            "SELECT attempts FROM webhook_deliveries WHERE event = 'call.offered'"
        )
        return attempts == 1

    await wait_until(first_attempt_recorded)
    await first.stop(drain_timeout_s=0)
    rows = await db_pool.fetch(
        "SELECT event, status, attempts FROM webhook_deliveries ORDER BY seq"
    )
    assert [tuple(r) for r in rows] == [
        ("call.offered", "pending", 1),
        ("call.answered", "pending", 0),
        ("call.ended", "pending", 0),
    ]
    # Another node's pending row sharing the database: not ours to resume.
    foreign = uuid.uuid4()
    await db_pool.execute(
        "INSERT INTO webhook_deliveries (id, node, event, url, payload, created_at)"
        " VALUES ($1, 'elsewhere', 'call.offered', $2, '{}'::jsonb, $3)",
        foreign,
        receiver.url,
        T0,
    )

    receiver.responder = _accept
    receiver.hits.clear()
    second = await make_notifier(node="pbx-a", start=False)
    # Queued before start: it must still go after the resumed events of its call.
    second.publish(callback(call_id))
    with capture_logs() as logs:
        await second.start()
        await second.drain()

    assert [(h.event, h.attempt) for h in receiver.hits] == [
        ("call.offered", 2),
        ("call.answered", 1),
        ("call.ended", 1),
        ("callback.requested", 1),
    ]
    assert str(foreign) not in {h.delivery for h in receiver.hits}
    rows = await db_pool.fetch(
        "SELECT event, status, attempts FROM webhook_deliveries WHERE node <> 'elsewhere'"
        " ORDER BY seq"
    )
    assert [r["event"] for r in rows] == ORDER
    assert {r["status"] for r in rows} == {"delivered"}
    assert any(e["event"] == "webhooks_resumed" and e["count"] == 3 for e in logs)


async def _accept(_hit: Hit) -> web.StreamResponse:
    return web.Response(status=200)


async def test_logs_never_hold_the_secret_nor_bodies_above_debug(
    make_notifier: MakeNotifier, receiver: Receiver
) -> None:
    async def mixed(hit: Hit) -> web.StreamResponse:
        if hit.event == "call.offered" and hit.attempt == 1:
            return web.Response(status=500, text="try later")
        if hit.event == "call.ended":
            return web.Response(status=401, text="bad signature")
        return web.Response(status=200)

    receiver.responder = mixed
    token = "qtok-91be77"
    url = receiver.url + f"?token={token}"
    with capture_logs() as logs:
        notifier = await make_notifier(
            webhooks={"offered": url, "answered": url, "ended": url, "callback": url}
        )
        call_id = uuid.uuid4()
        for payload in (offered(call_id), answered(call_id), ended(call_id)):
            notifier.publish(payload)
        await notifier.drain()
        await notifier.stop()

    assert {"webhook_retry", "webhook_delivered", "webhook_failed"} <= {e["event"] for e in logs}
    text = repr(logs)
    assert SECRET not in text
    assert token not in text
    above_debug = repr([e for e in logs if e["log_level"] != "debug"])
    assert str(CUSTOMER["notes"]) not in above_debug
    assert "payload" not in above_debug
