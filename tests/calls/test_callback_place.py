"""Callbacks keep the caller's place, end to end: the real service on the simulated
Asterisk and a real PostgreSQL. On a busy queue a callback is dialled before the callers
who joined after its caller; the rules at the moment of dialling hold for callbacks too
(do-not-call list, the queue's hours)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from callrouter.calls import CallrouterService
from callrouter.calls._callbacks import CHECK_EVERY_S
from callrouter.sim import SimControl, SimulatedAsterisk
from tests.calls.harness import ari_requests, eventually, make_settings, running_service
from tests.calls.test_outbound_compliance import add_dnc, customer_originates

DIALER = {"caller_id": "+14155550000", "default_region": "DE"}
QUEUE = {"join_empty": True, "callback_key": "5", "wrapup_s": 0, "ring_timeout_s": 10}
A_NUMBER = "+4930555001"


async def fetch(dsn: str, sql: str, *args: object) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(dsn)
    try:
        return await conn.fetch(sql, *args)
    finally:
        await conn.close()


async def waiting(service: CallrouterService, count: int) -> bool:
    assert service.parts is not None
    return len(service.parts.router.engine.snapshot().queue("support").waiting) == count


async def offered(service: CallrouterService, callback_id: int) -> bool:
    assert service.parts is not None and service.parts.queue_callbacks is not None
    return callback_id in [p.callback_id for p in service.parts.queue_callbacks.offered("support")]


def operator_rings(log: list[dict[str, Any]]) -> list[str]:
    """The calls anna's phone was rung for, in order (``operator,<call id>,anna``)."""
    originates = ari_requests(log, "POST", "/channels")
    rings = [r for r in originates if r["params"].get("endpoint") == "PJSIP/101"]
    return [str(r["params"]["appArgs"]).split(",")[1] for r in rings]


async def test_a_callback_is_dialled_before_callers_who_joined_after_its_caller(
    sim: SimulatedAsterisk, sim_control: SimControl, db_dsn: str
) -> None:
    await sim_control.set_endpoint("PJSIP", "101", behavior="answer", answer_after=0.1)
    await sim_control.set_stasis_context("callrouter-outbound", "callrouter,outbound")
    await sim_control.set_endpoint("PJSIP", f"{A_NUMBER}@pstn", behavior="answer", answer_after=0.2)
    settings = make_settings(sim, dialer=DIALER, queues={"support": QUEUE})
    async with running_service(settings, db_dsn) as service:
        assert service.parts is not None
        # Anna talks to X: the queue is busy.
        x = await sim_control.place_call(caller_number="+4930555000")
        await eventually(lambda: waiting(service, 0), what="X connected")
        # A joins, waits, asks to be called back (keeping the place).
        a = await sim_control.place_call(caller_number=A_NUMBER, caller_name="Ada")
        await eventually(lambda: waiting(service, 1), what="A waiting")
        await sim_control.send_dtmf(a["id"], "5")

        async def callback_stored() -> list[asyncpg.Record]:
            return await fetch(db_dsn, "SELECT * FROM callbacks WHERE status = 'pending'")

        (row,) = await eventually(callback_stored, what="A's callback row")
        await eventually(lambda: offered(service, row["id"]), what="the core told of it")
        # B and C join after A's place and wait.
        await sim_control.place_call(caller_number="+4930555002")
        await sim_control.place_call(caller_number="+4930555003")
        await eventually(lambda: waiting(service, 2), what="B and C waiting")
        await sim_control.clear_requests()

        await sim_control.hangup(x["id"])  # anna frees up

        async def a_dialled() -> list[dict[str, Any]]:
            return await customer_originates(sim_control)

        (dial,) = await eventually(a_dialled, what="A's number dialled")
        assert dial["params"]["endpoint"] == f"PJSIP/{A_NUMBER}@pstn"

        async def anna_rung() -> list[str]:
            return operator_rings(await sim_control.requests())

        first_ring = (await eventually(anna_rung, what="anna rung"))[0]
        callback_call = str(dial["params"]["appArgs"]).split(",")[1]
        assert first_ring == callback_call, "anna must take A's callback, not B or C"
        # B and C still wait for her, in their order.
        assert await waiting(service, 2)

        async def done() -> list[asyncpg.Record]:
            return await fetch(db_dsn, "SELECT * FROM callbacks WHERE status = 'done'")

        customer = dial["path"].rsplit("/", 1)[1]
        await sim_control.hangup(customer)
        (finished,) = await eventually(done, what="A's callback done")
    assert finished["id"] == row["id"] and finished["operator_id"] == "anna"
    assert finished["attempts"] == 1 and finished["queued_at"] == row["queued_at"]


