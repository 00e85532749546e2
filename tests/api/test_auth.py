"""Bearer token: missing, wrong, right; the open endpoints; the token never logged."""

from __future__ import annotations

import aiohttp
import pytest
from structlog.testing import capture_logs

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
