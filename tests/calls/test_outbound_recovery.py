"""Leads and attempts survive a crash: the service stopped mid-call (as by ``kill -9``:
nothing closes the attempts on the way down), then started again on the same node."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import asyncpg

from callrouter.config import Settings
from callrouter.dialer.store import expire_claims
from callrouter.sim import SimControl, SimulatedAsterisk
from callrouter.store import open_pool
from tests.calls.harness import eventually, make_settings, running_service
from tests.calls.test_inbound_flow import bridged_pairs
from tests.calls.test_outbound_pacing import campaign, fetch, start_campaign


async def customer_channel(control: SimControl, dsn: str, phone: str) -> dict[str, object]:
    """The customer's channel in the simulator, found through the call's row."""
    rows = await fetch(dsn, "SELECT channel_id FROM calls WHERE called_number = $1", phone)
    ids = {r["channel_id"] for r in rows}
    state = await control.state()
    found = [c for c in state["channels"] if c["id"] in ids]
    return found[0] if found else {}


async def attempt_started(dsn: str) -> bool:
    return bool(await fetch(dsn, "SELECT id FROM attempts"))


async def open_attempt(dsn: str) -> list[asyncpg.Record]:
    return await fetch(dsn, "SELECT * FROM attempts WHERE ended_at IS NULL")


async def leads(dsn: str) -> dict[str, asyncpg.Record]:
    return {r["phone"]: r for r in await fetch(dsn, "SELECT * FROM leads")}


async def customer_queued_then_callrouter_gone(
    sim_control: SimControl, db_dsn: str, settings: Settings, campaign_name: str, phone: str
) -> dict[str, object]:
    """Dial ``phone`` for the campaign until the answered customer is in the queue and
    anna (``PJSIP/101``) is rung, then stop the service as a crash would leave it:
    the customer's channel, still up."""
    await sim_control.set_stasis_context("callrouter-outbound", "callrouter,outbound")
    await sim_control.set_endpoint("PJSIP", f"{phone}@pstn", behavior="answer",
                                   answer_after=0.1, amd=True)  # fmt: skip
    await start_campaign(db_dsn, settings, campaign_name, [phone])

    async def operator_rung() -> bool:
        log = await sim_control.requests()
        return any(r["params"].get("endpoint") == "PJSIP/101" for r in log)

    async with running_service(settings, db_dsn):
        await eventually(operator_rung, what="the customer queued and anna rung")
    channel = await customer_channel(sim_control, db_dsn, phone)
    assert channel.get("state") == "Up"
    return channel


async def test_a_crash_during_amd_leaves_no_lead_in_progress(
    sim: SimulatedAsterisk, sim_control: SimControl, db_dsn: str
) -> None:
    """The customer is in AMD when callrouter dies. After the restart the attempt ends
    (recovery hangs up our legs outside Stasis today, so it is closed as lost; were
    the leg left to the dialer, it re-attaches it and its end closes the attempt) and
    its lead is rescheduled; leads claimed but never dialled, and a preview lead an
    operator held, go back to pending at once: no lead stays in progress."""
    phone = "+14155550801"
    # No Stasis context for callrouter-outbound: the answered customer stays in the
    # dialplan, as during a long AMD.
    await sim_control.set_endpoint("PJSIP", f"{phone}@pstn", behavior="answer",
                                   answer_after=0.1, amd=True)  # fmt: skip
    settings = make_settings(sim, campaigns={"amd": campaign(mode="progressive")})
    await start_campaign(db_dsn, settings, "amd", [phone, "+14155550802", "+14155550803"])

    async def in_amd() -> bool:
        log = await sim_control.requests()
        return any("/continue" in r["path"] for r in log)

    async with running_service(settings, db_dsn):
        await eventually(in_amd, what="the customer sent to AMD")
    # What a crash leaves: one attempt open, its lead in progress; and two more claims
    # (one by this node's dialer, one by an operator's preview) never dialled.
    conn = await asyncpg.connect(db_dsn)
    try:
        await conn.execute(
            "UPDATE leads SET status = 'in_progress', claimed_at = now() - interval '1 minute',"
            " claimed_by = CASE phone WHEN '+14155550802' THEN 'test-node'"
            " ELSE 'test-node:anna' END WHERE phone <> $1",
            phone,
        )
        # Paused meanwhile: nothing is dialled again, so what recovery left shows.
        await conn.execute("UPDATE campaigns SET state = 'paused'")
    finally:
        await conn.close()
    assert len(await open_attempt(db_dsn)) == 1
    channel = await customer_channel(sim_control, db_dsn, phone)
    assert channel.get("state") == "Up"

    async with running_service(settings, db_dsn) as service:
        assert service.parts is not None and service.parts.dialer is not None
        dialer = service.parts.dialer

        async def settled() -> bool:
            if dialer.owns(str(channel["id"])):
                await sim_control.hangup(str(channel["id"]))  # the customer gives up
            return not await open_attempt(db_dsn)

        await eventually(settled, what="the open attempt closed")

        async def none_in_progress() -> bool:
            return all(r["status"] == "pending" for r in (await leads(db_dsn)).values())

        await eventually(none_in_progress, what="every lead pending again")
    lead = (await leads(db_dsn))[phone]
    assert lead["next_attempt_at"] is not None and lead["attempts"] == 1


