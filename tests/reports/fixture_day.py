"""A hand-made day of a call center in Europe/Berlin: Sunday 2026-10-25, when clocks go
back from 03:00 CEST to 02:00 CET, so the local hour 02:00 happens twice and the day
lasts 25 hours (2026-10-24 22:00 UTC to 2026-10-25 23:00 UTC).

Every figure the tests expect is worked out by hand in the comments below, from these
rows only. Times are UTC; the local hour is given beside each.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import asyncpg

ZONE = "Europe/Berlin"
DAY = "2026-10-25"
SPRING_DAY = "2026-03-29"  # clocks go forward: 02:00 CET -> 03:00 CEST, 23 hours
NOW = datetime(2026, 12, 1, tzinfo=UTC)  # the reports' clock: long after both days

CONFIG_QUEUES = {"support": {"service_level_s": 20, "service_level_target": 0.8, "wrapup_s": 10}}


def utc(hour: int, minute: int = 0, second: int = 0, *, day: int = 25, month: int = 10) -> datetime:
    return datetime(2026, month, day, hour, minute, second, tzinfo=UTC)


# (created, outcome, wait_s, talk_s, operator, direction)
# First 02:00 (CEST, 00:00-01:00 UTC): A.
# Second 02:00 (CET, 01:00-02:00 UTC): B, C, D, E, H; G is outbound (not a queue call).
CALLS = {
    "A": (utc(0, 30), "answered", 5, 100, "anna", "inbound"),
    "B": (utc(1, 10), "answered", 30, 200, "anna", "inbound"),  # answered late (> 20 s)
    "C": (utc(1, 20), "abandoned", 10, None, None, "inbound"),  # short abandon (<= 20 s)
    "D": (utc(1, 40), "abandoned", 45, None, None, "inbound"),
    "E": (utc(1, 50), "callback", 25, None, None, "inbound"),
    "H": (utc(1, 30), "answered", 20, 60, "ben", "inbound"),  # exactly at the threshold
    "G": (utc(1, 0), "answered", 0, 30, None, "outbound"),
    "F": (utc(21, 59, day=24), "answered", 1, 10, None, "inbound"),  # 23:59 the day before
}

# operator -> [(at, state, reason)]; each state lasts until the next row.
STATES = {
    "anna": [
        (utc(21, 0, day=24), "available", None),  # logged in before the day began
        (utc(0, 30, 0), "offered", None),  # A rings 5 s
        (utc(0, 30, 5), "on_call", None),  # talks 100 s
        (utc(0, 31, 45), "wrapup", None),  # wraps up 12 s
        (utc(0, 31, 57), "available", None),
        (utc(0, 50), "paused", "lunch"),  # 10 min in the first 02:00, 5 in the second
        (utc(1, 5), "available", None),
        (utc(1, 10, 25), "offered", None),  # B rings 5 s
        (utc(1, 10, 30), "on_call", None),  # talks 200 s
        (utc(1, 13, 50), "wrapup", None),  # wraps up 8 s
        (utc(1, 13, 58), "available", None),
        (utc(1, 30), "logged_out", None),
    ],
    "ben": [
        (utc(1, 0), "available", None),
        (utc(1, 30, 15), "offered", None),  # H rings 5 s
        (utc(1, 30, 20), "on_call", None),  # talks 60 s, no wrap-up
        (utc(1, 31, 20), "available", None),
        (utc(1, 40), "paused", "outbound"),  # outbound work: busy for occupancy
        (utc(1, 50), "logged_out", None),
    ],
    # Logged in across the spring-forward day: a 23-hour local day.
    "cleo": [
        (utc(20, 0, day=28, month=3), "available", None),
        (utc(0, 0, day=31, month=3), "logged_out", None),
    ],
}

# Campaign "spring" dials into support; all its attempts start in the second 02:00.
ATTEMPTS = [
    # (outcome, answered)
    ("connected", True),
    ("abandoned", True),
    ("machine", True),  # answered by a machine: not a contact
    ("busy", False),
    ("no_answer", False),
    (None, False),  # still ringing: in_progress
]


async def seed(dsn: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        # ON CONFLICT: a running service may have synced its config first.
        await conn.execute("INSERT INTO queues (name) VALUES ('support') ON CONFLICT DO NOTHING")
        for op, endpoint in (("anna", "PJSIP/101"), ("ben", "PJSIP/102"), ("cleo", "PJSIP/103")):
            await conn.execute(
                "INSERT INTO operators (id, endpoint) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                op, endpoint,
            )  # fmt: skip
        await conn.execute(
            "INSERT INTO queue_members (queue_name, operator_id)"
            " VALUES ('support', 'anna'), ('support', 'ben') ON CONFLICT DO NOTHING"
        )
        for created, outcome, wait, talk, operator, direction in CALLS.values():
            answered = created + timedelta(seconds=wait) if outcome == "answered" else None
            ended = (answered or created) + timedelta(seconds=talk or wait)
            await conn.execute(
                "INSERT INTO calls (id, direction, queue_name, operator_id, created_at,"
                " queued_at, answered_at, ended_at, wait_s, talk_s, outcome)"
                " VALUES ($1, $2, 'support', $3, $4, $4, $5, $6, $7, $8, $9)",
                uuid.uuid4(), direction, operator, created, answered, ended, wait, talk, outcome,
            )  # fmt: skip
        for op, rows in STATES.items():
            old = "logged_out"
            for at, state, reason in rows:
                await conn.execute(
                    "INSERT INTO operator_state_log (operator_id, old_state, state, reason, at)"
                    " VALUES ($1, $2, $3, $4, $5)",
                    op, old, state, reason, at,
                )  # fmt: skip
                old = state
        campaign = await conn.fetchval(
            "INSERT INTO campaigns (name, mode, queue_name) VALUES ('spring', 'predictive',"
            " 'support') RETURNING id"
        )
        lead = await conn.fetchval(
            "INSERT INTO leads (campaign_id, key, phone, timezone)"
            " VALUES ($1, 'k', '+4930123', $2) RETURNING id",
            campaign, ZONE,
        )  # fmt: skip
        for i, (outcome, answered) in enumerate(ATTEMPTS):
            started = utc(1, 15 + i)
            await conn.execute(
                "INSERT INTO attempts (campaign_id, lead_id, started_at, answered_at, ended_at,"
                " outcome) VALUES ($1, $2, $3, $4, $5, $6)",
                campaign, lead, started, started + timedelta(seconds=5) if answered else None,
                None if outcome is None else started + timedelta(seconds=60), outcome,
            )  # fmt: skip
    finally:
        await conn.close()
