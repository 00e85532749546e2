"""Fixtures for the ARI client tests: a simulated Asterisk on a real socket, a client
for it, and a helper that runs the client's event loop for the length of a test."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from callrouter.ari import AriClient
from callrouter.sim import SimControl, SimulatedAsterisk

USERNAME = "callrouter"
# Characters that must be URL-encoded in the WebSocket's api_key.
PASSWORD = "s3cr&t:p@ss/word"
APP = "callrouter"


@pytest.fixture
async def ari_sim(tmp_path: Path) -> AsyncIterator[SimulatedAsterisk]:
    async with SimulatedAsterisk(
        username=USERNAME, password=PASSWORD, host="127.0.0.1", port=0,
        recordings_dir=tmp_path, time_scale=1.0,
    ) as sim:
        yield sim


@pytest.fixture
async def control(ari_sim: SimulatedAsterisk) -> AsyncIterator[SimControl]:
    async with SimControl(ari_sim.url) as sim_control:
        yield sim_control


def make_client(base_url: str, **overrides: Any) -> AriClient:
    settings: dict[str, Any] = {
        "base_url": base_url, "username": USERNAME, "password": PASSWORD, "app": APP,
        "request_timeout": 2.0, "backoff_initial": 0.02, "backoff_max": 0.2,
    }
    settings.update(overrides)
    return AriClient(**settings)


@pytest.fixture
async def ari(ari_sim: SimulatedAsterisk) -> AsyncIterator[AriClient]:
    async with make_client(ari_sim.url) as client:
        yield client


@contextlib.asynccontextmanager
async def running(client: AriClient) -> AsyncIterator[AriClient]:
    """The client's events loop in the background, connected, for a block."""
    task = asyncio.create_task(client.run())
    try:
        async with asyncio.timeout(5):
            await client.wait_connected()
        yield client
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


@pytest.fixture
async def live(ari: AriClient) -> AsyncIterator[AriClient]:
    """A client with its events WebSocket up (the sim refuses calls to an app without one)."""
    async with running(ari):
        yield ari


async def eventually(
    check: Callable[[], Awaitable[bool]] | Callable[[], bool], within: float = 5.0
) -> None:
    """Poll until ``check`` is true; fail the test after ``within`` seconds."""
    async with asyncio.timeout(within):
        while True:
            result = check()
            if asyncio.iscoroutine(result):
                result = await result
            if result:
                return
            await asyncio.sleep(0.01)


@contextlib.asynccontextmanager
async def local_server(app: Any) -> AsyncIterator[str]:
    """A throwaway aiohttp server on a real socket (for answers the sim never gives)."""
    from aiohttp import web

    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    try:
        yield f"http://{host}:{port}"
    finally:
        await runner.cleanup()


def free_port() -> int:
    """A port nothing listens on (bound, then released)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
