"""README, Outbound calls: the dialer keeps ``dialer.inbound_reserve`` operators for
inbound callers, and a callback that fails is retried 10 minutes later, 3 times at most."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest

from callrouter.calls._dialer import PACE_EVERY_S
from callrouter.dialer import CampaignEvent
from callrouter.dialer.store import change_campaign_state, import_leads, sync_campaigns
from callrouter.sim import SimControl, SimulatedAsterisk
from callrouter.store import open_pool
from tests.calls.harness import eventually, make_settings, running_service
from tests.calls.test_inbound_flow import bridged_pairs
from tests.calls.test_outbound_flow import ALWAYS, DIALER

# Long enough for several pacing passes of the dialer (never under a second, whatever
# its pace): how long a test waits to be sure a line that must not be dialled is not.
DIALER_PASSES_S = max(1.0, 3 * PACE_EVERY_S)

TWO_OPERATORS = {
    "anna": {"endpoint": "PJSIP/101", "queues": {"support": 0}, "logged_in": True},
    "boris": {"endpoint": "PJSIP/102", "queues": {"support": 0}, "logged_in": True},
}


async def _customer_lines(control: SimControl) -> list[dict[str, Any]]:
    log = await control.requests()
    return [r for r in log if str(r["params"].get("endpoint", "")).endswith("@pstn")]


# Two ways the README says the dialer keeps a line back although two operators are
# free: the inbound reserve (dialer section) and a campaign's own concurrency limit.
HOLD_BACK = {
    "inbound-reserve": ({"inbound_reserve": 1}, {}),
    "campaign-max-concurrent": ({}, {"limits": {"max_concurrent": 1}}),
}


@pytest.mark.parametrize(("dialer", "campaign"), HOLD_BACK.values(), ids=HOLD_BACK.keys())
async def test_one_line_for_two_free_operators_under_a_reserve_or_a_limit(
    dialer: dict[str, object],
    campaign: dict[str, object],
    sim: SimulatedAsterisk,
    sim_control: SimControl,
    db_dsn: str,
) -> None:
    await sim_control.set_stasis_context("callrouter-outbound", "callrouter,outbound")
    for phone in ("+14155550121", "+14155550122"):
        await sim_control.set_endpoint(
            "PJSIP", f"{phone}@pstn", behavior="answer", answer_after=0.1
        )
    for endpoint in ("101", "102"):
        await sim_control.set_endpoint("PJSIP", endpoint, behavior="answer", answer_after=0.1)
    settings = make_settings(
        sim,
        dialer={**DIALER, **dialer},
        queues={"support": {"wrapup_s": 0.1}},
        operators=TWO_OPERATORS,
        campaigns={
            "reserve": {"mode": "progressive", "queue": "support", "windows": ALWAYS,
                        "default_region": "US", **campaign}
        },
    )  # fmt: skip
    async with open_pool(db_dsn, max_size=1) as pool, pool.acquire() as conn:
        await sync_campaigns(conn, settings)
        leads = ["phone\n", "+14155550121\n", "+14155550122\n"]
        await import_leads(conn, "reserve", leads, now=datetime.now(UTC))
        await change_campaign_state(conn, "reserve", CampaignEvent.START)

    async with running_service(settings, db_dsn):
        await eventually(lambda: bridged_pairs(sim_control), what="the first customer connected")
        # Two operators were free: progressive alone would have dialled both leads at once.
        # Proving the dialer holds back needs it to have had its chances: a few passes.
        await asyncio.sleep(DIALER_PASSES_S)
        [first] = await _customer_lines(sim_control)
        # Once the call ends and both are free again, the second lead gets its line: the
        # dialer was held back, not stuck.
        await sim_control.hangup(str(first["path"]).rsplit("/", 1)[1])

        async def second_line() -> bool:
            return len(await _customer_lines(sim_control)) == 2

        await eventually(second_line, what="the second lead dialled once two were free")


async def test_a_failed_callback_is_retried_10_minutes_later_up_to_3_attempts(
    sim: SimulatedAsterisk, sim_control: SimControl, db_dsn: str
) -> None:
    await sim_control.set_stasis_context("callrouter-outbound", "callrouter,outbound")
    await sim_control.set_endpoint("PJSIP", "101", behavior="answer", answer_after=0.1)
    await sim_control.set_endpoint("PJSIP", "+493055577@pstn", behavior="busy")
    settings = make_settings(sim, dialer={**DIALER, "default_region": "DE"})

    async def callback() -> asyncpg.Record:
        conn = await asyncpg.connect(db_dsn)
        try:
            row = await conn.fetchrow("SELECT * FROM callbacks")
        finally:
            await conn.close()
        assert row is not None
        return row

    async with running_service(settings, db_dsn) as service:
        assert service.parts is not None and service.parts.center is not None
        await service.parts.center.schedule_callback(
            phone="030 55577", queue="support", due_at=datetime.now(UTC), name="Uwe", note=None
        )
        for attempt in (1, 2, 3):

            async def failed(attempt: int = attempt) -> asyncpg.Record | None:
                row = await callback()
                settled = row["attempts"] == attempt and row["status"] in ("pending", "failed")
                return row if settled else None

            row = await eventually(failed, what=f"callback attempt {attempt} to fail")
            if attempt < 3:
                assert row["status"] == "pending"
                wait = row["due_at"] - datetime.now(UTC)
                assert timedelta(minutes=9, seconds=50) < wait <= timedelta(minutes=10)
            # Ten minutes pass: the callback is due now (a failed one must stay failed).
            conn = await asyncpg.connect(db_dsn)
            try:
                await conn.execute("UPDATE callbacks SET due_at = now()")
            finally:
                await conn.close()
        await asyncio.sleep(DIALER_PASSES_S)  # passes in which a 4th dial would start
        row = await callback()
        dialled = len(await _customer_lines(sim_control))
    assert (row["status"], row["attempts"], dialled) == ("failed", 3, 3)


@pytest.mark.parametrize(
    ("script", "outcome"),
    [
        ({"behavior": "busy"}, "busy"),
        ({"behavior": "noanswer"}, "no_answer"),
        ({"behavior": "congestion"}, "congestion"),
        ({"online": False}, "unreachable"),
    ],
    ids=["busy", "no-answer", "congestion", "unreachable"],
)
async def test_a_click_to_call_that_fails_has_that_outcome(
    script: dict[str, object],
    outcome: str,
    sim: SimulatedAsterisk,
    sim_control: SimControl,
    db_dsn: str,
) -> None:
    # README: "Busy, no answer, congestion and unreachable are the call's outcome."
    await sim_control.set_endpoint("PJSIP", "101", behavior="answer", answer_after=0.1)
    await sim_control.set_endpoint("PJSIP", "+4930123456@pstn", **script)
    settings = make_settings(sim, dialer={**DIALER, "default_region": "DE", "ring_timeout_s": 5})
    async with running_service(settings, db_dsn) as service:
        parts = service.parts
        assert parts is not None and parts.center is not None
        call_id = await parts.center.click_to_call(
            operator_id="anna", number="030 123456", caller_id=None, campaign_id=None, lead_id=None
        )

        async def finished() -> str | None:
            conn = await asyncpg.connect(db_dsn)
            try:
                return await conn.fetchval(
                    "SELECT outcome FROM calls WHERE id = $1 AND outcome IS NOT NULL", call_id
                )
            finally:
                await conn.close()

        assert await eventually(finished, what=f"the click-to-call row ({outcome})") == outcome

        # The operator is back in inbound routing once the call is over.
        async def anna_available() -> bool:
            return parts.router.engine.snapshot().operator("anna").state.value == "available"

        await eventually(anna_available, what="anna available again")


async def test_callbacks_are_dialled_oldest_place_first(
    sim: SimulatedAsterisk, sim_control: SimControl, db_dsn: str
) -> None:
    # README: callbacks "dialled when an operator of their queue is free, oldest place
    # first". The older place asked for its callback later: place, not request, decides.
    await sim_control.set_stasis_context("callrouter-outbound", "callrouter,outbound")
    await sim_control.set_endpoint("PJSIP", "101", behavior="answer", answer_after=0.1)
    for phone in ("+4930555001", "+4930555002"):
        await sim_control.set_endpoint(
            "PJSIP", f"{phone}@pstn", behavior="answer", answer_after=0.1
        )
    now = datetime.now(UTC)
    conn = await asyncpg.connect(db_dsn)
    try:
        await conn.executemany(
            "INSERT INTO callbacks (queue_name, phone, queued_at, requested_at, due_at)"
            " VALUES ('support', $1, $2, $3, $3)",
            [
                ("+4930555001", now - timedelta(minutes=5), now - timedelta(minutes=4)),
                ("+4930555002", now - timedelta(minutes=9), now - timedelta(minutes=1)),
            ],
        )
    finally:
        await conn.close()
    settings = make_settings(sim, dialer=DIALER)
    async with running_service(settings, db_dsn):
        await eventually(lambda: _customer_lines(sim_control), what="the first callback dialled")
        first = (await _customer_lines(sim_control))[0]
    assert first["params"]["endpoint"] == "PJSIP/+4930555002@pstn"


@pytest.mark.parametrize("recording", ["always", "never"])
async def test_a_campaigns_recording_applies_to_its_answered_customers(
    recording: str, sim: SimulatedAsterisk, sim_control: SimControl, db_dsn: str
) -> None:
    # README, Recording: "A campaign's `recording` applies to its answered customers",
    # whatever its queue says (the queue here records always, the default).
    await sim_control.set_stasis_context("callrouter-outbound", "callrouter,outbound")
    await sim_control.set_endpoint("PJSIP", "101", behavior="answer", answer_after=0.1)
    await sim_control.set_endpoint(
        "PJSIP", "+14155550131@pstn", behavior="answer", answer_after=0.1
    )
    settings = make_settings(
        sim,
        dialer=DIALER,
        campaigns={
            "rec": {"mode": "progressive", "queue": "support", "windows": ALWAYS,
                    "default_region": "US", "recording": recording}
        },
    )  # fmt: skip
    async with open_pool(db_dsn, max_size=1) as pool, pool.acquire() as conn:
        await sync_campaigns(conn, settings)
        await import_leads(conn, "rec", ["phone\n", "+14155550131\n"], now=datetime.now(UTC))
        await change_campaign_state(conn, "rec", CampaignEvent.START)
    async with running_service(settings, db_dsn):
        await eventually(lambda: bridged_pairs(sim_control), what="the customer connected")

        async def recorded() -> bool:
            log = await sim_control.requests()
            return any(r["method"] == "POST" and r["path"].endswith("/record") for r in log)

        if recording == "always":
            await eventually(recorded, what="the bridge recorded")
        else:
            # The recording starts right after the bridge; give it every chance to.
            await asyncio.sleep(0.5)
            assert not await recorded()
