"""Interval reports against the hand-computed fixture day (tests/reports/fixture_day.py),
in the real PostgreSQL: DST days cut by their real length, every figure by hand."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime

import asyncpg
import pytest

from callrouter.errors import InvalidInput
from callrouter.store.reports import (
    Frame,
    Interval,
    ReportPeriod,
    campaign_report,
    operator_report,
    parse_bound,
    queue_report,
    resolve_frame,
)
from tests.reports.fixture_day import DAY, NOW, SPRING_DAY, ZONE, seed


@pytest.fixture
async def conn(db_dsn: str) -> AsyncIterator[asyncpg.Connection]:
    await seed(db_dsn)
    connection = await asyncpg.connect(db_dsn)
    try:
        yield connection
    finally:
        await connection.close()


async def frame_of(conn: asyncpg.Connection, first: str, last: str, interval: Interval) -> Frame:
    period = ReportPeriod(
        start=parse_bound(first, end=False),
        end=parse_bound(last, end=True),
        timezone=ZONE,
        interval=interval,
    )
    return await resolve_frame(conn, period, now=NOW)


def label(start: datetime) -> str:
    return start.isoformat(timespec="minutes")


async def queues(conn: asyncpg.Connection, interval: Interval, day: str = DAY) -> list:
    frame = await frame_of(conn, day, day, interval)
    return await queue_report(
        conn, frame, service_levels={"support": 20}, targets={"support": 0.8},
        wrapups={"support": 10}, queues=["support"],
    )  # fmt: skip


async def test_the_fall_back_day_has_25_hours_and_two_02_00s(conn: asyncpg.Connection) -> None:
    rows = await queues(conn, "1h")
    labels = [label(r.start) for r in rows]
    assert len(labels) == 25
    assert labels[:4] == [
        "2026-10-25T00:00+02:00",
        "2026-10-25T01:00+02:00",
        "2026-10-25T02:00+02:00",
        "2026-10-25T02:00+01:00",
    ]
    assert labels[-1] == "2026-10-25T23:00+01:00"
    quarter = await queues(conn, "15m")
    assert len(quarter) == 100


async def test_the_spring_forward_day_has_23_hours_and_no_02_00(
    conn: asyncpg.Connection,
) -> None:
    rows = await queues(conn, "15m", SPRING_DAY)
    labels = [label(r.start) for r in rows]
    assert len(labels) == 92
    assert "2026-03-29T01:45+01:00" in labels
    assert labels[labels.index("2026-03-29T01:45+01:00") + 1] == "2026-03-29T03:00+02:00"
    assert not any("T02:" in x for x in labels)


async def test_queue_figures_by_hour_on_the_fall_back_day(conn: asyncpg.Connection) -> None:
    rows = {label(r.start): r for r in await queues(conn, "1h")}
    first = rows["2026-10-25T02:00+02:00"]  # A alone: answered in 5 s, talked 100, wrap-up 12
    assert (first.offered, first.answered, first.abandoned) == (1, 1, 0)
    assert first.service_level == 1.0
    assert first.avg_speed_of_answer_s == 5
    assert first.avg_wrapup_s == 12
    assert first.avg_handle_s == 112
    second = rows["2026-10-25T02:00+01:00"]
    # B (answered after 30 s), H (answered after 20 s: within), C (abandoned after 10 s:
    # short), D (abandoned after 45 s), E (callback after 25 s); G is outbound.
    assert (second.offered, second.answered, second.abandoned) == (5, 2, 2)
    assert second.short_abandoned == 1
    assert second.callbacks == 1
    # Service level: answered within 20 s (H) / (offered 5 - short abandons 1) = 1/4.
    assert second.service_level == 0.25
    assert second.abandon_rate == 0.4
    assert second.avg_speed_of_answer_s == 25  # (30 + 20) / 2
    assert second.avg_talk_s == 130  # (200 + 60) / 2
    assert second.avg_wrapup_s == 8  # B's 8 s; ben logged no wrap-up after H
    assert second.avg_handle_s == 138
    assert second.longest_wait_s == 45
    quiet = rows["2026-10-25T05:00+01:00"]
    assert (quiet.offered, quiet.service_level, quiet.avg_handle_s) == (0, None, None)


async def test_queue_figures_for_the_whole_day(conn: asyncpg.Connection) -> None:
    [day] = await queues(conn, "1d")
    assert label(day.start) == "2026-10-25T00:00+02:00"
    # F (23:59 the day before, local) is not in it.
    assert (day.offered, day.answered, day.abandoned, day.short_abandoned) == (6, 3, 2, 1)
    assert day.service_level == 0.4  # A and H within 20 s / (6 - 1)
    assert day.avg_wrapup_s == 10  # (12 + 8) / 2
    assert day.avg_handle_s == 130  # talk (100 + 200 + 60) / 3 = 120, plus 10


async def test_operator_time_by_hour(conn: asyncpg.Connection) -> None:
    frame = await frame_of(conn, DAY, DAY, "1h")
    rows = {(label(r.start), r.operator): r for r in await operator_report(conn, frame)}
    anna = rows[("2026-10-25T02:00+02:00", "anna")]
    assert anna.logged_in_s == 3600
    assert (anna.ringing_s, anna.talk_s, anna.wrapup_s) == (5, 100, 12)
    assert anna.pause_by_reason == {"lunch": 600}
    assert anna.available_s == 3600 - 5 - 100 - 12 - 600
    assert anna.occupancy == pytest.approx(117 / 3600)
    assert anna.calls_handled == 1
    anna2 = rows[("2026-10-25T02:00+01:00", "anna")]  # logged out at 01:30 UTC
    assert anna2.logged_in_s == 1800
    assert (anna2.ringing_s, anna2.talk_s, anna2.wrapup_s, anna2.paused_s) == (5, 200, 8, 300)
    assert anna2.occupancy == pytest.approx(213 / 1800)
    ben = rows[("2026-10-25T02:00+01:00", "ben")]
    assert ben.logged_in_s == 3000
    assert ben.pause_by_reason == {"outbound": 600}
    assert ben.occupancy == pytest.approx((5 + 60 + 600) / 3000)  # outbound work is busy
    assert ben.calls_handled == 1
    # Before the day's first call anna was already logged in: the hour from midnight.
    assert rows[("2026-10-25T00:00+02:00", "anna")].available_s == 3600
    assert rows[("2026-10-25T00:00+02:00", "ben")].logged_in_s == 0


async def test_operator_days_are_local_days(conn: asyncpg.Connection) -> None:
    frame = await frame_of(conn, "2026-03-28", "2026-03-30", "1d")
    rows = {(label(r.start), r.operator): r for r in await operator_report(conn, frame)}
    # cleo: logged in from 2026-03-28 20:00 UTC (21:00 CET) to 2026-03-31.
    assert rows[("2026-03-28T00:00+01:00", "cleo")].logged_in_s == 3 * 3600
    assert rows[("2026-03-29T00:00+01:00", "cleo")].logged_in_s == 23 * 3600
    assert rows[("2026-03-30T00:00+02:00", "cleo")].logged_in_s == 24 * 3600
    frame = await frame_of(conn, DAY, DAY, "1d")
    [anna] = [r for r in await operator_report(conn, frame) if r.operator == "anna"]
    # 22:00 UTC (midnight local) to 01:30 UTC: 3.5 hours.
    assert anna.logged_in_s == 12_600
    assert anna.pause_by_reason == {"lunch": 900}
    assert anna.occupancy == pytest.approx((10 + 300 + 20) / 12_600)
    assert anna.calls_handled == 2


async def test_campaign_figures(conn: asyncpg.Connection) -> None:
    frame = await frame_of(conn, DAY, DAY, "1h")
    rows = {label(r.start): r for r in await campaign_report(conn, frame)}
    spring = rows["2026-10-25T02:00+01:00"]
    assert spring.attempts == 6
    assert spring.outcomes == {
        "abandoned": 1, "busy": 1, "connected": 1, "in_progress": 1, "machine": 1,
        "no_answer": 1,
    }  # fmt: skip
    assert spring.contacts == 2  # connected and abandoned; the machine is no contact
    assert spring.contact_rate == pytest.approx(2 / 6)
    assert spring.abandon_rate == 0.5
    # anna 30 min + ben 50 min logged in that hour: 80 min = 4/3 operator-hours.
    assert spring.operator_hours == pytest.approx(4 / 3, abs=1e-4)
    assert spring.connects_per_operator_hour == pytest.approx(0.75, abs=1e-4)
    assert rows["2026-10-25T02:00+02:00"].attempts == 0


async def test_a_period_is_checked() -> None:
    with pytest.raises(InvalidInput, match="ends"):
        ReportPeriod(
            start=parse_bound("2026-03-02", end=False),
            end=parse_bound("2026-03-01", end=True),
            timezone=ZONE,
            interval="1h",
        )
    with pytest.raises(InvalidInput, match="more than"):
        ReportPeriod(
            start=parse_bound("2020-01-01", end=False),
            end=parse_bound("2026-01-01", end=True),
            timezone=ZONE,
            interval="15m",
        )
    with pytest.raises(InvalidInput, match="offset"):
        parse_bound("2026-03-01T08:00+01:00", end=False)
    with pytest.raises(InvalidInput, match="neither"):
        parse_bound("yesterday", end=False)
    assert parse_bound("2026-03-01T08:30", end=True) == datetime(2026, 3, 1, 8, 30)


async def test_aht_takes_the_configured_wrap_up_when_none_was_logged(
    conn: asyncpg.Connection,
) -> None:
    await conn.execute("DELETE FROM operator_state_log WHERE state = 'wrapup'")
    [day] = await queues(conn, "1d")
    assert day.avg_wrapup_s is None
    assert day.avg_handle_s == 130  # talk 120 + the queue's wrapup_s 10
