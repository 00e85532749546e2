"""``POST /api/v1/plan`` and ``/plan/chart`` through the real HTTP server (aiohttp on a
port, real PostgreSQL), with and without the service's configured routing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import aiohttp
import asyncpg
import pytest
from prometheus_client.registry import CollectorRegistry
from pydantic import SecretStr

from callrouter.api import ApiServer
from callrouter.api._metrics import Observability
from callrouter.api.fakes import FakeCallCenter
from callrouter.config import HttpSettings, Settings
from tests.planning.test_history import MONDAY, seed_two_days

TOKEN = "plan-token-with-enough-length-0123456789"
# The Call Centre Helper worked example (see test_erlang): 14 agents, 20 with shrinkage.
EXAMPLE = [{"start": "09:00", "queue": "support", "calls": 100, "aht_s": 180}]
CONFIG = {
    "queues": {
        "sales": {"wrapup_s": 0},
        "support": {"wrapup_s": 0, "max_penalty": 0, "escalation": [
            {"after_s": 10, "max_penalty": 1}]},
    },
    "operators": {
        "anna": {"endpoint": "PJSIP/101", "queues": {"sales": 0, "support": 1}},
        "ben": {"endpoint": "PJSIP/102", "queues": {"support": 0}},
    },
    "dialer": {"inbound_reserve": 1},
    "campaigns": {"renewals": {"mode": "predictive", "queue": "sales", "caller_id": "+4930123",
                               "dial_ahead": False}},
}  # fmt: skip


@pytest.fixture(params=[False, True], ids=["alone", "in-serve"])
async def client(request: pytest.FixtureRequest, db_pool: asyncpg.Pool
                 ) -> AsyncIterator[aiohttp.ClientSession]:  # fmt: skip
    """The API as tests build it (no settings), or as ``serve`` builds it (its settings)."""
    settings = Settings.model_validate(CONFIG)
    observability = (
        Observability(settings=lambda: settings, metrics=CollectorRegistry())
        if request.param
        else None
    )
    http = HttpSettings(host="127.0.0.1", port=0, token=SecretStr(TOKEN))
    async with (
        ApiServer(settings=http, center=FakeCallCenter(), pool=db_pool,
                  observability=observability) as server,
        aiohttp.ClientSession(
            base_url=server.url, headers={"Authorization": f"Bearer {TOKEN}"}
        ) as session,
    ):  # fmt: skip
        yield session


async def _post(client: aiohttp.ClientSession, body: dict[str, Any], path: str = "/api/v1/plan"
                ) -> tuple[int, Any]:  # fmt: skip
    async with client.post(path, json=body) as response:
        if response.content_type == "application/json":
            return response.status, await response.json()
        return response.status, await response.read()


def _total(body: dict[str, Any], start: str) -> dict[str, Any]:
    return next(r for r in body["rows"] if r["queue"] == "*" and r["start"] == start)


async def test_erlang_plan_over_http(client: aiohttp.ClientSession) -> None:
    status, body = await _post(
        client, {"profile": EXAMPLE, "target": {"service_level": 0.8, "shrinkage": 0.3}}
    )
    assert status == 200, body
    total = _total(body, "09:00")
    assert (total["required"], total["scheduled"]) == (14, 20)
    assert total["service_level"] == pytest.approx(0.8884, abs=5e-5)
    assert body["method"] == "erlang"


async def test_simulated_plan_with_the_configured_skill_groups(
    client: aiohttp.ClientSession,
) -> None:
    profile = [
        {"start": "09:00", "queue": "sales", "calls": 120, "aht_s": 120},
        {"start": "09:00", "queue": "support", "calls": 140, "aht_s": 120, "patience_s": 120},
    ]
    body = {
        "profile": profile,
        "method": "simulate",
        "roster": {"09:00": {"sales+support:1": 10, "support": 10}},
        "simulation": {"replications": 3, "seed": 5},
    }
    status, answer = await _post(client, body)
    if status == 422:
        # Without the service's settings there are no such groups: each queue alone.
        assert "sales+support:1" in answer["error"]["message"]
        body["roster"] = {"09:00": {"sales": 10, "support": 10}}
        status, answer = await _post(client, body)
    assert status == 200, answer
    total = _total(answer, "09:00")
    assert answer["replications"] == 3 and total["planned"] == 20
    assert total["service_level_low"] <= total["service_level"] <= total["service_level_high"]
    assert 0 < total["occupancy"] < 1


async def test_chart_is_a_png(client: aiohttp.ClientSession) -> None:
    status, png = await _post(client, {"profile": EXAMPLE}, "/api/v1/plan/chart")
    assert status == 200
    assert png[:8] == b"\x89PNG\r\n\x1a\n"


async def test_plan_from_the_call_history(
    client: aiohttp.ClientSession, db_pool: asyncpg.Pool
) -> None:
    async with db_pool.acquire() as conn:
        await seed_two_days(conn)
    until = (MONDAY + timedelta(days=2)).isoformat()
    status, body = await _post(client, {"history": {"since": MONDAY.isoformat(), "until": until}})
    assert status == 200, body
    assert [r["calls"] for r in body["rows"] if r["queue"] == "support"] == [30, 3]


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({}, "either profile or history"),
        ({"profile": [{**EXAMPLE[0], "start": "25:00"}]}, "25:00"),
        ({"profile": EXAMPLE, "method": "simulate"}, "needs a roster"),
        ({"profile": EXAMPLE, "roster": {"09:00": {"nobody": 3}}}, "nobody"),
        ({"profile": [{**EXAMPLE[0], "calls": 1e6}], "method": "simulate", "recommend": True},
         "more than this API simulates"),
    ],
)  # fmt: skip
async def test_bad_requests_are_refused_with_a_reason(
    client: aiohttp.ClientSession, body: dict[str, Any], says: str
) -> None:
    status, answer = await _post(client, body)
    assert status == 422, answer
    assert says in answer["error"]["message"]


async def test_blended_campaign_over_http(client: aiohttp.ClientSession) -> None:
    """The configured campaign dials into sales in the simulated day: per-row outbound
    load where the profile gives it, ``outbound``'s defaults elsewhere."""
    body = {
        "profile": [
            {"start": "09:00", "queue": "sales", "calls": 20, "aht_s": 240,
             "answer_rate": 0.3, "talk_s": 180},
            {"start": "09:30", "queue": "sales", "calls": 20, "aht_s": 240, "leads": 0},
        ],
        "method": "simulate",
        "roster": {"09:00": {"operators": 8}, "09:30": {"operators": 8}},
        "outbound": {"campaigns": ["renewals"], "answer_rate": 0.25, "talk_s": 120},
        "simulation": {"replications": 3, "seed": 2},
        "rules": "simple",
    }  # fmt: skip
    status, answer = await _post(client, body)
    if status == 422:  # an API without the service's settings has no campaign
        assert "campaigns come from the service's configuration" in answer["error"]["message"]
        return
    assert status == 200, answer
    rows = {r["start"]: r for r in answer["outbound"]}
    assert list(rows) == ["09:00", "09:30", "day"]
    first, second = rows["09:00"], rows["09:30"]
    assert (first["campaign"], first["queue"], first["mode"]) == ("renewals", "sales", "predictive")
    assert (first["answer_rate"], first["talk_s"]) == (0.3, 180)
    assert (second["answer_rate"], second["leads"], second["attempts"]) == (0.25, 0, 0)
    assert first["connects"] > 10
    assert first["attempts_low"] <= first["attempts"] <= first["attempts_high"]
    assert rows["day"]["outbound_abandon_rate"] <= 0.03


@pytest.mark.parametrize(
    ("outbound", "says"),
    [
        ({"campaigns": ["winback"], "answer_rate": 0.3, "talk_s": 180}, "no campaign 'winback'"),
        ({"campaigns": ["renewals"]}, "profile[0]: answer_rate is empty"),
    ],
)
async def test_bad_blended_requests_are_refused_with_a_reason(
    client: aiohttp.ClientSession, outbound: dict[str, Any], says: str
) -> None:
    body = {
        "profile": [{"start": "09:00", "queue": "sales", "calls": 20, "aht_s": 240, "leads": 5}],
        "method": "simulate",
        "roster": {"09:00": {"operators": 8}},
        "outbound": outbound,
        "rules": "simple",
    }
    status, answer = await _post(client, body)
    assert status == 422, answer
    message = answer["error"]["message"]
    assert says in message or "campaigns come from the service's configuration" in message
