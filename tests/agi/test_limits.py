"""agi.max_connections over real sockets: one past the cap is logged and closed, the
sessions being served are untouched, and the slot is free again once one ends."""

from __future__ import annotations

import asyncio

import pytest
from structlog.testing import capture_logs

from callrouter.agi import DEFAULT_MAX_CONNECTIONS, STATUS_VARIABLE, AgiSession, FastAgiServer
from callrouter.config import AgiSettings
from tests.agi.asterisk_fake import FakeAsterisk, make_env
from tests.agi.conftest import StartServer

GUARD_S = 10


async def test_connections_past_the_cap_are_closed_and_logged(
    start_server: StartServer,
) -> None:
    release = asyncio.Event()
    entered = 0

    async def held(session: AgiSession) -> None:
        nonlocal entered
        entered += 1
        await release.wait()

    server = await start_server({"held": held}, max_connections=2)
    busy = [FakeAsterisk(env=make_env("held")) for _ in range(2)]
    tasks = [asyncio.create_task(fake.run(server.port)) for fake in busy]
    async with asyncio.timeout(GUARD_S):
        while entered < 2:
            await asyncio.sleep(0.01)
        with capture_logs() as logs:
            reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
            assert await reader.read() == b""  # closed by the server, nothing sent
            writer.close()
    [refused] = [e for e in logs if e["event"] == "agi.too_many_connections"]
    assert refused["limit"] == 2 and refused["log_level"] == "warning"
    assert server.refused_connections == 1
    assert server.active_sessions == 2

    release.set()
    async with asyncio.timeout(GUARD_S):
        await asyncio.gather(*tasks)
        while server.active_sessions:
            await asyncio.sleep(0.01)
    assert all(fake.variables[STATUS_VARIABLE] == "SUCCESS" for fake in busy)
    again = FakeAsterisk(env=make_env("held"))
    async with asyncio.timeout(GUARD_S):
        await again.run(server.port)
    assert again.variables[STATUS_VARIABLE] == "SUCCESS"


def test_max_connections_is_configured_and_checked() -> None:
    assert AgiSettings().max_connections == DEFAULT_MAX_CONNECTIONS == 256
    assert AgiSettings(max_connections=10).max_connections == 10
    with pytest.raises(ValueError, match="max_connections"):
        AgiSettings(max_connections=0)
    with pytest.raises(ValueError, match="max_connections"):
        FastAgiServer(routes={}, max_connections=0)
