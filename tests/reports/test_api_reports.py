"""``/api/v1/reports/...`` through the real service's HTTP API (on the simulator), with
the read-only viewer token, over the hand-computed fixture day."""

from __future__ import annotations

import socket
from typing import Any

import aiohttp

from callrouter.sim import SimulatedAsterisk
from tests.calls.harness import make_settings, running_service
from tests.reports.fixture_day import DAY, ZONE, seed

TOKEN = "a-long-random-admin-token-0123456789"
VIEWER = "a-long-random-viewer-token-0123456789"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def get(port: int, path: str, token: str | None = VIEWER) -> tuple[int, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with (
        aiohttp.ClientSession(headers=headers) as http,
        http.get(f"http://127.0.0.1:{port}{path}") as response,
    ):
        return response.status, await response.json()


async def test_reports_over_http_with_the_viewer_token(sim: SimulatedAsterisk, db_dsn: str) -> None:
    port = free_port()
    settings = make_settings(
        sim,
        http={"enabled": True, "host": "127.0.0.1", "port": port, "token": TOKEN,
              "viewer_token": VIEWER},
        queues={"support": {"service_level_s": 20, "wrapup_s": 10}},
        reports={"timezone": ZONE},
    )  # fmt: skip
    async with running_service(settings, db_dsn):
        await seed(db_dsn)
        status, body = await get(port, f"/api/v1/reports/queues?from={DAY}&interval=1h")
        assert status == 200, body
        assert (body["report"], body["timezone"], body["interval"]) == ("queues", ZONE, "1h")
        rows = {r["start"]: r for r in body["rows"]}
        assert len(rows) == 25
        second = rows["2026-10-25T02:00:00+01:00"]
        assert (second["offered"], second["service_level"], second["avg_handle_s"]) == (
            5, 0.25, 138,
        )  # fmt: skip
        status, body = await get(port, f"/api/v1/reports/operators?from={DAY}&interval=1d")
        assert status == 200, body
        anna = next(r for r in body["rows"] if r["operator"] == "anna")
        assert (anna["logged_in_s"], anna["pause_by_reason"]) == (12_600, {"lunch": 900})
        status, body = await get(
            port, f"/api/v1/reports/campaigns?from={DAY}&to={DAY}&interval=30m", TOKEN
        )
        assert status == 200, body
        assert len(body["rows"]) == 50 and sum(r["attempts"] for r in body["rows"]) == 6
        status, body = await get(port, f"/api/v1/reports/queues?from={DAY}&interval=5m")
        assert status == 422, body
        assert body["error"]["fields"] and "interval" in str(body["error"]["fields"])
        status, body = await get(port, "/api/v1/reports/queues?from=someday")
        assert status == 422 and "neither a date" in body["error"]["message"], body
        status, _ = await get(port, f"/api/v1/reports/queues?from={DAY}", token=None)
        assert status == 401
