"""``calls list`` and ``recordings list`` in an 80-column terminal (COLUMNS=80): no id,
number or time is cut, and the id prefix shown is one ``calls show`` accepts."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg

from tests.cli.test_cli import callrouter

NOW = datetime.now(UTC).replace(microsecond=0)
ENV = {"COLUMNS": "80", "TZ": "UTC"}
CALLS = [  # caller, queue, operator, outcome, age, wait, talk
    ("+491701234567890", "customer-support-emea", "anna-maria-schmidt", "unreachable",
     timedelta(seconds=5), 1234.4, None),
    ("+12125550100", "sales", "bob", "answered", timedelta(days=3), 12.4, 3600.2),
    ("anonymous", "vip-escalations-weekend", None, "abandoned", timedelta(minutes=1), 95, None),
]  # fmt: skip


async def seed(dsn: str) -> list[uuid.UUID]:
    ids = []
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(
            "INSERT INTO operators (id, name, endpoint) VALUES"
            " ('anna-maria-schmidt', 'Anna', 'PJSIP/101'), ('bob', 'Bob', 'PJSIP/102')"
        )
        for caller, queue, operator, outcome, age, wait, talk in CALLS:
            call_id = uuid.uuid4()
            ids.append(call_id)
            created = NOW - age
            await conn.execute(
                "INSERT INTO calls (id, direction, caller_number, queue_name, operator_id,"
                " created_at, ended_at, wait_s, talk_s, outcome) VALUES ($1, 'inbound', $2, $3,"
                " $4, $5, $5, $6, $7, $8)",
                call_id, caller, queue, operator, created, wait, talk, outcome,
            )  # fmt: skip
            await conn.execute(
                "INSERT INTO recordings (call_id, name, format, state, started_at, duration_s)"
                " VALUES ($1, $2, 'wav', 'done', $3, $4)",
                call_id, f"callrouter-{call_id}", created, talk,
            )  # fmt: skip
    finally:
        await conn.close()
    return ids


def _time(age: timedelta) -> str:
    at = NOW - age
    return at.strftime("%H:%M:%S") if at.date() == NOW.date() else at.strftime("%Y-%m-%d")


def _check(stdout: str, ids: list[uuid.UUID]) -> None:
    lines = stdout.splitlines()
    assert max(len(line) for line in lines) <= 80, stdout
    assert "…" not in stdout, stdout
    for call_id, (caller, *_rest, age, _wait, _talk) in zip(ids, CALLS, strict=True):
        [line] = [line for line in lines if str(call_id)[:8] in line]
        assert re.search(rf"(^|\s){re.escape(caller)}(\s|$)", line), line
        assert f" {_time(age)} " in line, line


async def test_calls_list_at_80_columns(db_dsn: str) -> None:
    ids = await seed(db_dsn)
    env = {**ENV, "CALLROUTER_DSN": db_dsn}
    listed = callrouter("calls", "list", env=env)
    assert listed.returncode == 0, listed.stderr
    _check(listed.stdout, ids)
    for call_id, (*_, wait, talk) in zip(ids, CALLS, strict=True):
        [line] = [line for line in listed.stdout.splitlines() if str(call_id)[:8] in line]
        assert f" {round(wait)} " in line
        if talk is not None:
            assert f" {round(talk)} " in line
    prefix = str(ids[0])[:8]
    shown = callrouter("calls", "show", prefix, "--json", env=env)
    assert shown.returncode == 0, shown.stderr
    assert prefix in shown.stdout


async def test_recordings_list_at_80_columns(db_dsn: str) -> None:
    ids = await seed(db_dsn)
    env = {**ENV, "CALLROUTER_DSN": db_dsn}
    listed = callrouter("recordings", "list", env=env)
    assert listed.returncode == 0, listed.stderr
    _check(listed.stdout, ids)
