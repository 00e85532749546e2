"""Per-test ARI client and event stream against the ``sim`` fixture."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from callrouter.sim import SimulatedAsterisk
from tests.sim._support import Ari, Events


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
def ari(sim: SimulatedAsterisk, http: aiohttp.ClientSession) -> Ari:
    return Ari(sim, http)


@pytest.fixture
async def events(sim: SimulatedAsterisk, http: aiohttp.ClientSession) -> AsyncIterator[Events]:
    stream = Events()
    await stream.connect(http, sim)
    yield stream
    await stream.close()
