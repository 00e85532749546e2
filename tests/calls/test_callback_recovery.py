"""Callbacks left in ``dialing`` are released, end to end on the real service: by this
node at its next start (a kill in the middle of a dial), by any node once the dialling
node stopped renewing them for ``dialer.stale_attempt_s``; each is dialled again exactly
once, in its place."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from callrouter.calls._callbacks import CHECK_EVERY_S
from callrouter.sim import SimControl, SimulatedAsterisk
from tests.calls.harness import eventually, make_settings, running_service
from tests.calls.test_callback_place import DIALER, QUEUE, fetch
from tests.calls.test_outbound_compliance import customer_originates
from tests.calls.test_two_nodes import second_sim  # noqa: F401 (a fixture used below)

NUMBER = "+4930555111"


async def dials_to(control: SimControl, number: str) -> list[dict[str, Any]]:
    return [
        r for r in await customer_originates(control)
        if r["params"]["endpoint"] == f"PJSIP/{number}@pstn"
    ]  # fmt: skip


async def insert_callback(dsn: str, phone: str, **columns: object) -> int:
    now = datetime.now(UTC)
    values: dict[str, object] = {
        "queue_name": "support", "phone": phone, "queued_at": now - timedelta(minutes=5),
        "requested_at": now - timedelta(minutes=4), "due_at": now - timedelta(minutes=1),
        **columns,
    }  # fmt: skip
    names = ", ".join(values)
    marks = ", ".join(f"${n}" for n in range(1, len(values) + 1))
    conn = await asyncpg.connect(dsn)
    try:
        found: int = await conn.fetchval(
            f"INSERT INTO callbacks ({names}) VALUES ({marks}) RETURNING id", *values.values()
        )
    finally:
        await conn.close()
    return found


async def test_a_callback_dialling_at_a_kill_is_dialled_again_once_after_the_restart(
    sim: SimulatedAsterisk, sim_control: SimControl, db_dsn: str
) -> None:
    await sim_control.set_endpoint("PJSIP", "101", behavior="answer", answer_after=0.1)
    await sim_control.set_stasis_context("callrouter-outbound", "callrouter,outbound")
    await sim_control.set_endpoint("PJSIP", f"{NUMBER}@pstn", behavior="noanswer")
    # The longest ring (3 s at the simulator's pace): the phone still rings when the
    # service stops, however slowly it stops on a loaded machine.
    dialer = {**DIALER, "ring_timeout_s": 300}
    settings = make_settings(sim, dialer=dialer, queues={"support": QUEUE})
    callback = await insert_callback(db_dsn, NUMBER)
    async with running_service(settings, db_dsn):
        (first,) = await eventually(lambda: dials_to(sim_control, NUMBER), what="first dial")
    # Killed while the customer's phone rang; Asterisk dropped the orphaned leg.
    customer = first["path"].rsplit("/", 1)[1]
    await sim_control.hangup(customer, cause=19)
    (row,) = await fetch(db_dsn, "SELECT * FROM callbacks WHERE id = $1", callback)
    assert (row["status"], row["dialing_node"], row["attempts"]) == ("dialing", "test-node", 1)

    await sim_control.set_endpoint("PJSIP", f"{NUMBER}@pstn", behavior="answer", answer_after=0.2)
    async with running_service(settings, db_dsn):

        async def dialled_again() -> bool:
            return len(await dials_to(sim_control, NUMBER)) == 2

        await eventually(dialled_again, what="the callback dialled again after the restart")

        async def connected() -> list[asyncpg.Record]:
            return await fetch(
                db_dsn, "SELECT * FROM callbacks WHERE id = $1 AND status = 'done'", callback
            )

        again = (await dials_to(sim_control, NUMBER))[1]
        await asyncio.sleep(0.5)  # the customer talks to anna a moment
        await sim_control.hangup(again["path"].rsplit("/", 1)[1])
        (done,) = await eventually(connected, what="the callback done")
        await asyncio.sleep(3 * CHECK_EVERY_S)  # passes in which a third dial would start
        assert len(await dials_to(sim_control, NUMBER)) == 2
    # The interrupted attempt counts; the place never moved.
    assert done["attempts"] == 2 and done["queued_at"] == row["queued_at"]
    assert done["operator_id"] == "anna" and done["dialing_node"] is None


async def test_a_callback_claimed_but_never_dialled_before_a_kill_is_dialled_at_start(
    sim: SimulatedAsterisk, sim_control: SimControl, db_dsn: str
) -> None:
    await sim_control.set_endpoint("PJSIP", "101", behavior="answer", answer_after=0.1)
    await sim_control.set_endpoint("PJSIP", f"{NUMBER}@pstn", behavior="busy")
    settings = make_settings(sim, dialer=DIALER, queues={"support": QUEUE})
    callback = await insert_callback(
        db_dsn, NUMBER, status="dialing", attempts=1, dialing_node="test-node",
        dialing_since=datetime.now(UTC) - timedelta(seconds=30),
    )  # fmt: skip
    async with running_service(settings, db_dsn):
        await eventually(lambda: dials_to(sim_control, NUMBER), what="dialled at start")
        await asyncio.sleep(3 * CHECK_EVERY_S)
        assert len(await dials_to(sim_control, NUMBER)) == 1

        async def retried_later() -> list[asyncpg.Record]:
            return await fetch(
                db_dsn, "SELECT * FROM callbacks WHERE id = $1 AND status = 'pending'"
                " AND due_at > now() + interval '9 minutes'", callback,
            )  # fmt: skip

        (row,) = await eventually(retried_later, what="the busy attempt rescheduled")
    assert row["attempts"] == 2


async def test_a_dead_nodes_dialling_callback_is_released_after_the_timeout_and_dialled_once(
    sim: SimulatedAsterisk, sim_control: SimControl, db_dsn: str
) -> None:
    await sim_control.set_endpoint("PJSIP", "101", behavior="answer", answer_after=0.1)
    await sim_control.set_endpoint("PJSIP", f"{NUMBER}@pstn", behavior="busy")
    alive_number = "+4930555222"
    settings = make_settings(
        sim, dialer={**DIALER, "stale_attempt_s": 60}, queues={"support": QUEUE}
    )
    now = datetime.now(UTC)
    stale = await insert_callback(
        db_dsn, NUMBER, status="dialing", attempts=1, dialing_node="node-gone",
        dialing_since=now - timedelta(minutes=2),
    )  # fmt: skip
    alive = await insert_callback(
        db_dsn, alive_number, status="dialing", attempts=1, dialing_node="node-alive",
        dialing_since=now, queued_at=now - timedelta(hours=1),
    )  # fmt: skip
    async with running_service(settings, db_dsn):
        await eventually(lambda: dials_to(sim_control, NUMBER), what="the stale one dialled")
        await asyncio.sleep(3 * CHECK_EVERY_S)
        assert len(await dials_to(sim_control, NUMBER)) == 1
        assert await dials_to(sim_control, alive_number) == []
    rows = {r["id"]: r for r in await fetch(db_dsn, "SELECT * FROM callbacks")}
    assert rows[alive]["status"] == "dialing" and rows[alive]["dialing_node"] == "node-alive"
    assert rows[stale]["attempts"] == 2


async def test_two_nodes_dial_each_callback_once(
    sim: SimulatedAsterisk,
    sim_control: SimControl,
    second_sim: tuple[SimulatedAsterisk, SimControl],  # noqa: F811 (the fixture)
    db_dsn: str,
) -> None:
    other_sim, other_control = second_sim
    numbers = [f"+49305553{n:02d}" for n in range(6)]
    for control in (sim_control, other_control):
        await control.set_endpoint("PJSIP", "101", behavior="answer", answer_after=0.1)
        for number in numbers:
            await control.set_endpoint("PJSIP", f"{number}@pstn", behavior="busy")
    for number in numbers:
        await insert_callback(db_dsn, number)
    shared: dict[str, Any] = {
        "dialer": DIALER, "queues": {"support": QUEUE}, "cluster": {"claim_operators": True},
    }  # fmt: skip
    async with (
        running_service(make_settings(sim, **shared), db_dsn, node="node-a"),
        running_service(make_settings(other_sim, **shared), db_dsn, node="node-b"),
    ):

        async def all_tried() -> bool:
            rows = await fetch(
                db_dsn, "SELECT 1 FROM callbacks WHERE attempts = 1 AND status = 'pending'"
            )
            return len(rows) == len(numbers)

        await eventually(all_tried, what="every callback tried once")
        await asyncio.sleep(3 * CHECK_EVERY_S)
        dials = [*await customer_originates(sim_control), *await customer_originates(other_control)]
    dialled = sorted(str(d["params"]["endpoint"]) for d in dials)
    assert dialled == sorted(f"PJSIP/{n}@pstn" for n in numbers)
