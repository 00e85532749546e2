"""``callrouter status``: a real process asking a health endpoint and a real database."""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from aiohttp import web

from callrouter.cli._status import health_url
from tests.cli.test_cli import callrouter

LAST_EVENT = "2030-01-02T03:04:05+00:00"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class FakeService:
    """Answers /api/v1/health the way callrouter.api does (200 ok, 503 degraded)."""

    def __init__(self) -> None:
        self.body: dict[str, Any] = {
            "status": "ok",
            "ari": {"connected": True, "reconnects": 2, "last_event_at": LAST_EVENT},
            "database": "ok",
            "version": "9.9.9",
        }
        self.port = 0

    async def health(self, request: web.Request) -> web.Response:
        status = 200 if self.body["status"] == "ok" else 503
        return web.json_response(self.body, status=status)


@pytest.fixture
async def service() -> AsyncIterator[FakeService]:
    fake = FakeService()
    app = web.Application()
    app.router.add_get("/api/v1/health", fake.health)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    fake.port = runner.addresses[0][1]
    yield fake
    await runner.cleanup()


def _config(tmp_path: Path, port: int) -> list[str]:
    config = tmp_path / "callrouter.yml"
    config.write_text(f"http:\n  host: 127.0.0.1\n  port: {port}\n")
    return ["--config", str(config)]


async def _status(
    config: list[str], *args: str, env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    # The fake service runs on this test's event loop: the CLI must not block it.
    return await asyncio.to_thread(callrouter, *config, "status", *args, env=env)


async def _seed(dsn: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(
            "INSERT INTO operators (id, endpoint, state) VALUES"
            " ('anna', 'PJSIP/101', 'available'), ('ben', 'PJSIP/102', 'paused'),"
            " ('cleo', 'PJSIP/103', 'available')"
        )
        now = datetime.now(UTC)
        await conn.execute(
            "INSERT INTO calls (id, direction, created_at) VALUES ($1, 'inbound', $3),"
            " ($2, 'inbound', $3)",
            uuid.uuid4(), uuid.uuid4(), now,
        )
        await conn.execute(
            "INSERT INTO calls (id, direction, created_at, ended_at, outcome)"
            " VALUES ($1, 'inbound', $2, $3, 'answered')",
            uuid.uuid4(), now - timedelta(minutes=5), now,
        )
    finally:
        await conn.close()


async def test_running_service_and_database_figures(
    service: FakeService, db_dsn: str, tmp_path: Path
) -> None:
    await _seed(db_dsn)
    env = {"CALLROUTER_DSN": db_dsn}
    config = _config(tmp_path, service.port)
    result = await _status(config, "--json", env=env)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["service"] == {
        "running": True,
        "url": f"http://127.0.0.1:{service.port}",
        "status": "ok",
        "version": "9.9.9",
        "ari": {"connected": True, "reconnects": 2, "last_event_at": LAST_EVENT},
        "database": "ok",
    }
    db = report["database"]
    assert db["reachable"] is True
    assert db["live_calls"] == 2
    assert db["operators"] == {"available": 2, "paused": 1}
    assert db["migrations"]["applied"] >= 3 and db["migrations"]["pending"] == 0

    text = await _status(config, env=env)
    assert text.returncode == 0, text.stderr
    assert "is running" in text.stdout
    assert "ARI connected: yes" in text.stdout and "ARI reconnects: 2" in text.stdout
    assert LAST_EVENT in text.stdout
    assert "live calls: 2" in text.stdout
    assert "available 2, paused 1" in text.stdout
    assert "0 pending" in text.stdout


async def test_degraded_service_exits_4(
    service: FakeService, db_dsn: str, tmp_path: Path
) -> None:
    service.body["status"] = "degraded"
    service.body["ari"]["connected"] = False
    result = await _status(_config(tmp_path, service.port), env={"CALLROUTER_DSN": db_dsn})
    assert result.returncode == 4
    assert "ARI connected: NO" in result.stdout


async def test_not_running(db_dsn: str, tmp_path: Path) -> None:
    port = _free_port()
    env = {"CALLROUTER_DSN": db_dsn}
    result = await _status(_config(tmp_path, port), env=env)
    assert result.returncode == 1
    assert f"callrouter is not running (no answer on http://127.0.0.1:{port})" in result.stdout
    assert "Traceback" not in result.stderr
    assert "live calls: 0" in result.stdout  # the database still reports
    as_json = await _status(_config(tmp_path, port), "--json", env=env)
    assert as_json.returncode == 1
    assert json.loads(as_json.stdout)["service"]["running"] is False


async def test_something_else_on_the_port(db_dsn: str, tmp_path: Path) -> None:
    app = web.Application()
    runner = web.AppRunner(app)  # answers 404 everywhere
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        port = runner.addresses[0][1]
        result = await _status(_config(tmp_path, port), env={"CALLROUTER_DSN": db_dsn})
    finally:
        await runner.cleanup()
    assert result.returncode == 1
    assert "something else answers" in result.stdout


async def test_unreachable_database_is_reported_not_a_traceback(
    service: FakeService, tmp_path: Path
) -> None:
    secret = "pg-secret-xyz"
    env = {"CALLROUTER_DSN": f"postgresql://u:{secret}@127.0.0.1:1/db"}
    result = await _status(_config(tmp_path, service.port), "--json", env=env)
    assert result.returncode == 4
    report = json.loads(result.stdout)
    assert report["service"]["running"] is True
    assert report["database"]["reachable"] is False
    assert secret not in result.stdout + result.stderr


@pytest.mark.parametrize(
    ("host", "url"),
    [
        ("0.0.0.0", "http://127.0.0.1:8080/api/v1/health"),
        ("::", "http://[::1]:8080/api/v1/health"),
        ("::1", "http://[::1]:8080/api/v1/health"),
        ("callrouter.internal", "http://callrouter.internal:8080/api/v1/health"),
    ],
)
def test_health_url(host: str, url: str) -> None:
    assert health_url(host, 8080) == url
