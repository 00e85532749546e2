"""``calls``, ``queues`` and ``operators`` commands over a real database."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg

from tests.cli.test_cli import REPO, callrouter

T0 = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=30)
NASTY = "Robert'); DROP TABLE calls;-- \"|x\n"


async def seed(dsn: str) -> uuid.UUID:
    conn = await asyncpg.connect(dsn)
    try:
        call_id = uuid.uuid4()
        await conn.execute(
            "INSERT INTO calls (id, direction, channel_id, caller_number, caller_name, queue_name,"
            " created_at, queued_at, answered_at, ended_at, wait_s, talk_s, outcome)"
            " VALUES ($1,'inbound','1795.1',$2,$3,'support',$4,$4,$5,$6,12,60,'answered')",
            call_id,
            "+4930123",
            NASTY,
            T0,
            T0 + timedelta(seconds=12),
            T0 + timedelta(seconds=72),
        )
        await conn.execute(
            "INSERT INTO call_events (call_id, at, event, queue_name, operator_id, data) VALUES"
            " ($1, $2, 'ENTERQUEUE', 'support', NULL, $3::jsonb),"
            " ($1, $4, 'CONNECT', 'support', 'anna', $5::jsonb)",
            call_id,
            T0,
            json.dumps({"url": "", "caller_id": NASTY, "position": 1}),
            T0 + timedelta(seconds=12),
            json.dumps({"holdtime": 12, "bridged_channel": "1795.2", "ringtime": 3}),
        )
        return call_id
    finally:
        await conn.close()


async def test_calls_list_show_export(db_dsn: str) -> None:
    call_id = await seed(db_dsn)
    env = {"CALLROUTER_DSN": db_dsn}
    listed = callrouter("calls", "list", "--json", env=env)
    assert listed.returncode == 0, listed.stderr
    [row] = json.loads(listed.stdout)
    assert row["id"] == str(call_id)
    assert row["caller_name"] == NASTY
    shown = callrouter("calls", "show", str(call_id)[:8], "--json", env=env)
    assert shown.returncode == 0, shown.stderr
    assert [e["event"] for e in json.loads(shown.stdout)["events"]] == ["ENTERQUEUE", "CONNECT"]
    missing = callrouter("calls", "show", "ffffffff", env=env)
    assert missing.returncode == 5
    exported = callrouter("calls", "export", "--format", "queue_log", env=env)
    assert exported.returncode == 0, exported.stderr
    lines = exported.stdout.splitlines()
    assert len(lines) == 2
    epoch = int(T0.timestamp())
    # The caller id's "|" and newline are neutralised so the columns stay intact.
    assert lines[0].split("|")[:5] == [str(epoch), str(call_id), "support", "NONE", "ENTERQUEUE"]
    assert len(lines[0].split("|")) == 8
    assert lines[1] == f"{epoch + 12}|{call_id}|support|anna|CONNECT|12|1795.2|3"


async def test_queues_status_json(db_dsn: str) -> None:
    await seed(db_dsn)
    result = callrouter(
        "--config",
        str(REPO / "callrouter.yml"),
        "queues",
        "status",
        "--json",
        env={"CALLROUTER_DSN": db_dsn},
    )
    assert result.returncode == 0, result.stderr
    support = json.loads(result.stdout)["support"]
    assert support["today"]["offered"] == 1
    assert support["today"]["service_level"] == 1.0
    assert support["today"]["avg_speed_of_answer_s"] == 12.0


async def test_operators_list_and_queued_request(db_dsn: str, tmp_path: Path) -> None:
    env = {"CALLROUTER_DSN": db_dsn}
    config = ["--config", str(REPO / "callrouter.yml")]
    listed = callrouter(*config, "operators", "list", "--json", env=env)
    assert listed.returncode == 0, listed.stderr
    by_id = {r["id"]: r for r in json.loads(listed.stdout)}
    assert by_id["dana"]["queues"] == {"specialists": 0, "support": 5}
    assert by_id["anna"]["state"] == "available"
    paused = callrouter(*config, "operators", "pause", "anna", "--reason", "lunch", env=env)
    assert paused.returncode == 0, paused.stderr
    assert "queued" in paused.stdout
    unknown = callrouter(*config, "operators", "login", "nobody", env=env)
    assert unknown.returncode == 5
    assert "no operator 'nobody'" in unknown.stderr
    conn = await asyncpg.connect(db_dsn)
    try:
        row = await conn.fetchrow("SELECT operator_id, action, reason FROM operator_requests")
        assert tuple(row) == ("anna", "pause", "lunch")
    finally:
        await conn.close()
