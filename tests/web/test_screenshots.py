"""The README's pictures: a busy afternoon on the wallboard and in an operator's panel,
taken in the real browser from the real service (history seeded in PostgreSQL, the live
part made by calls through the simulator), then checked for what they must show."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg

from callrouter.sim import SimControl, SimulatedAsterisk
from callrouter.store.directory import upsert_customer
from tests.calls.harness import eventually, running_service
from tests.web.conftest import OpenBrowser
from tests.web.test_live_pages import (
    SECRET,
    TOKEN,
    VIEWER,
    free_port,
    keep_for_readme,
    log_into_panel,
    settings_for,
)
from tests.web.test_live_pages import hash_secret as _hash

CALLER = "+4930555123"
SCRIPT = (
    "Good afternoon {name}, this is {operator} from Acme support.\n\n"
    "I can see your account {account}. How can I help you today?"
)


def afternoon_zone(now: datetime) -> str:
    """A fixed-offset zone where it is about 16:00 now, so the picture always shows a
    full working day whatever hour the test runs at."""
    offset = (16 - now.hour) % 24
    offset = offset - 24 if offset > 14 else offset
    # Etc/GMT-N is N hours *ahead* of UTC (POSIX signs).
    return "UTC" if offset == 0 else f"Etc/GMT{-offset:+d}"


def _operator(name: str, endpoint: str, queues: dict[str, int], **more: Any) -> dict[str, Any]:
    return {"name": name, "endpoint": endpoint, "queues": queues, "logged_in": True,
            "panel_secret_hash": _hash(SECRET, iterations=1000), **more}  # fmt: skip


def busy_settings(sim: SimulatedAsterisk, port: int, zone: str) -> Any:
    return settings_for(
        sim, port,
        queues={
            "support": {"join_empty": True, "wrapup_s": 5, "script": SCRIPT,
                        "service_level_s": 20, "service_level_target": 0.8},
            "sales": {"join_empty": True, "wrapup_s": 5, "service_level_s": 30,
                      "service_level_target": 0.8},
        },
        operators={
            "anna": _operator("Anna Schmidt", "PJSIP/101", {"support": 0, "sales": 1}),
            "boris": _operator("Boris Petrov", "PJSIP/102", {"support": 0}),
            "chen": _operator("Chen Wei", "PJSIP/103", {"sales": 0}),
            "dana": _operator("Dana Okafor", "PJSIP/104", {"support": 0}),
            "emil": _operator("Emil Larsen", "PJSIP/105", {"support": 0}, logged_in=False),
        },
        routes={"100": "support", "200": "sales"},
        campaigns={"renewals": {"mode": "preview", "queue": "sales", "caller_id": "+4930123456",
                                "abandon_cap": 0.03}},
        reports={"timezone": zone},
    )  # fmt: skip


async def seed_history(dsn: str, zone: str, now: datetime) -> None:
    """A day of finished calls from 08:00 local, a customer with past calls and a
    recording, and a running campaign with leads."""
    from zoneinfo import ZoneInfo

    rng = random.Random(14)
    local = now.astimezone(ZoneInfo(zone))
    slot = local.replace(hour=8, minute=0, second=0, microsecond=0)
    rows = []
    while slot + timedelta(minutes=15) <= local:
        busy = 1.0 + (slot.hour in (10, 11, 14, 15))
        for _ in range(int(rng.uniform(3, 8) * busy)):
            created = slot + timedelta(seconds=rng.uniform(0, 880))
            queue = "support" if rng.random() < 0.65 else "sales"
            answered = rng.random() < 0.9
            wait = rng.expovariate(1 / (14 if busy > 1 else 8))
            talk = rng.uniform(60, 420) if answered else None
            ended = created + timedelta(seconds=wait + (talk or 0))
            rows.append((uuid.uuid4(), created, queue, "answered" if answered else "abandoned",
                         wait, talk, min(ended, now)))  # fmt: skip
        slot += timedelta(minutes=15)
    conn = await asyncpg.connect(dsn)
    try:
        await conn.executemany(
            "INSERT INTO calls (id, direction, created_at, queued_at, queue_name, outcome,"
            " wait_s, talk_s, ended_at, caller_number) VALUES"
            " ($1, 'inbound', $2::timestamptz, $2::timestamptz, $3, $4, $5, $6,"
            " greatest($7::timestamptz, $2::timestamptz), '+4930999000')",
            rows,
        )
        await upsert_customer(
            conn, phone=CALLER, name="Erika Mustermann", tenant="default", tier="vip", priority=5,
            account="A-1001", notes="Renewal due in March; prefers afternoon calls",
        )  # fmt: skip
        for days, outcome, talk, disposition in (
            (2, "answered", 312, None),
            (9, "abandoned", None, None),
            (30, "answered", 95, None),
        ):
            call_id = uuid.uuid4()
            at = now - timedelta(days=days, hours=3)
            await conn.execute(
                "INSERT INTO calls (id, direction, created_at, queue_name, operator_id, outcome,"
                " wait_s, talk_s, ended_at, caller_number, disposition)"
                " VALUES ($1, 'inbound', $2::timestamptz, 'support', 'boris', $3, 12, $4,"
                " $2::timestamptz + interval '6 minutes', $5, $6)",
                call_id, at, outcome, talk, CALLER, disposition,
            )  # fmt: skip
            if talk:
                await conn.execute(
                    "INSERT INTO recordings (call_id, name, format, state, started_at, ended_at,"
                    " duration_s) VALUES ($1, $2, 'wav', 'done', $3, $3, $4)",
                    call_id, f"callrouter-{call_id}", at, talk,
                )  # fmt: skip
        campaign_id = await conn.fetchval(
            "UPDATE campaigns SET state = 'running' WHERE name = 'renewals' RETURNING id"
        )
        await conn.executemany(
            "INSERT INTO leads (campaign_id, key, phone, timezone, name) VALUES ($1, $2, $3,"
            " 'Europe/Berlin', $4)",
            [(campaign_id, f"L{i}", f"+49301000{i:03d}", f"Lead {i}") for i in range(742)],
        )
    finally:
        await conn.close()


async def test_screenshots_of_a_busy_afternoon(
    real_time_sim: SimulatedAsterisk,
    real_time_control: SimControl,
    db_dsn: str,
    open_browser: OpenBrowser,
    tmp_path: Path,
) -> None:
    control = real_time_control
    now = datetime.now(UTC)
    zone = afternoon_zone(now)
    await control.set_endpoint("PJSIP", "101", behavior="answer", answer_after=0.3)
    await control.set_endpoint("PJSIP", "103", behavior="answer", answer_after=60)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    async with running_service(busy_settings(real_time_sim, port, zone), db_dsn) as service:
        await seed_history(db_dsn, zone, now)
        assert service.parts is not None and service.parts.center is not None
        center = service.parts.center
        await center.operator_action("boris", "pause", "lunch")
        await center.operator_action("dana", "pause", "training")
        board = await open_browser()
        panel = await open_browser(width=1600, height=1000)
        await board.get(f"{base}/wallboard?token={VIEWER}")
        await log_into_panel(panel, base, "anna", SECRET)
        await control.place_call(caller_number=CALLER, caller_name="Erika Mustermann")
        await eventually(lambda: _state(service, "anna", "on_call"), what="anna on the call")
        await control.place_call(caller_number="+4989123456", caller_name="", exten="200")
        await eventually(lambda: _state(service, "chen", "offered"), what="chen ringing")
        for number in ("+4940777888", "+4922155566"):
            await control.place_call(caller_number=number, caller_name="")
        await board.wait_js(
            "document.querySelector('[data-queue=support] [data-field=waiting]')"
            ".textContent === '2' && document.querySelectorAll('#chart rect').length > 8"
            " && document.querySelector('[data-campaign=renewals]')",
            what="two callers waiting, the chart and the campaign",
        )
        await panel.wait_js(
            "document.getElementById('past-calls').textContent.includes('listen')"
            " && document.getElementById('script').textContent.includes('A-1001')",
            what="Erika's card, past calls and script in anna's panel",
        )
        await board.js("return new Promise(r => setTimeout(r, 7000));")  # waits tick up
        assert "Boris Petrov" in await board.text("#operators")
        assert "lunch" in await board.text("[data-operator=boris]")
        keep_for_readme(await board.screenshot(tmp_path / "wallboard.png"), "wallboard.png")
        keep_for_readme(
            await panel.screenshot(tmp_path / "operator-panel.png"), "operator-panel.png"
        )
        assert TOKEN  # the full token never reached either page


async def _state(service: Any, operator: str, state: str) -> bool:
    view = service.parts.router.engine.snapshot().operator(operator)
    return bool(view.state.value == state)
