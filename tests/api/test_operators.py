"""Operators: the list from the database, state changes through the call center port."""

from __future__ import annotations

import aiohttp
import asyncpg

from callrouter.api.fakes import FakeCallCenter, PortCall
from callrouter.errors import DatabaseError
from tests.api._seed import add_operator


async def test_list_operators_with_state_and_queues(
    client: aiohttp.ClientSession, db_pool: asyncpg.Pool
) -> None:
    await add_operator(db_pool, "anna", state="paused")
    await add_operator(db_pool, "ben")
    async with client.get("/api/v1/operators") as response:
        assert response.status == 200
        body = await response.json()
    anna, ben = body["operators"]
    assert anna["id"] == "anna"
    assert anna["state"] == "paused"
    assert anna["state_reason"] == "lunch"
    assert anna["queues"] == {"support": 2}
    assert anna["endpoint"] == "PJSIP/anna"
    assert ben["state"] == "available"


async def test_empty_list(client: aiohttp.ClientSession) -> None:
    async with client.get("/api/v1/operators") as response:
        assert await response.json() == {"operators": []}


async def test_login_pause_unpause_logout(
    client: aiohttp.ClientSession, center: FakeCallCenter
) -> None:
    async with client.post("/api/v1/operators/anna/login") as response:
        assert response.status == 200
        assert await response.json() == {
            "operator_id": "anna",
            "action": "login",
            "result": "available",
        }
    async with client.post("/api/v1/operators/anna/pause", json={"reason": "lunch"}) as r:
        assert r.status == 200
        assert (await r.json())["result"] == "paused (lunch)"
    async with client.post("/api/v1/operators/anna/unpause") as r:
        assert r.status == 200
    async with client.post("/api/v1/operators/anna/logout") as r:
        assert r.status == 200
    assert center.calls == [
        PortCall("operator_action", ("anna", "login", None)),
        PortCall("operator_action", ("anna", "pause", "lunch")),
        PortCall("operator_action", ("anna", "unpause", None)),
        PortCall("operator_action", ("anna", "logout", None)),
    ]


async def test_pause_without_body_has_no_reason(
    client: aiohttp.ClientSession, center: FakeCallCenter
) -> None:
    async with client.post("/api/v1/operators/ben/pause") as response:
        assert response.status == 200
    assert center.calls == [PortCall("operator_action", ("ben", "pause", None))]


async def test_refusal_is_409(client: aiohttp.ClientSession) -> None:
    async with client.post("/api/v1/operators/ben/login") as response:
        assert response.status == 409
        error = (await response.json())["error"]
    assert error["id"] == "conflict"
    assert "ben" in error["message"]


async def test_unknown_operator_is_404(client: aiohttp.ClientSession) -> None:
    async with client.post("/api/v1/operators/nobody/logout") as response:
        assert response.status == 404
        assert (await response.json())["error"]["id"] == "not-found"


async def test_bad_operator_id_names_the_path_field(
    client: aiohttp.ClientSession, center: FakeCallCenter
) -> None:
    async with client.post("/api/v1/operators/-bad%20id/login") as response:
        assert response.status == 422
        error = (await response.json())["error"]
    assert [f["path"] for f in error["fields"]] == ["path.operator_id"]
    assert center.calls == []


async def test_pause_reason_too_long(client: aiohttp.ClientSession) -> None:
    async with client.post("/api/v1/operators/ben/pause", json={"reason": "x" * 65}) as r:
        assert r.status == 422
        assert (await r.json())["error"]["fields"][0]["path"] == "body.reason"


async def test_outside_failure_is_502_without_details(
    client: aiohttp.ClientSession, center: FakeCallCenter
) -> None:
    center.fail_next["operator_action"] = DatabaseError("connect to db.internal:5432 failed")
    async with client.post("/api/v1/operators/anna/login") as response:
        assert response.status == 502
        error = (await response.json())["error"]
    assert error["id"] == "database"
    assert "db.internal" not in error["message"]
