"""Each tenant's CRM on the wire: two real receivers, one notifier, a real PostgreSQL.

A tenant with its own ``crm`` gets its calls' webhooks, signed with its own secret, and
nobody else does; a tenant without one shares the center's. A CRM that is down holds up
only its own tenant's deliveries, and a delivery resumed after a restart still goes to
its tenant's CRM.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import asyncpg
import pytest
from aiohttp import web
from pydantic import SecretStr
from structlog.testing import capture_logs

from callrouter.config import CrmSettings, TenantCrmSettings
from callrouter.crm import DEFAULT_MAX_CONCURRENCY, WebhookNotifier, verify_signature
from callrouter.crm._journal import JOURNAL_CODEC, JOURNAL_FOLDER
from callrouter.errors import ConfigError
from tests.crm.calls import answered, callback, ended, life, offered
from tests.crm.conftest import SECRET, MakeNotifier, wait_until
from tests.crm.receiver import Hit, Receiver
from tests.crm.test_journal import journal_with, published

ACME_SECRET = "whsec-acme-4b1e-do-not-log"
GLOBEX_SECRET = "whsec-globex-77c0-do-not-log"
EVENTS = ("offered", "answered", "ended", "callback")


@pytest.fixture
async def acme_crm() -> AsyncIterator[Receiver]:
    server = Receiver()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def globex_crm() -> AsyncIterator[Receiver]:
    server = Receiver()
    await server.start()
    yield server
    await server.stop()


def own_crm(receiver: Receiver, secret: str, events: tuple[str, ...] = EVENTS) -> TenantCrmSettings:
    return TenantCrmSettings.model_validate(
        {"webhooks": {e: receiver.url for e in events}, "secret": SecretStr(secret)}
    )


def signed_with(secret: str, hit: Hit) -> bool:
    return verify_signature(
        secret,
        timestamp=hit.headers["X-Callrouter-Timestamp"],
        body=hit.body,
        signature=hit.headers["X-Callrouter-Signature"],
    )


async def test_each_tenants_calls_go_to_its_own_crm_signed_with_its_secret(
    make_notifier: MakeNotifier,
    receiver: Receiver,
    acme_crm: Receiver,
    globex_crm: Receiver,
    db_pool: asyncpg.Pool,
) -> None:
    # receiver: the center's CRM. globex's own CRM takes only the screen pop.
    notifier = await make_notifier(
        tenants={
            "acme": own_crm(acme_crm, ACME_SECRET),
            "globex": own_crm(globex_crm, GLOBEX_SECRET, events=("offered",)),
        }
    )
    calls = {tenant: uuid.uuid4() for tenant in ("acme", "globex", "initech", "default")}
    for tenant, call_id in calls.items():
        for payload in life(call_id):
            notifier.publish(payload, tenant=tenant)
    await notifier.drain()

    assert {h.call_id for h in acme_crm.hits} == {str(calls["acme"])}
    assert [h.event for h in acme_crm.hits] == [p.event for p in life(calls["acme"])]
    assert all(signed_with(ACME_SECRET, h) for h in acme_crm.hits)
    assert not any(signed_with(SECRET, h) or signed_with(GLOBEX_SECRET, h) for h in acme_crm.hits)
    # An event its own CRM has no URL for is not sent at all, not to the center either.
    assert [(h.call_id, h.event) for h in globex_crm.hits] == [
        (str(calls["globex"]), "call.offered")
    ]
    assert signed_with(GLOBEX_SECRET, globex_crm.hits[0])
    # A tenant without a CRM of its own, and the default tenant, share the center's.
    assert {h.call_id for h in receiver.hits} == {str(calls["initech"]), str(calls["default"])}
    assert all(signed_with(SECRET, h) for h in receiver.hits)
    rows = await db_pool.fetch("SELECT call_id, tenant, url FROM webhook_deliveries")
    assert {(r["call_id"], r["tenant"]) for r in rows} == {(c, t) for t, c in calls.items()}
    assert {r["url"] for r in rows if r["tenant"] == "acme"} == {acme_crm.url}


async def test_a_crm_that_is_down_holds_up_no_other_tenants_deliveries(
    make_notifier: MakeNotifier, receiver: Receiver, acme_crm: Receiver, globex_crm: Receiver
) -> None:
    async def hang(_hit: Hit) -> web.StreamResponse:
        return await acme_crm.hang()

    acme_crm.responder = hang
    notifier = await make_notifier(
        tenants={"acme": own_crm(acme_crm, ACME_SECRET), "globex": own_crm(globex_crm, "g" * 20)},
        max_backlog=DEFAULT_MAX_CONCURRENCY + 1,
    )
    stuck = [uuid.uuid4() for _ in range(DEFAULT_MAX_CONCURRENCY + 2)]
    for call_id in stuck:
        notifier.publish(offered(call_id), tenant="acme")
    # acme's CRM holds all 8 of its request slots, one more delivery waits for a slot and
    # the next is dropped: the backlog is full. globex's and the center's CRMs have
    # slots and room of their own.
    await acme_crm.wait_for(lambda hits: len(hits) == DEFAULT_MAX_CONCURRENCY)
    assert notifier.dropped == 1
    others = [uuid.uuid4() for _ in range(3)]
    for call_id in others:
        notifier.publish(offered(call_id), tenant="globex")
        notifier.publish(answered(call_id), tenant="default")
    await globex_crm.wait_for(lambda hits: len(hits) == 3, timeout_s=5)
    await receiver.wait_for(lambda hits: len(hits) == 3, timeout_s=5)
    assert notifier.dropped == 1
    assert len(acme_crm.hits) == acme_crm.max_in_flight == DEFAULT_MAX_CONCURRENCY
    acme_crm.release.set()
    await notifier.drain()
    assert {h.call_id for h in acme_crm.hits} == {str(c) for c in stuck[:-1]}


async def test_a_journalled_delivery_resumes_to_its_tenants_crm(
    make_notifier: MakeNotifier,
    receiver: Receiver,
    acme_crm: Receiver,
    db_pool: asyncpg.Pool,
    tmp_path: Path,
) -> None:
    acme_call, old_call = uuid.uuid4(), uuid.uuid4()
    # A process journalled an acme delivery and died before its row landed; its URL
    # then was another: where a delivery goes is the configuration's word now.
    item = replace(published(ended(acme_call), "http://127.0.0.1:9/gone"), tenant="acme")
    await journal_with(tmp_path, [item])
    # A line journalled before deliveries had tenants: the default tenant's, the center's.
    line = json.loads(JOURNAL_CODEC.encode_line(2, published(callback(old_call), receiver.url)))
    del line["r"]["tenant"]
    [segment] = (tmp_path / JOURNAL_FOLDER).glob("*.jsonl")
    with segment.open("a") as file:
        file.write(json.dumps(line) + "\n")

    notifier = await make_notifier(
        tenants={"acme": own_crm(acme_crm, ACME_SECRET)}, spool_dir=tmp_path
    )
    await notifier.drain()
    [hit] = acme_crm.hits
    assert (hit.call_id, hit.event) == (str(acme_call), "call.ended")
    assert signed_with(ACME_SECRET, hit)
    assert [(h.call_id, h.event) for h in receiver.hits] == [(str(old_call), "callback.requested")]
    rows = await db_pool.fetch("SELECT call_id, tenant, status FROM webhook_deliveries")
    assert {(r["call_id"], r["tenant"], r["status"]) for r in rows} == {
        (acme_call, "acme", "delivered"),
        (old_call, "default", "delivered"),
    }


async def test_pending_rows_resume_to_their_tenants_crm(
    make_notifier: MakeNotifier, receiver: Receiver, acme_crm: Receiver, db_pool: asyncpg.Pool
) -> None:
    async def down(_hit: Hit) -> web.StreamResponse:
        return web.Response(status=503)

    acme_crm.responder = down
    tenants = {"acme": own_crm(acme_crm, ACME_SECRET)}
    first = await make_notifier(tenants=tenants, node="pbx-a", max_attempts=50)
    call_id = uuid.uuid4()
    first.publish(offered(call_id), tenant="acme")
    await acme_crm.wait_for(lambda hits: len(hits) >= 1)
    await first.stop(drain_timeout_s=0)

    async def pending() -> bool:
        status = await db_pool.fetchval("SELECT status FROM webhook_deliveries")
        return bool(status == "pending")

    await wait_until(pending)
    acme_crm.responder = _accept
    acme_crm.hits.clear()
    second = await make_notifier(tenants=tenants, node="pbx-a")
    await second.drain()
    assert [h.call_id for h in acme_crm.hits] == [str(call_id)]
    assert signed_with(ACME_SECRET, acme_crm.hits[0])
    assert receiver.hits == []


async def test_the_centers_timeout_and_attempts_hold_for_a_tenants_crm(
    make_notifier: MakeNotifier, acme_crm: Receiver, db_pool: asyncpg.Pool
) -> None:
    async def hang_then_fail(hit: Hit) -> web.StreamResponse:
        if hit.attempt == 1:
            return await acme_crm.hang()  # until crm.timeout_s gives up on it
        return web.Response(status=503)

    acme_crm.responder = hang_then_fail
    notifier = await make_notifier(
        tenants={"acme": own_crm(acme_crm, ACME_SECRET)}, timeout_s=0.2, max_attempts=3
    )
    notifier.publish(offered(uuid.uuid4()), tenant="acme")
    await notifier.drain()
    assert [h.attempt for h in acme_crm.hits] == [1, 2, 3]
    row = await db_pool.fetchrow("SELECT status, attempts, last_error FROM webhook_deliveries")
    assert (row["status"], row["attempts"]) == ("failed", 3)


async def test_tenant_secrets_never_reach_the_logs(
    make_notifier: MakeNotifier, acme_crm: Receiver
) -> None:
    async def refuse(hit: Hit) -> web.StreamResponse:
        return web.Response(status=500 if hit.attempt == 1 else 401, text="bad signature")

    acme_crm.responder = refuse
    with capture_logs() as logs:
        notifier = await make_notifier(tenants={"acme": own_crm(acme_crm, ACME_SECRET)})
        for payload in life(uuid.uuid4()):
            notifier.publish(payload, tenant="acme")
        await notifier.drain()
        await notifier.stop()
    assert {"webhook_retry", "webhook_failed"} <= {e["event"] for e in logs}
    assert all(e.get("tenant") == "acme" for e in logs if e["event"] == "webhook_failed")
    assert ACME_SECRET not in repr(logs)


async def test_a_tenants_bad_url_is_a_config_error_naming_it(db_pool: asyncpg.Pool) -> None:
    bad = TenantCrmSettings.model_validate({"webhooks": {"ended": "crm.acme.example/hook"}})
    with pytest.raises(ConfigError) as caught:
        WebhookNotifier(settings=CrmSettings(), tenants={"acme": bad}, pool=db_pool)
    assert [p.field for p in caught.value.problems] == ["tenants.acme.crm.webhooks.ended"]


async def _accept(_hit: Hit) -> web.StreamResponse:
    return web.Response(status=200)
