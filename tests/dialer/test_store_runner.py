"""What the campaign runner does to stored leads: claim, gate at dial time, attempts."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest

from callrouter.dialer import LeadStatus, Outcome, store
from callrouter.errors import Conflict, InvalidInput

from .test_store import NOW, csv, settings


@pytest.fixture
async def conn(db_pool: asyncpg.Pool) -> Any:
    async with db_pool.acquire() as connection:
        await store.sync_campaigns(connection, settings())
        yield connection


async def _import(conn: Any, count: int, *, now: datetime = NOW) -> None:
    rows = "".join(f"L{i:04d},+49 30 {1000000 + i}\n" for i in range(count))
    await store.import_leads(conn, "spring", csv("key,phone\n" + rows), now=now)


async def _lead_id(conn: Any, key: str) -> int:
    lead_id: int = await conn.fetchval("SELECT id FROM leads WHERE key = $1", key)
    return lead_id


async def test_due_leads_claims_in_order_and_marks_in_progress(conn: Any) -> None:
    await _import(conn, 3, now=NOW - timedelta(minutes=5))
    await conn.execute("UPDATE leads SET next_attempt_at = $1 WHERE key = 'L0002'",
                       NOW - timedelta(hours=1))  # fmt: skip
    await conn.execute("UPDATE leads SET next_attempt_at = $1 WHERE key = 'L0001'",
                       NOW + timedelta(hours=1))  # fmt: skip
    campaign = await store.get_campaign(conn, "spring")
    claimed = await store.due_leads(conn, campaign.id, NOW, 10, node="n1")
    assert [c.key for c in claimed] == ["L0002", "L0000"]  # L0001 is not due yet
    statuses = dict(await conn.fetch("SELECT key, status FROM leads ORDER BY key"))
    assert statuses == {"L0000": "in_progress", "L0001": "pending", "L0002": "in_progress"}
    assert await store.due_leads(conn, campaign.id, NOW, 10) == []


async def test_two_nodes_never_claim_the_same_lead(db_pool: asyncpg.Pool, conn: Any) -> None:
    await _import(conn, 500)
    campaign = await store.get_campaign(conn, "spring")

    async def node(name: str) -> list[int]:
        got: list[int] = []
        async with db_pool.acquire() as own:
            while batch := await store.due_leads(own, campaign.id, NOW, 7, node=name):
                got.extend(lead.id for lead in batch)
                await asyncio.sleep(0)
        return got

    first, second = await asyncio.gather(node("n1"), node("n2"))
    assert first and second
    assert not set(first) & set(second)
    assert sorted(first + second) == sorted(
        r["id"] for r in await conn.fetch("SELECT id FROM leads"))  # fmt: skip
    assert dict(await conn.fetch(
        "SELECT claimed_by, count(*) FROM leads GROUP BY claimed_by")) == {
        "n1": len(first), "n2": len(second)}  # fmt: skip


async def test_dnc_added_after_import_blocks_at_claim_time(conn: Any) -> None:
    await _import(conn, 3)
    await store.add_dnc(conn, ["030 1000001"], tenant=None, region="DE")  # L0001, after the import
    campaign = await store.get_campaign(conn, "spring")
    picked = await store.claim_dialable(conn, campaign, NOW, 10, node="n1")
    assert sorted(lead.key for lead in picked) == ["L0000", "L0002"]
    statuses = dict(await conn.fetch("SELECT key, status FROM leads"))
    assert statuses == {"L0000": "in_progress", "L0001": "dnc", "L0002": "in_progress"}


async def test_claim_releases_leads_outside_their_window_until_it_opens(
    db_pool: asyncpg.Pool,
) -> None:
    async with db_pool.acquire() as conn:
        await store.sync_campaigns(conn, settings(windows={"mon-fri": ["09:00-17:00"]}))
        rows = "ny,+1 212 555 0100\nberlin,+49 30 1234567\n"
        await store.import_leads(conn, "spring", csv("key,phone\n" + rows), now=NOW)
        campaign = await store.get_campaign(conn, "spring")
        # 15:00 UTC: 16:00 in Berlin (open), 10:00 in New York (open); 17:00 UTC: NY only
        later = NOW + timedelta(hours=2)
        picked = await store.claim_dialable(conn, campaign, later, 5)
        assert [lead.key for lead in picked] == ["ny"]
        berlin = await conn.fetchrow("SELECT status, next_attempt_at FROM leads WHERE key='berlin'")
        assert berlin["status"] == "pending"
        assert berlin["next_attempt_at"] == datetime(2026, 3, 5, 8, 0, tzinfo=UTC)  # 09:00 CET
        assert await store.claim_dialable(conn, campaign, later, 5) == []


async def test_extra_claims_go_back_unchanged(conn: Any) -> None:
    await _import(conn, 30)
    campaign = await store.get_campaign(conn, "spring")
    picked = await store.claim_dialable(conn, campaign, NOW, 3)
    assert len(picked) == 3
    counts = dict(await conn.fetch("SELECT status, count(*) FROM leads GROUP BY status"))
    assert counts == {"in_progress": 3, "pending": 27}
    assert await conn.fetchval("SELECT count(*) FROM leads WHERE next_attempt_at = $1", NOW) == 30


async def test_attempt_outcomes_schedule_retries(conn: Any) -> None:
    await _import(conn, 4)
    a, b, c, d = [await _lead_id(conn, f"L000{i}") for i in range(4)]
    call = uuid.uuid4()
    first = await store.start_attempt(conn, a, now=NOW, call_id=call, node="n1")
    decision = await store.finish_attempt(conn, first, "busy", now=NOW, hangup_cause=17,
                                          wait_s=12.5)  # fmt: skip
    assert decision.next_attempt_at == NOW + timedelta(seconds=600)
    later = NOW + timedelta(minutes=11)
    second = await store.start_attempt(conn, a, now=later)
    decision = await store.finish_attempt(conn, second, Outcome.BUSY, now=later)
    assert decision.next_attempt_at == later + timedelta(seconds=1200)  # backoff 2
    third = await store.start_attempt(conn, a, now=later)
    assert (await store.finish_attempt(conn, third, "busy", now=later)).status is (
        LeadStatus.EXHAUSTED)  # fmt: skip
    lead = await conn.fetchrow("SELECT * FROM leads WHERE id = $1", a)
    assert (lead["status"], lead["attempts"], lead["outcome_counts"]) == (
        "exhausted", 3, {"busy": 3})  # fmt: skip
    assert lead["next_attempt_at"] is None
    row = await conn.fetchrow("SELECT * FROM attempts WHERE id = $1", first)
    assert (row["call_id"], row["outcome"], row["hangup_cause"], row["node"]) == (
        call, "busy", 17, "n1")  # fmt: skip

    # no_answer uses the default rule (1 h); connected finishes; dnc_requested blocks
    nb = await store.start_attempt(conn, b, now=NOW)
    assert (await store.finish_attempt(conn, nb, "no_answer", now=NOW)).next_attempt_at == (
        NOW + timedelta(hours=1))  # fmt: skip
    nc = await store.start_attempt(conn, c, now=NOW, operator_id=None)
    await store.finish_attempt(conn, nc, "answered", now=NOW, talk_s=95, recording="rec-1",
                               disposition="sale")  # fmt: skip
    nd = await store.start_attempt(conn, d, now=NOW)
    await store.finish_attempt(conn, nd, "dnc_requested", now=NOW)
    statuses = dict(await conn.fetch("SELECT key, status FROM leads"))
    assert statuses == {"L0000": "exhausted", "L0001": "pending", "L0002": "done",
                        "L0003": "dnc"}  # fmt: skip
    [check] = await store.check_dnc_numbers(conn, ["+49301000003"], NOW, tenants=["default"])
    assert check.verdict == "blocked" and check.reason == "requested during a call"
    await store.set_disposition(conn, nb, "left message")
    assert await conn.fetchval("SELECT disposition FROM attempts WHERE id = $1", nb) == (
        "left message")  # fmt: skip

    with pytest.raises(Conflict, match="already ended"):
        await store.finish_attempt(conn, nc, "busy", now=NOW)
    with pytest.raises(Conflict, match="done"):
        await store.start_attempt(conn, c, now=NOW)
    with pytest.raises(InvalidInput, match="unknown outcome"):
        await store.finish_attempt(conn, nb, "exploded", now=NOW)


async def test_callback_at_and_campaign_total_cap(db_pool: asyncpg.Pool) -> None:
    async with db_pool.acquire() as conn:
        await store.sync_campaigns(conn, settings(max_attempts=2))
        await _import(conn, 1)
        lead = await _lead_id(conn, "L0000")
        at = NOW + timedelta(days=1)
        one = await store.start_attempt(conn, lead, now=NOW)
        decision = await store.finish_attempt(conn, one, "callback", now=NOW, callback_at=at)
        assert decision.next_attempt_at == at
        two = await store.start_attempt(conn, lead, now=at)
        assert (await store.finish_attempt(conn, two, "no_answer", now=at)).status is (
            LeadStatus.EXHAUSTED)  # 2 attempts reach the campaign's cap  # fmt: skip


async def test_stale_claims_are_released(conn: Any) -> None:
    await _import(conn, 2)
    campaign = await store.get_campaign(conn, "spring")
    [x, y] = await store.due_leads(conn, campaign.id, NOW, 2, node="dead")
    attempt = await store.start_attempt(conn, x.id, now=NOW, node="dead")
    released = await store.release_stale_claims(
        conn, claimed_before=NOW + timedelta(minutes=10), now=NOW + timedelta(minutes=10),
        node="dead")  # fmt: skip
    assert released == 2
    assert await conn.fetchval("SELECT count(*) FROM leads WHERE status = 'pending'") == 2
    row = await conn.fetchrow("SELECT outcome, ended_at FROM attempts WHERE id = $1", attempt)
    assert row["outcome"] == "failed" and row["ended_at"] is not None
    assert await conn.fetchval("SELECT attempts FROM leads WHERE id = $1", y.id) == 0


async def test_campaign_stats(conn: Any) -> None:
    await _import(conn, 5)
    ids = [await _lead_id(conn, f"L000{i}") for i in range(5)]
    outcomes = ["connected", "abandoned", "busy", "invalid_number"]
    for lead, outcome in zip(ids, outcomes, strict=False):
        attempt = await store.start_attempt(conn, lead, now=NOW)
        await store.finish_attempt(conn, attempt, outcome, now=NOW)
    await store.start_attempt(conn, ids[4], now=NOW)  # still ringing
    stats = await store.campaign_stats(conn, "spring")
    assert stats.as_dict() | {"by_status": None} == {
        "campaign": "spring", "state": "created", "leads": 5, "by_status": None,
        "pending": 3, "done": 1, "failed": 1, "attempts": 5, "attempts_live": 1,
        "answered": 2, "abandoned": 1, "answer_rate": 0.5, "abandon_rate": 0.5,
        "by_outcome": {"abandoned": 1, "busy": 1, "connected": 1, "invalid_number": 1},
        "avg_wait_s": None, "avg_talk_s": None,
        # no attempt carries its answer time here: the brake's window sees nothing
        "window_abandon_rate": None, "day_abandon_rate": None,
    }  # fmt: skip
    assert stats.by_status["in_progress"] == 1 and stats.by_status["invalid"] == 1


def test_claimed_lead_is_a_dial_candidate() -> None:
    lead = store.ClaimedLead(1, 1, "k", "+49301234567", "Europe/Berlin", "", 0, NOW, 0)
    assert lead.status is LeadStatus.PENDING
    assert lead.due_at.tzinfo is UTC
