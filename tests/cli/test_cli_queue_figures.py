"""``queues status`` figures: the service-level formula, AHT, the target, the center's day."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import asyncpg

from tests.cli.test_cli import callrouter

# A zone far from UTC: "today" must be the call center's day, not UTC's.
ZONE = "Pacific/Kiritimati"  # UTC+14

CONFIG = f"""
queues:
  support: {{service_level_s: 20, service_level_target: 0.9, wrapup_s: 10}}
reports: {{timezone: {ZONE}}}
"""

# (outcome, wait_s, talk_s): 2 answered in time, 1 late, 1 abandoned after 5 s (a short
# abandon, excluded), 1 abandoned after 60 s (counted).
CALLS = [
    ("answered", 5, 100),
    ("answered", 15, 200),
    ("answered", 40, 300),
    ("abandoned", 5, None),
    ("abandoned", 60, None),
]


async def _seed(dsn: str, day_start: datetime) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        for outcome, wait, talk in CALLS:
            created = day_start + timedelta(minutes=1)
            await conn.execute(
                "INSERT INTO calls (id, direction, queue_name, created_at, ended_at, wait_s,"
                " talk_s, outcome) VALUES ($1, 'inbound', 'support', $2, $2, $3, $4, $5)",
                uuid.uuid4(), created, wait, talk, outcome,
            )  # fmt: skip
        # One customer of a campaign dialled into the queue, connected.
        await conn.execute("INSERT INTO queues (name) VALUES ('support') ON CONFLICT DO NOTHING")
        campaign = await conn.fetchval(
            "INSERT INTO campaigns (name, mode, queue_name) VALUES ('spring', 'progressive',"
            " 'support') RETURNING id"
        )
        lead = await conn.fetchval(
            "INSERT INTO leads (campaign_id, key, phone, timezone) VALUES ($1, 'k', '+15550001',"
            " 'UTC') RETURNING id", campaign,
        )  # fmt: skip
        await conn.execute(
            "INSERT INTO attempts (campaign_id, lead_id, started_at, answered_at, ended_at,"
            " outcome, talk_s) VALUES ($1, $2, $3, $3, $3, 'connected', 30)",
            campaign, lead, day_start + timedelta(minutes=2),
        )  # fmt: skip
        # Yesterday in the center's zone (though maybe "today" in UTC): not counted.
        await conn.execute(
            "INSERT INTO calls (id, direction, queue_name, created_at, ended_at, wait_s,"
            " outcome) VALUES ($1, 'inbound', 'support', $2, $2, 1, 'answered')",
            uuid.uuid4(), day_start - timedelta(minutes=1),
        )  # fmt: skip
    finally:
        await conn.close()


async def test_queue_figures_as_reporting_tools_count_them(db_dsn: str, tmp_path: Path) -> None:
    now = datetime.now(UTC)
    day_start = now.astimezone(ZoneInfo(ZONE)).replace(hour=0, minute=0, second=0, microsecond=0)
    await _seed(db_dsn, day_start)
    config = tmp_path / "callrouter.yml"
    config.write_text(CONFIG)
    result = callrouter(
        "--config", str(config), "queues", "status", "--json", env={"CALLROUTER_DSN": db_dsn}
    )
    assert result.returncode == 0, result.stderr
    today = json.loads(result.stdout)["support"]["today"]
    assert today["offered"] == 5
    # 2 answered within 20 s / (5 offered - 1 abandoned within 20 s)
    assert today["service_level"] == 0.5
    assert today["service_level_target"] == 0.9 and today["service_level_at_risk"] is True
    assert today["avg_handle_s"] == 210.0  # mean talk 200 + wrap-up 10
    assert today["abandon_rate"] == 0.4
    outbound = json.loads(result.stdout)["support"]["outbound_today"]
    assert (outbound["dialled"], outbound["connected"]) == (1, 1)
