"""README, FastAGI: the server "limits the header block (16 KiB, 5 s)". tests/agi checks
the mechanism with small limits; these check the limits the service actually runs
with, the server's defaults (callrouter serve passes neither)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest

from callrouter.agi import AgiSession, FastAgiServer
from tests.agi.asterisk_fake import FakeAsterisk, encode_env, make_env

KIB_16 = 16 * 1024
MARGIN = 64  # bytes either side of the limit


async def _hello(session: AgiSession) -> None:
    await session.verbose("hello")


@pytest.fixture
async def server() -> AsyncIterator[FastAgiServer]:
    server = FastAgiServer(routes={"t": _hello}, port=0)
    await server.start()
    yield server
    await server.close()


@pytest.mark.parametrize(("size", "served"), [(KIB_16 - MARGIN, True), (KIB_16 + MARGIN, False)])
async def test_the_header_block_is_limited_to_16_kib(
    size: int, served: bool, server: FastAgiServer
) -> None:
    padding = size - len(encode_env(make_env("t", callerid="")))
    asterisk = FakeAsterisk(make_env("t", callerid="9" * padding))
    assert len(encode_env(asterisk.env)) == size
    await asterisk.run(server.port)
    assert bool(asterisk.commands) is served


async def test_a_silent_client_is_closed_after_5_s(server: FastAgiServer) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    started = time.monotonic()
    writer.write(b"agi_network: yes\n")  # half a header block, then nothing
    await writer.drain()
    async with asyncio.timeout(10):
        assert await reader.read() == b""
    elapsed = time.monotonic() - started
    writer.close()
    # The server's clock starts at accept, a moment before ours; the upper bound only
    # allows for a loaded machine.
    assert 4.9 <= elapsed < 8.0