async def test_a_caller_who_joined_before_the_callbacks_place_is_served_first(
    sim: SimulatedAsterisk, sim_control: SimControl, db_dsn: str
) -> None:
    await sim_control.set_endpoint("PJSIP", "101", behavior="answer", answer_after=0.1)
    settings = make_settings(sim, dialer=DIALER, queues={"support": QUEUE})
    async with running_service(settings, db_dsn) as service:
        assert service.parts is not None and service.parts.center is not None
        x = await sim_control.place_call(caller_number="+4930555000")
        await eventually(lambda: waiting(service, 0), what="X connected")
        b = await sim_control.place_call(caller_number="+4930555002")
        await eventually(lambda: waiting(service, 1), what="B waiting")
        # A callback whose place is later than B's (scheduled now, over the API).
        callback = await service.parts.center.schedule_callback(
            phone=A_NUMBER, queue="support", due_at=datetime.now(UTC), name="Ada", note=None
        )
        await eventually(lambda: offered(service, callback), what="the core told of it")
        await sim_control.clear_requests()
        await sim_control.hangup(x["id"])

        async def anna_rung() -> list[str]:
            return operator_rings(await sim_control.requests())

        b_call = await eventually(lambda: _call_id_of(db_dsn, b["id"]), what="B's row")
        assert (await eventually(anna_rung, what="anna rung"))[0] == b_call
        assert await customer_originates(sim_control) == []


async def _call_id_of(dsn: str, channel_id: str) -> str | None:
    rows = await fetch(dsn, "SELECT id FROM calls WHERE channel_id = $1", channel_id)
    return str(rows[0]["id"]) if rows else None


async def test_a_callback_to_a_number_on_the_dnc_list_in_another_format_is_not_dialled(
    sim: SimulatedAsterisk, sim_control: SimControl, db_dsn: str
) -> None:
    # The list holds E.164; the trunk gave the caller's number in national format.
    await sim_control.set_endpoint("PJSIP", "101", behavior="answer", answer_after=0.1)
    await add_dnc(db_dsn, "+49301234567")
    settings = make_settings(sim, dialer=DIALER, queues={"support": QUEUE})
    async with running_service(settings, db_dsn) as service:
        assert service.parts is not None and service.parts.center is not None
        callback = await service.parts.center.schedule_callback(
            phone="030 1234567", queue="support", due_at=datetime.now(UTC), name="Dee", note=None
        )

        async def cancelled() -> list[asyncpg.Record]:
            return await fetch(
                db_dsn, "SELECT * FROM callbacks WHERE id = $1 AND status = 'cancelled'", callback
            )

        (row,) = await eventually(cancelled, what="the callback cancelled")
        assert "do-not-call" in row["note"]
        assert await customer_originates(sim_control) == []
        # Anna was reserved for it and is back in routing.
        view = service.parts.router.engine.snapshot().operator("anna")
        assert view.state.value == "available"


async def test_a_callback_is_dialled_only_while_its_queue_is_open(
    sim: SimulatedAsterisk, sim_control: SimControl, db_dsn: str
) -> None:
    await sim_control.set_endpoint("PJSIP", "101", behavior="answer", answer_after=0.1)
    await sim_control.set_endpoint("PJSIP", f"{A_NUMBER}@pstn", behavior="noanswer")
    today = datetime.now(UTC).date()
    closed = {"office": {"holidays": [today, today + timedelta(days=1)]}}
    always: dict[str, object] = {"office": {}}
    settings = make_settings(
        sim, dialer=DIALER, calendars=closed, queues={"support": {**QUEUE, "hours": "office"}}
    )
    async with running_service(settings, db_dsn) as service:
        assert service.parts is not None and service.parts.center is not None
        await service.parts.center.schedule_callback(
            phone=A_NUMBER, queue="support", due_at=datetime.now(UTC), name="Ada", note=None
        )
        await _passes(service, 3)
        assert await customer_originates(sim_control) == [], "dialled while the queue is closed"
        opened = make_settings(
            sim, dialer=DIALER, calendars=always, queues={"support": {**QUEUE, "hours": "office"}}
        )
        await service.reload(opened)
        await eventually(lambda: customer_originates(sim_control), what="dialled once open")


async def _passes(service: CallrouterService, count: int) -> None:
    """Let the callbacks' loop run ``count`` times."""
    await asyncio.sleep(count * CHECK_EVERY_S)
