"""ApiServer: port 0, and the refusal to serve without a token beyond loopback."""

from __future__ import annotations

import aiohttp
import asyncpg
import pytest
from pydantic import SecretStr

from callrouter.api import ApiServer, is_loopback
from callrouter.api.fakes import FakeCallCenter
from callrouter.config import HttpSettings
from callrouter.errors import ConfigError


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.0.2.10", "api.example.com", ""])
async def test_no_token_beyond_loopback_refuses_to_start(db_pool: asyncpg.Pool, host: str) -> None:
    with pytest.raises(ConfigError) as caught:
        ApiServer(
            settings=HttpSettings(host=host, port=0),
            center=FakeCallCenter(),
            pool=db_pool,
        )
    assert caught.value.problems[0].field == "http.token"


async def test_empty_token_counts_as_none(db_pool: asyncpg.Pool) -> None:
    with pytest.raises(ConfigError):
        ApiServer(
            settings=HttpSettings(host="0.0.0.0", port=0, token=SecretStr("")),
            center=FakeCallCenter(),
            pool=db_pool,
        )


async def test_no_token_on_loopback_serves_without_auth(db_pool: asyncpg.Pool) -> None:
    server = ApiServer(
        settings=HttpSettings(host="127.0.0.1", port=0),
        center=FakeCallCenter(queues={"q": {}}),
        pool=db_pool,
    )
    async with server, aiohttp.ClientSession() as session:
        assert server.port > 0
        async with session.get(f"{server.url}/api/v1/queues") as response:
            assert response.status == 200


@pytest.mark.parametrize(("host", "loopback"), [
    ("127.0.0.1", True), ("127.8.0.1", True), ("::1", True), ("localhost", True),
    ("0.0.0.0", False), ("10.0.0.1", False), ("example.com", False),
])  # fmt: skip
def test_is_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


async def test_port_before_start_and_double_start(db_pool: asyncpg.Pool) -> None:
    server = ApiServer(
        settings=HttpSettings(host="127.0.0.1", port=0, token=SecretStr("abcdef")),
        center=FakeCallCenter(),
        pool=db_pool,
    )
    with pytest.raises(RuntimeError):
        _ = server.port
    async with server:
        with pytest.raises(RuntimeError):
            await server.start()
    await server.stop()
