"""Bearer token: missing, wrong, right; the open endpoints; the token never logged."""

from __future__ import annotations

import aiohttp
import asyncpg
import pytest
from pydantic import SecretStr
from structlog.testing import capture_logs

from callrouter.api import ApiServer
from callrouter.api.fakes import FakeCallCenter
from callrouter.config import HttpSettings
from callrouter.errors import ConfigError
from tests.api.conftest import TOKEN

PROTECTED = [
    ("GET", "/api/v1/operators"),
    ("GET", "/api/v1/calls"),
    ("GET", "/api/v1/queues"),
    ("GET", "/api/v1/callbacks"),
    ("POST", "/api/v1/operators/anna/login"),
    ("POST", "/api/v1/calls"),
    ("POST", "/api/v1/attempts/1/disposition"),
]


@pytest.mark.parametrize(("method", "path"), PROTECTED)
async def test_no_token_is_401_with_challenge(
    anon: aiohttp.ClientSession, method: str, path: str
) -> None:
    async with anon.request(method, path, json={}) as response:
        assert response.status == 401
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        assert (await response.json())["error"]["id"] == "unauthorized"


@pytest.mark.parametrize("header", ["Basic dXNlcjpwYXNz", "Bearer", "Bearer   ", TOKEN])
async def test_other_schemes_are_401(anon: aiohttp.ClientSession, header: str) -> None:
    async with anon.get("/api/v1/queues", headers={"Authorization": header}) as response:
        assert response.status == 401


async def test_wrong_token_is_403_and_not_logged(anon: aiohttp.ClientSession) -> None:
    wrong = TOKEN[:-1] + "X"
    with capture_logs() as logs:
        async with anon.get(
            "/api/v1/queues", headers={"Authorization": f"Bearer {wrong}"}
        ) as response:
            assert response.status == 403
            assert (await response.json())["error"] == {
                "id": "forbidden",
                "message": "wrong token",
            }
    assert any(entry["event"] == "api.wrong_token" for entry in logs)
    assert wrong not in repr(logs)
    assert TOKEN not in repr(logs)


async def test_right_token_is_200(client: aiohttp.ClientSession) -> None:
    async with client.get("/api/v1/queues") as response:
        assert response.status == 200


async def test_scheme_is_case_insensitive(anon: aiohttp.ClientSession) -> None:
    async with anon.get("/api/v1/queues", headers={"Authorization": f"bearer {TOKEN}"}) as r:
        assert r.status == 200


@pytest.mark.parametrize("path", ["/openapi.json", "/api/v1/health"])
async def test_open_endpoints_need_no_token(anon: aiohttp.ClientSession, path: str) -> None:
    async with anon.get(path) as response:
        assert response.status == 200


# -- the token guard beyond loopback ---------------------------------------------------

WEAK_TOKENS = ["change-me", "CHANGE-ME", "changeme", "secret", "", "short-token-15c"]


@pytest.mark.parametrize("token", WEAK_TOKENS)
async def test_weak_or_sample_token_beyond_loopback_refuses_to_start(
    db_pool: asyncpg.Pool, token: str
) -> None:
    settings = HttpSettings(host="0.0.0.0", port=0, token=SecretStr(token))
    with pytest.raises(ConfigError) as caught:
        ApiServer(settings=settings, center=FakeCallCenter(), pool=db_pool)
    [problem] = caught.value.problems
    assert problem.field == "http.token"
    assert "beyond loopback" in problem.message and "CALLROUTER_HTTP_TOKEN" in problem.message


@pytest.mark.parametrize("token", ["change-me", "short"])
async def test_weak_token_on_loopback_is_allowed(db_pool: asyncpg.Pool, token: str) -> None:
    settings = HttpSettings(host="127.0.0.1", port=0, token=SecretStr(token))
    async with ApiServer(settings=settings, center=FakeCallCenter(), pool=db_pool) as server:
        assert server.port > 0


async def test_strong_token_beyond_loopback_serves_with_auth(db_pool: asyncpg.Pool) -> None:
    settings = HttpSettings(host="0.0.0.0", port=0, token=SecretStr(TOKEN))
    server = ApiServer(settings=settings, center=FakeCallCenter(), pool=db_pool)
    async with server, aiohttp.ClientSession(f"http://127.0.0.1:{server.port}") as session:
        async with session.get("/api/v1/queues") as response:
            assert response.status == 401
        headers = {"Authorization": f"Bearer {TOKEN}"}
        async with session.get("/api/v1/queues", headers=headers) as response:
            assert response.status == 200
