"""What every endpoint shares: JSON error bodies for aiohttp's own answers, bodies that
are not JSON, the size limit, a database that has gone away."""

from __future__ import annotations

import aiohttp
import asyncpg

from callrouter.api import MAX_BODY_BYTES


async def test_unknown_path_is_json_404(client: aiohttp.ClientSession) -> None:
    async with client.get("/api/v1/nothing") as response:
        assert response.status == 404
        assert response.content_type == "application/json"
        assert (await response.json())["error"]["id"] == "not-found"


async def test_wrong_method_is_json_405_with_allow(client: aiohttp.ClientSession) -> None:
    async with client.delete("/api/v1/calls") as response:
        assert response.status == 405
        assert "GET" in response.headers["Allow"]
        assert (await response.json())["error"]["id"] == "method-not-allowed"


async def test_body_not_json_is_400(client: aiohttp.ClientSession) -> None:
    async with client.post(
        "/api/v1/calls", data=b"{operator_id: ben", headers={"Content-Type": "application/json"}
    ) as response:
        assert response.status == 400
        assert (await response.json())["error"]["id"] == "invalid-input"


async def test_body_not_an_object_is_400(client: aiohttp.ClientSession) -> None:
    async with client.post("/api/v1/calls", json=["ben", "100"]) as response:
        assert response.status == 400


async def test_body_too_large_is_413(client: aiohttp.ClientSession) -> None:
    body = {"operator_id": "ben", "number": "1", "caller_id": "x" * MAX_BODY_BYTES}
    async with client.post("/api/v1/calls", json=body) as response:
        assert response.status == 413
        assert (await response.json())["error"]["id"] == "too-large"


async def test_database_down_is_502(client: aiohttp.ClientSession, db_pool: asyncpg.Pool) -> None:
    # A dropped table stands in for any PostgreSQL failure the driver reports.
    await db_pool.execute("DROP TABLE callbacks")
    async with client.get("/api/v1/callbacks") as response:
        assert response.status == 502
        error = (await response.json())["error"]
    assert error["id"] == "database"
    assert "callbacks" not in error["message"]
