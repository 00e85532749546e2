"""Dispositions: the pure effect of a wrap-up code, and what the store does with it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest
from hypothesis import given
from hypothesis import strategies as st

from callrouter.dialer import (
    DispositionEffect,
    DispositionRule,
    LeadChange,
    LeadStatus,
    apply_disposition,
    store,
)
from callrouter.errors import InvalidInput

from .test_store import NOW, csv, settings

RULES = {
    "sale": DispositionRule(DispositionEffect.DONE),
    "later": DispositionRule(DispositionEffect.RETRY, timedelta(minutes=10)),
    "call-back": DispositionRule(DispositionEffect.CALLBACK, timedelta(hours=2)),
    "never": DispositionRule(DispositionEffect.DNC),
    "note-only": DispositionRule(DispositionEffect.NONE),
}
CONFIG = {
    "sale": {"effect": "done"},
    "later": {"effect": "retry", "after_s": 600},
    "call-back": {"effect": "callback", "after_s": 7200},
    "never": {"effect": "dnc"},
}


def test_each_effect() -> None:
    assert apply_disposition(RULES, "sale", NOW) == store_change(LeadStatus.DONE, None)
    assert apply_disposition(RULES, "never", NOW) == store_change(LeadStatus.DNC, None)
    later = apply_disposition(RULES, "later", NOW)
    assert later == store_change(LeadStatus.PENDING, NOW + timedelta(minutes=10))
    at = NOW + timedelta(days=1)
    assert apply_disposition(RULES, "call-back", NOW, callback_at=at) == store_change(
        LeadStatus.PENDING, at
    )
    assert apply_disposition(RULES, "call-back", NOW) == store_change(
        LeadStatus.PENDING, NOW + timedelta(hours=2)
    )
    assert apply_disposition(RULES, "note-only", NOW) is None
    assert apply_disposition({}, "anything goes", NOW) is None
    with pytest.raises(InvalidInput, match="unknown disposition"):
        apply_disposition(RULES, "typo", NOW)


def store_change(status: LeadStatus, at: datetime | None) -> LeadChange:
    return LeadChange(status, at)


@given(st.datetimes(timezones=st.just(UTC)), st.sampled_from(sorted(RULES)))
def test_a_lead_is_never_due_in_the_past(callback_at: datetime, code: str) -> None:
    change = apply_disposition(RULES, code, NOW, callback_at=callback_at)
    if change is not None and change.next_attempt_at is not None:
        assert change.next_attempt_at >= NOW
    if change is not None:
        assert (change.next_attempt_at is None) == (change.status is not LeadStatus.PENDING)


@pytest.fixture
async def conn(db_pool: asyncpg.Pool) -> Any:
    async with db_pool.acquire() as connection:
        await store.sync_campaigns(connection, settings(dispositions=CONFIG))
        await store.import_leads(
            connection, "spring", csv("key,phone\nA,+49 30 1000001\n"), now=NOW
        )
        yield connection


async def _attempt(conn: Any) -> int:
    lead_id = await conn.fetchval("SELECT id FROM leads")
    return await store.start_attempt(conn, lead_id, now=NOW, node="n1")


async def test_a_code_after_the_call_drives_the_lead_and_keeps_its_note(conn: Any) -> None:
    attempt = await _attempt(conn)
    await store.finish_attempt(conn, attempt, "connected", now=NOW)
    row = await store.set_disposition(conn, attempt, "later", note="busy in a meeting",
                                      now=NOW)  # fmt: skip
    assert (row["disposition"], row["note"]) == ("later", "busy in a meeting")
    lead = await conn.fetchrow("SELECT status, next_attempt_at FROM leads")
    assert (lead["status"], lead["next_attempt_at"]) == ("pending", NOW + timedelta(minutes=10))


async def test_a_code_during_the_call_has_the_last_word_when_it_ends(conn: Any) -> None:
    attempt = await _attempt(conn)
    await store.set_disposition(conn, attempt, "never", now=NOW)
    assert await conn.fetchval("SELECT status FROM leads") == "in_progress"
    decision = await store.finish_attempt(conn, attempt, "connected", now=NOW)
    assert decision.status is LeadStatus.DNC
    assert await conn.fetchval("SELECT status FROM leads") == "dnc"
    assert await conn.fetchval("SELECT count(*) FROM do_not_call") == 1


async def test_an_unknown_code_is_refused_and_changes_nothing(conn: Any) -> None:
    attempt = await _attempt(conn)
    with pytest.raises(InvalidInput, match="knows: call-back, later, never, sale"):
        await store.set_disposition(conn, attempt, "typo", now=NOW)
    assert await conn.fetchval("SELECT disposition FROM attempts") is None
