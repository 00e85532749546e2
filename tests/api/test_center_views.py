"""Health, queues, callbacks and dispositions."""

from __future__ import annotations

from datetime import UTC, datetime

import aiohttp
import asyncpg
import pytest

import callrouter
from callrouter.api.fakes import FakeCallCenter
from callrouter.api.ports import CenterHealth
from callrouter.errors import InternalError
from tests.api._seed import NASTY, add_attempt, add_callback


async def test_health_ok(anon: aiohttp.ClientSession, center: FakeCallCenter) -> None:
    at = datetime(2025, 3, 4, 9, 30, 1, tzinfo=UTC)
    center.health_state = CenterHealth(
        ari_connected=True, ari_reconnects=3, ari_last_event_at=at, database_ok=True
    )
    async with anon.get("/api/v1/health") as response:
        assert response.status == 200
        assert await response.json() == {
            "status": "ok",
            "ari": {"connected": True, "reconnects": 3, "last_event_at": "2025-03-04T09:30:01Z"},
            "database": "ok",
            "version": callrouter.__version__,
        }


@pytest.mark.parametrize(("ari", "db"), [(False, True), (True, False), (False, False)])
async def test_health_degraded_is_503(
    anon: aiohttp.ClientSession, center: FakeCallCenter, ari: bool, db: bool
) -> None:
    center.health_state = CenterHealth(
        ari_connected=ari, ari_reconnects=0, ari_last_event_at=None, database_ok=db
    )
    async with anon.get("/api/v1/health") as response:
        assert response.status == 503
        body = await response.json()
    assert body["status"] == "degraded"
    assert body["database"] == ("ok" if db else "error")
    assert body["ari"]["connected"] is ari


async def test_queues(client: aiohttp.ClientSession, center: FakeCallCenter) -> None:
    async with client.get("/api/v1/queues") as response:
        assert response.status == 200
        assert await response.json() == center.queues


async def test_internal_error_is_500_without_internals(
    client: aiohttp.ClientSession, center: FakeCallCenter
) -> None:
    center.fail_next["queue_status"] = InternalError("invariant broke in /srv/secret.py")
    async with client.get("/api/v1/queues") as response:
        assert response.status == 500
        assert await response.json() == {"error": {"id": "internal", "message": "internal error"}}
    center.fail_next["queue_status"] = KeyError("support")
    async with client.get("/api/v1/queues") as response:
        assert response.status == 500
        assert await response.json() == {"error": {"id": "internal", "message": "internal error"}}


async def test_callbacks_pending_by_default_in_due_order(
    client: aiohttp.ClientSession, db_pool: asyncpg.Pool
) -> None:
    later = await add_callback(db_pool, phone="+4930222", due_in_s=600)
    first = await add_callback(db_pool, phone="+4930111", due_in_s=0)
    done = await add_callback(db_pool, phone="+4930333", status="done")
    async with client.get("/api/v1/callbacks") as response:
        assert response.status == 200
        callbacks = (await response.json())["callbacks"]
    assert [c["id"] for c in callbacks] == [first, later]
    assert callbacks[0]["caller_name"] == NASTY
    assert callbacks[0]["note"] == NASTY
    async with client.get("/api/v1/callbacks", params={"status": "done"}) as response:
        assert [c["id"] for c in (await response.json())["callbacks"]] == [done]
    async with client.get("/api/v1/callbacks", params={"queue": "sales"}) as response:
        assert (await response.json())["callbacks"] == []


async def test_callbacks_bad_status(client: aiohttp.ClientSession) -> None:
    async with client.get("/api/v1/callbacks", params={"status": "pending'--"}) as response:
        assert response.status == 422
        assert (await response.json())["error"]["fields"][0]["path"] == "query.status"


async def test_disposition_is_written(client: aiohttp.ClientSession, db_pool: asyncpg.Pool) -> None:
    attempt_id = await add_attempt(db_pool)
    body = {"disposition": "sale", "note": NASTY}
    async with client.post(f"/api/v1/attempts/{attempt_id}/disposition", json=body) as r:
        assert r.status == 200
        answer = await r.json()
    assert answer["attempt_id"] == attempt_id
    assert answer["disposition"] == "sale"
    assert answer["call_id"] is None
    stored = await db_pool.fetchval("SELECT disposition FROM attempts WHERE id = $1", attempt_id)
    assert stored == "sale"


async def test_disposition_with_quotes_is_stored_verbatim(
    client: aiohttp.ClientSession, db_pool: asyncpg.Pool
) -> None:
    attempt_id = await add_attempt(db_pool)
    nasty = "call back'; DROP TABLE attempts;--"
    async with client.post(
        f"/api/v1/attempts/{attempt_id}/disposition", json={"disposition": nasty}
    ) as response:
        assert response.status == 200
    stored = await db_pool.fetchval("SELECT disposition FROM attempts WHERE id = $1", attempt_id)
    assert stored == nasty


async def test_disposition_of_unknown_attempt_is_404(client: aiohttp.ClientSession) -> None:
    async with client.post("/api/v1/attempts/999/disposition", json={"disposition": "x"}) as r:
        assert r.status == 404
        assert (await r.json())["error"]["id"] == "not-found"


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/v1/attempts/1/disposition", {}, "body.disposition"),
        ("/api/v1/attempts/1/disposition", {"disposition": "  "}, "body.disposition"),
        ("/api/v1/attempts/1/disposition", {"disposition": "x", "note": 3}, "body.note"),
        ("/api/v1/attempts/abc/disposition", {"disposition": "x"}, "path.attempt_id"),
        ("/api/v1/attempts/0/disposition", {"disposition": "x"}, "path.attempt_id"),
    ],
)
async def test_disposition_validation(
    client: aiohttp.ClientSession, path: str, body: dict[str, object], field: str
) -> None:
    async with client.post(path, json=body) as response:
        assert response.status == 422
        assert [f["path"] for f in (await response.json())["error"]["fields"]] == [field]
