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

from callrouter.sim import SimControl, SimulatedAsterisk
from callrouter.store import open_pool
from callrouter.store.callbacks import list_callbacks
from tests.calls.harness import (
    call_events,
    eventually,
    final_call_row,
    make_settings,
    running_service,
)
from tests.calls.test_inbound_flow import bridged_pairs
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


async def test_one_calls_events_share_its_call_id_with_its_row_and_queue_log(
    sim: SimulatedAsterisk, sim_control: SimControl, db_dsn: str
) -> None:
    # README: "`call_id` is the same in every event of a call, in `calls` and in the
    # queue_log export"; the screen pop comes when the operator's phone rings.
    await sim_control.set_endpoint("PJSIP", "101", behavior="answer", answer_after=0.05)
    crm = Receiver()
    await crm.start()
    try:
        kinds = ("offered", "answered", "ended")
        settings = make_settings(sim, crm={"webhooks": {k: f"{crm.url}/{k}" for k in kinds}})
        async with running_service(settings, db_dsn):
            caller = await sim_control.place_call(caller_number="+4930999")
            await eventually(lambda: bridged_pairs(sim_control), what="caller connected")
            await sim_control.hangup(caller["id"])
            await crm.wait_for(lambda hits: any(h.event == "call.ended" for h in hits))
            [row] = await final_call_row(db_dsn)
            exported = await call_events(db_dsn, row["id"])
    finally:
        await crm.stop()
    assert [h.event for h in crm.hits] == ["call.offered", "call.answered", "call.ended"]
    assert {h.call_id for h in crm.hits} == {str(row["id"])}
    assert exported[0] == "ENTERQUEUE"  # the queue_log lines are keyed by the same id


# How a caller comes to ask for a callback: the key while waiting, or a full queue.
HOW_CALLBACKS_ARE_ASKED = {
    "callback-key": {"join_empty": True, "callback_key": "5"},
    "overflow": {"join_empty": True, "max_waiting": 1, "overflow": {"kind": "callback"}},
}


@pytest.mark.parametrize(
    "queue", HOW_CALLBACKS_ARE_ASKED.values(), ids=HOW_CALLBACKS_ARE_ASKED.keys()
)
async def test_callback_requested_is_identified_by_its_call_id(
    queue: dict[str, object], sim: SimulatedAsterisk, sim_control: SimControl, db_dsn: str
) -> None:
    # README, callback.requested: "(the caller pressed the callback key, or the queue
    # overflowed to a callback)"; "`callback_id` (always null here ...; `call_id`
    # identifies the callback, one per call, in `GET /api/v1/callbacks` too)".
    crm = Receiver()
    await crm.start()
    try:
        settings = make_settings(
            sim,
            queues={"support": queue},
            operators={"anna": {"endpoint": "PJSIP/101", "queues": {"support": 0}}},
            crm={"webhooks": {"callback": f"{crm.url}/callback"}},
        )
        async with running_service(settings, db_dsn):
            first = await sim_control.place_call(caller_number="+4930111")
            if "callback_key" in queue:

                async def on_hold() -> bool:
                    log = await sim_control.requests()
                    return any(r["path"].endswith("/moh") for r in log)

                await eventually(on_hold, what="the caller waiting")
                await sim_control.send_dtmf(first["id"], "5")
            else:  # the first caller fills the queue; the second overflows
                await eventually(lambda: _waiting(db_dsn), what="the first caller queued")
                await sim_control.place_call(caller_number="+4930222")
            await crm.wait_for(lambda hits: any(h.event == "callback.requested" for h in hits))

            # The row comes through the batched writer, possibly after the webhook.
            async def stored() -> list[asyncpg.Record] | None:
                conn = await asyncpg.connect(db_dsn)
                try:
                    return await conn.fetch("SELECT call_id, phone FROM callbacks") or None
                finally:
                    await conn.close()

            [row] = await eventually(stored, what="the callback's row")
            # What GET /api/v1/callbacks lists (nobody is logged in: still pending).
            async with open_pool(db_dsn, max_size=1) as pool, pool.acquire() as conn:
                listed = await list_callbacks(conn, status="pending", queue=None, limit=10)
    finally:
        await crm.stop()
    [hit] = [h for h in crm.hits if h.event == "callback.requested"]
    assert hit.json["callback_id"] is None
    assert hit.json["call_id"] == str(row["call_id"])
    assert hit.json["caller"]["number"] == row["phone"]
    assert [str(r["call_id"]) for r in listed] == [hit.json["call_id"]]


async def _waiting(dsn: str) -> bool:
    conn = await asyncpg.connect(dsn)
    try:
        return bool(await conn.fetchval("SELECT count(*) FROM calls WHERE queued_at IS NOT NULL"))
    finally:
        await conn.close()
