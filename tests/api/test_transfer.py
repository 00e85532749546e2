"""POST /api/v1/calls/{id}/transfer over a real socket."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import aiohttp
import asyncpg
import pytest

from callrouter.api import ApiServer
from callrouter.api.fakes import FakeCallCenter
from callrouter.config import HttpSettings

TOKEN = "transfer-test-token"


@pytest.fixture
async def api(db_pool: asyncpg.Pool) -> AsyncIterator[tuple[str, FakeCallCenter]]:
    center = FakeCallCenter(queues={"support": {}, "sales": {}})
    server = ApiServer(
        settings=HttpSettings(host="127.0.0.1", port=0, token=TOKEN), center=center, pool=db_pool
    )
    await server.start()
    try:
        yield f"http://127.0.0.1:{server.port}/api/v1", center
    finally:
        await server.stop()


async def test_transfer(api: tuple[str, FakeCallCenter]) -> None:
    base, center = api
    call_id = str(uuid.uuid4())
    center.live_calls[call_id] = "support"
    headers = {"Authorization": f"Bearer {TOKEN}"}
    async with aiohttp.ClientSession(headers=headers) as http:
        async with http.post(f"{base}/calls/{call_id}/transfer", json={"queue": "sales"}) as ok:
            assert ok.status == 200
            assert await ok.json() == {"call_id": call_id, "queue": "sales"}
        assert center.live_calls[call_id] == "sales"
        async with http.post(f"{base}/calls/{call_id}/transfer", json={"queue": "sales"}) as again:
            assert again.status == 409
        missing = str(uuid.uuid4())
        async with http.post(f"{base}/calls/{missing}/transfer", json={"queue": "sales"}) as gone:
            assert gone.status == 404
        async with http.post(f"{base}/calls/{call_id}/transfer", json={"queue": "a b"}) as bad:
            assert bad.status == 422
            assert "body.queue" in str(await bad.json())


async def test_schedule_callback(api: tuple[str, FakeCallCenter]) -> None:
    base, center = api
    headers = {"Authorization": f"Bearer {TOKEN}"}
    body = {"phone": "+49 30 123456", "queue": "sales", "due_at": "2026-11-24T09:00:00+01:00"}
    async with aiohttp.ClientSession(headers=headers) as http:
        async with http.post(f"{base}/callbacks", json=body) as created:
            assert created.status == 201, await created.text()
            assert (await created.json())["id"] == 1
        assert center.scheduled[0]["queue"] == "sales"
        naive = {**body, "due_at": "2026-11-24T09:00:00"}
        async with http.post(f"{base}/callbacks", json=naive) as bad:
            assert bad.status == 422
            assert "body.due_at" in str(await bad.json())
        async with http.post(f"{base}/callbacks", json={**body, "queue": "nope"}) as unknown:
            assert unknown.status == 404
