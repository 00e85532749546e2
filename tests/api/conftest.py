"""Fixtures for the HTTP API tests: a server on port 0 over a real database and a fake
call center, and clients with and without the token."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import asyncpg
import pytest
from pydantic import SecretStr

from callrouter.api import ApiServer
from callrouter.api.fakes import FakeCallCenter
from callrouter.config import HttpSettings

TOKEN = "t0ken-with-some-length-1234567890"


@pytest.fixture
def center() -> FakeCallCenter:
    return FakeCallCenter(
        operators={"anna": "logged_out", "ben": "available"},
        queues={"support": {"waiting": 2, "longest_wait_s": 31.5, "available_operators": 1}},
    )


@pytest.fixture
async def api(center: FakeCallCenter, db_pool: asyncpg.Pool) -> AsyncIterator[ApiServer]:
    settings = HttpSettings(host="127.0.0.1", port=0, token=SecretStr(TOKEN))
    async with ApiServer(settings=settings, center=center, pool=db_pool) as server:
        yield server


@pytest.fixture
async def client(api: ApiServer) -> AsyncIterator[aiohttp.ClientSession]:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    async with aiohttp.ClientSession(base_url=api.url, headers=headers) as session:
        yield session


@pytest.fixture
async def anon(api: ApiServer) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(base_url=api.url) as session:
        yield session