async def test_a_call_gone_while_callrouter_was_away_is_lost_and_retried(
    sim: SimulatedAsterisk, sim_control: SimControl, db_dsn: str
) -> None:
    phone = "+14155550811"
    await sim_control.set_endpoint("PJSIP", f"{phone}@pstn", behavior="noanswer")
    settings = make_settings(sim, campaigns={"gone": campaign(mode="progressive")})
    await start_campaign(db_dsn, settings, "gone", [phone])

    async with running_service(settings, db_dsn):
        await eventually(lambda: attempt_started(db_dsn), what="the customer dialled")
    channel = await customer_channel(sim_control, db_dsn, phone)
    await sim_control.hangup(str(channel["id"]))  # missed: nobody listens

    async with running_service(settings, db_dsn):

        async def closed() -> list[asyncpg.Record]:
            return await fetch(db_dsn, "SELECT * FROM attempts WHERE ended_at IS NOT NULL")

        attempts = await eventually(closed, what="the open attempt closed")
    assert [a["outcome"] for a in attempts] == ["lost"]
    lead = (await leads(db_dsn))[phone]
    assert lead["status"] == "pending"
    # the lost rule: 5 minutes later
    assert lead["next_attempt_at"] - attempts[0]["ended_at"] >= timedelta(minutes=4)


async def test_a_customer_waiting_in_the_queue_at_the_crash_is_connected_after_it(
    sim: SimulatedAsterisk, sim_control: SimControl, db_dsn: str
) -> None:
    """Recovery restores the answered customer into the queue; the dialer re-attaches
    its attempt, which ends with the call's real outcome."""
    phone = "+14155550821"
    # 0.2 s real at the simulator's scale, under its scaled originate timeout
    await sim_control.set_endpoint("PJSIP", "101", behavior="answer", answer_after=20)
    settings = make_settings(
        sim, queues={"support": {"ring_timeout_s": 30, "wrapup_s": 0}},
        campaigns={"patient": campaign(mode="progressive", abandon_after_s=30)},
    )  # fmt: skip
    channel = await customer_queued_then_callrouter_gone(
        sim_control, db_dsn, settings, "patient", phone
    )
    async with running_service(settings, db_dsn) as service:
        assert service.parts is not None and service.parts.dialer is not None
        await eventually(lambda: bridged_pairs(sim_control), what="the customer connected")
        assert service.parts.dialer.owns(str(channel["id"]))
        await sim_control.hangup(str(channel["id"]))

        async def connected() -> list[asyncpg.Record]:
            return await fetch(db_dsn, "SELECT * FROM attempts WHERE outcome = 'connected'")

        attempts = await eventually(connected, what="the attempt connected")
    assert attempts[0]["answered_at"] is not None and attempts[0]["operator_id"] == "anna"
    assert (await leads(db_dsn))[phone]["status"] == "done"


async def test_claims_expire_and_stale_attempts_are_lost(db_dsn: str) -> None:
    """Across nodes: a preview lead held past its time goes back; an attempt of a node
    that never came back is closed as lost and its lead rescheduled."""
    now = datetime.now(UTC)
    async with open_pool(db_dsn, max_size=1) as pool, pool.acquire() as conn:
        await conn.execute("INSERT INTO queues (name) VALUES ('support')")
        campaign_id = await conn.fetchval(
            "INSERT INTO campaigns (name, mode, queue_name) VALUES ('c', 'preview', 'support')"
            " RETURNING id"
        )
        insert = (
            "INSERT INTO leads (campaign_id, key, phone, timezone, status, claimed_by,"
            " claimed_at) VALUES ($1, $2, $2, 'UTC', 'in_progress', 'gone-node:op', $3)"
            " RETURNING id"
        )
        long_ago = now - timedelta(hours=5)
        held = await conn.fetchval(insert, campaign_id, "+14155550831", long_ago)
        dialled = await conn.fetchval(insert, campaign_id, "+14155550832", long_ago)
        await conn.execute(
            "INSERT INTO attempts (campaign_id, lead_id, started_at, node)"
            " VALUES ($1, $2, $3, 'gone-node')", campaign_id, dialled, now - timedelta(hours=5),
        )  # fmt: skip
        released, lost = await expire_claims(
            conn, now=now, claimed_before=now - timedelta(minutes=30),
            attempt_before=now - timedelta(hours=4),
        )  # fmt: skip
        rows = {r["id"]: r for r in await conn.fetch("SELECT * FROM leads")}
        attempt = await conn.fetchrow("SELECT * FROM attempts")
    assert (released, lost) == (1, 1)
    assert rows[held]["status"] == "pending" and rows[held]["claimed_by"] is None
    assert rows[dialled]["status"] == "pending" and rows[dialled]["attempts"] == 1
    assert attempt["outcome"] == "lost"


async def test_a_customer_restored_into_the_queue_keeps_their_abandon_deadline(
    sim: SimulatedAsterisk, sim_control: SimControl, db_dsn: str
) -> None:
    """The deadline runs from the customer's answer, across a restart: restored into the
    queue with nobody answering, they hear the apology when it passes, and the attempt
    is abandoned."""
    phone = "+14155550841"
    await sim_control.set_endpoint("PJSIP", "101", behavior="noanswer")
    settings = make_settings(
        sim, queues={"support": {"ring_timeout_s": 60, "wrapup_s": 0}},
        campaigns={"strict": campaign(mode="progressive", abandon_after_s=3,
                                      apology_sound="strict-sorry")},
    )  # fmt: skip
    channel = await customer_queued_then_callrouter_gone(
        sim_control, db_dsn, settings, "strict", phone
    )
    async with running_service(settings, db_dsn):

        async def abandoned() -> list[asyncpg.Record]:
            return await fetch(db_dsn, "SELECT * FROM attempts WHERE outcome = 'abandoned'")

        attempts = await eventually(abandoned, what="the attempt abandoned")
        log = await sim_control.requests()
    plays = [r for r in log if r["path"].endswith("/play") and str(channel["id"]) in r["path"]]
    assert plays and "sound:strict-sorry" in str(plays[-1]["params"])
    answered_at = attempts[0]["answered_at"]
    assert attempts[0]["ended_at"] - answered_at >= timedelta(seconds=3)
