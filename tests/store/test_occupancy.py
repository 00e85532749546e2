"""Occupancy from operator_state_log against a real PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import asyncpg

from callrouter.store.occupancy import occupancy

T0 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


async def test_occupancy_counts_talk_wrapup_and_outbound_over_logged_in_time(
    db_pool: asyncpg.Pool,
) -> None:
    await db_pool.execute("INSERT INTO operators (id, endpoint) VALUES ('anna', 'PJSIP/101')")
    # 08:00 available, 08:10 on a call, 08:40 wrap-up, 08:45 available,
    # 09:00 paused for outbound, 09:30 paused for lunch, 10:00 logged out.
    steps = [
        (0, "available", None), (10, "on_call", None), (40, "wrapup", None),
        (45, "available", None), (60, "paused", "outbound"), (90, "paused", "lunch"),
        (120, "logged_out", None),
    ]  # fmt: skip
    await db_pool.executemany(
        "INSERT INTO operator_state_log (operator_id, state, reason, at)"
        " VALUES ('anna', $1, $2, $3)",
        [(state, reason, T0 + timedelta(minutes=m)) for m, state, reason in steps],
    )
    async with db_pool.acquire() as conn:
        whole = await occupancy(conn, ["anna"], since=T0, until=T0 + timedelta(hours=3))
        # busy: 30 call + 5 wrap-up + 30 outbound = 65 of 120 logged-in minutes
        assert whole is not None and abs(whole - 65 / 120) < 1e-9
        # From 08:30: the call already running counts from 08:30 (10 + 5 + 30 of 90).
        later = await occupancy(
            conn, ["anna"], since=T0 + timedelta(minutes=30), until=T0 + timedelta(hours=3)
        )
        assert later is not None and abs(later - 45 / 90) < 1e-9
        assert await occupancy(conn, ["nobody"], since=T0, until=T0 + timedelta(hours=1)) is None
