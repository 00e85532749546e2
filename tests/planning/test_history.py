"""The arrival profile measured from the call log, on a real PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import asyncpg
import pytest

from callrouter.errors import InvalidInput
from callrouter.planning import profile_from_history

MONDAY = date(2024, 1, 8)


async def _call(conn: asyncpg.Connection, at: datetime, outcome: str, wait_s: float,
                talk_s: float | None) -> None:  # fmt: skip
    await conn.execute(
        "INSERT INTO calls (id, direction, queue_name, created_at, queued_at, ended_at,"
        " wait_s, talk_s, outcome) VALUES ($1, 'inbound', 'support', $2, $2, $3, $4, $5, $6)",
        uuid.uuid4(), at, at + timedelta(seconds=wait_s + (talk_s or 0)), wait_s, talk_s, outcome,
    )  # fmt: skip


async def seed_two_days(conn: asyncpg.Connection) -> None:
    """Monday and Tuesday: 09:00-09:30 has 25 answered (100 s talk after 10 s) and 5
    abandoned (after 40 s) a day; 10:00-10:30 has 3 answered (200 s, no wait) a day.
    An outbound call and a call of Wednesday are not counted."""
    for day in range(2):
        base = datetime.combine(MONDAY + timedelta(days=day), datetime.min.time(), UTC)
        for k in range(25):
            await _call(conn, base + timedelta(hours=9, seconds=60 * k), "answered", 10, 100)
        for k in range(5):
            await _call(
                conn, base + timedelta(hours=9, minutes=1, seconds=60 * k), "abandoned", 40, None
            )
        for k in range(3):
            await _call(conn, base + timedelta(hours=10, seconds=k), "answered", 0, 200)
    wednesday = datetime.combine(MONDAY + timedelta(days=2), datetime.min.time(), UTC)
    await _call(conn, wednesday + timedelta(hours=9), "answered", 5, 50)
    await conn.execute(
        "INSERT INTO calls (id, direction, queue_name, created_at, ended_at, outcome)"
        " VALUES ($1, 'outbound', 'support', $2, $2, 'busy')",
        uuid.uuid4(), datetime.combine(MONDAY, datetime.min.time(), UTC) + timedelta(hours=9),
    )  # fmt: skip


async def test_profile_averages_days_and_estimates_handle_time_and_patience(
    db_pool: asyncpg.Pool,
) -> None:
    async with db_pool.acquire() as conn:
        await seed_two_days(conn)
        profile = await profile_from_history(
            conn, since=MONDAY, until=MONDAY + timedelta(days=2), wrapup_s={"support": 15}
        )
    assert [i.start_s for i in profile.intervals] == [9 * 3600, 10 * 3600]
    nine, ten = (i.load("support") for i in profile.intervals)
    assert nine is not None and ten is not None
    assert (nine.calls, ten.calls) == (30, 3)
    # 50 answered calls at 09:00: their own talk time, plus the configured wrap-up.
    assert nine.aht_s == pytest.approx(100 + 15)
    # Only 6 answered at 10:00 (< 20): the queue's figure over the range.
    assert ten.aht_s == pytest.approx((50 * 100 + 6 * 200) / 56 + 15)
    # 10 abandons in all: exponential MLE, total waited / abandoned, queue-wide.
    assert nine.patience_s == pytest.approx((50 * 10 + 10 * 40) / 10)


async def test_profile_counts_only_the_chosen_weekdays(db_pool: asyncpg.Pool) -> None:
    async with db_pool.acquire() as conn:
        await seed_two_days(conn)
        profile = await profile_from_history(
            conn, since=MONDAY, until=MONDAY + timedelta(days=7), weekdays=[1]
        )
    load = profile.intervals[0].load("support")
    assert load is not None and load.calls == 30  # Mondays only: one Monday in the week


async def test_an_empty_history_is_a_clear_error(db_pool: asyncpg.Pool) -> None:
    async with db_pool.acquire() as conn:
        with pytest.raises(InvalidInput, match="no inbound call"):
            await profile_from_history(conn, since=MONDAY, until=MONDAY + timedelta(days=1))
        with pytest.raises(InvalidInput, match="time zone"):
            await profile_from_history(
                conn, since=MONDAY, until=MONDAY + timedelta(days=1), timezone="Mars/Olympus"
            )
