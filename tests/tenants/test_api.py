"""A tenant's token on the HTTP API, over real sockets and a real PostgreSQL: it reads
and changes only its own tenant's data; the center's token sees everything.

The cross-tenant test is generated from the route table: every route either refuses a
tenant's token (403) or, given the other tenant's ids, answers 404 / lists none of
its rows. A route added later is covered without anyone remembering to."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import aiohttp
import asyncpg
import pytest
from pydantic import SecretStr

from callrouter.api import ROUTES, TENANT_ROUTES, ApiServer, Route, TenantAccess
from callrouter.api.fakes import FakeCallCenter, FakeRecording
from callrouter.config import HttpSettings, Settings

ADMIN = "admin-token-0123456789abcdef"
ACME = "acme-token-0123456789abcdef"
GLOBEX = "globex-token-0123456789abcdef"
T0 = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)

SETTINGS = Settings.model_validate(
    {
        "tenants": {"acme": {"tokens": [ACME]}, "globex": {"tokens": [GLOBEX]}},
        "queues": {"acme-q": {"tenant": "acme"}, "globex-q": {"tenant": "globex"}},
        "operators": {
            "anna": {"endpoint": "PJSIP/anna", "queues": {"acme-q": 0, "globex-q": 0}},
            "gus": {"endpoint": "PJSIP/gus", "queues": {"globex-q": 0}},
        },
        "campaigns": {
            "acme-c": {"tenant": "acme", "queue": "acme-q", "mode": "preview"},
            "globex-c": {"tenant": "globex", "queue": "globex-q", "mode": "preview"},
        },
    }
)


async def _seed_tenant(pool: asyncpg.Pool, tenant: str) -> dict[str, Any]:
    """One call (with an event and a recording), campaign, lead, attempt, customer,
    do-not-call entry and callback of ``tenant``, as the service writes them."""
    queue, call_id = f"{tenant}-q", uuid.uuid4()
    settings = f'{{"tenant": "{tenant}"}}'
    await pool.execute("INSERT INTO queues (name, settings) VALUES ($1, $2)", queue, settings)
    await pool.execute(
        "INSERT INTO calls (id, direction, caller_number, queue_name, created_at, tenant)"
        " VALUES ($1, 'inbound', $2, $3, $4, $5)",
        call_id, f"+1-{tenant}", queue, T0, tenant,
    )  # fmt: skip
    await pool.execute(
        "INSERT INTO call_events (call_id, at, event, queue_name, tenant)"
        " VALUES ($1, $2, 'ENTERQUEUE', $3, $4)",
        call_id, T0, queue, tenant,
    )  # fmt: skip
    await pool.execute(
        "INSERT INTO recordings (call_id, name, format, state, started_at, tenant)"
        " VALUES ($1, $2, 'wav', 'done', $3, $4)",
        call_id, f"rec-{tenant}", T0, tenant,
    )  # fmt: skip
    campaign_id = await pool.fetchval(
        "INSERT INTO campaigns (name, mode, queue_name, settings) VALUES ($1, 'preview', $2, $3)"
        " RETURNING id",
        f"{tenant}-c", queue, settings,
    )  # fmt: skip
    lead_id = await pool.fetchval(
        "INSERT INTO leads (campaign_id, key, phone, timezone) VALUES ($1, 'k', $2, 'UTC')"
        " RETURNING id",
        campaign_id, f"+1-{tenant}",
    )  # fmt: skip
    attempt_id = await pool.fetchval(
        "INSERT INTO attempts (campaign_id, lead_id, call_id, started_at) VALUES ($1, $2, $3, $4)"
        " RETURNING id",
        campaign_id, lead_id, call_id, T0,
    )  # fmt: skip
    await pool.execute(
        "INSERT INTO customers (phone, name, tenant) VALUES ($1, $2, $3)",
        f"+1-{tenant}", f"customer of {tenant}", tenant,
    )  # fmt: skip
    await pool.execute(
        "INSERT INTO do_not_call (phone, tenant) VALUES ($1, $2)", f"+1-{tenant}", tenant
    )
    await pool.execute(
        "INSERT INTO callbacks (queue_name, phone, queued_at, requested_at, due_at)"
        " VALUES ($1, $2, $3, $3, $3)",
        queue, f"+1-{tenant}", T0,
    )  # fmt: skip
    for op in ("anna", "gus"):
        await pool.execute(
            "INSERT INTO operators (id, endpoint) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            op, f"PJSIP/{op}",
        )  # fmt: skip
    return {
        "call_id": str(call_id),
        "attempt_id": attempt_id,
        "campaign_id": campaign_id,
        "lead_id": lead_id,
        "campaign": f"{tenant}-c",
        "queue": queue,
        "operator_id": "gus" if tenant == "globex" else "anna",
        "phone": f"+1-{tenant}",
    }


@pytest.fixture
async def seeded(db_pool: asyncpg.Pool) -> dict[str, dict[str, Any]]:
    return {tenant: await _seed_tenant(db_pool, tenant) for tenant in ("acme", "globex")}


@pytest.fixture
def center(seeded: dict[str, dict[str, Any]]) -> FakeCallCenter:
    # The fake serves any call's recording and any queue: only the API's own checks
    # can keep globex's from acme.
    return FakeCallCenter(
        operators={"anna": "available", "gus": "available"},
        queues={"acme-q": {"waiting": 1}, "globex-q": {"waiting": 7}},
        recordings={
            ids["call_id"]: FakeRecording(chunks=[b"RIFF-" + t.encode()])
            for t, ids in seeded.items()
        },
    )


@pytest.fixture
async def api(center: FakeCallCenter, db_pool: asyncpg.Pool) -> AsyncIterator[ApiServer]:
    settings = HttpSettings(host="127.0.0.1", port=0, token=SecretStr(ADMIN))
    tenants = TenantAccess.from_settings(SETTINGS)
    async with ApiServer(settings=settings, center=center, pool=db_pool, tenants=tenants) as s:
        yield s


async def _get(api: ApiServer, token: str, path: str, **query: str) -> tuple[int, str]:
    headers = {"Authorization": f"Bearer {token}"}
    async with (
        aiohttp.ClientSession(base_url=api.url, headers=headers) as http,
        http.get(path, params=query) as response,
    ):
        return response.status, await response.text()


async def _post(api: ApiServer, token: str, path: str, body: dict[str, Any]) -> int:
    headers = {"Authorization": f"Bearer {token}"}
    async with (
        aiohttp.ClientSession(base_url=api.url, headers=headers) as http,
        http.post(path, json=body) as response,
    ):
        return response.status


async def test_a_tenant_lists_only_its_calls_the_center_all(
    api: ApiServer, seeded: dict[str, dict[str, Any]]
) -> None:
    acme, globex = seeded["acme"]["call_id"], seeded["globex"]["call_id"]
    status, body = await _get(api, ACME, "/api/v1/calls")
    assert status == 200 and acme in body and globex not in body
    status, body = await _get(api, ADMIN, "/api/v1/calls")
    assert status == 200 and acme in body and globex in body


async def test_another_tenants_call_recording_campaign_is_404(
    api: ApiServer, center: FakeCallCenter, seeded: dict[str, dict[str, Any]]
) -> None:
    globex = seeded["globex"]
    assert (await _get(api, ACME, f"/api/v1/calls/{globex['call_id']}"))[0] == 404
    assert (await _get(api, ACME, f"/api/v1/calls/{globex['call_id']}/recording"))[0] == 404
    next_lead = "/api/v1/campaigns/globex-c/next-lead"
    assert await _post(api, ACME, next_lead, {"operator_id": "anna"}) == 404
    # Refused by the API itself: the call center never heard of these requests.
    assert [c.method for c in center.calls] == []
    # Its own are there, and the other tenant's token reaches its own.
    status, body = await _get(api, ACME, f"/api/v1/calls/{seeded['acme']['call_id']}")
    assert status == 200 and "rec-acme" in body
    assert (await _get(api, GLOBEX, f"/api/v1/calls/{globex['call_id']}"))[0] == 200


async def test_queues_and_operators_show_a_tenant_its_own(api: ApiServer) -> None:
    _, queues = await _get(api, ACME, "/api/v1/queues")
    assert "acme-q" in queues and "globex-q" not in queues
    _, operators = await _get(api, ACME, "/api/v1/operators")
    assert '"anna"' in operators and '"gus"' not in operators  # anna serves both
    _, operators = await _get(api, GLOBEX, "/api/v1/operators")
    assert '"anna"' in operators and '"gus"' in operators


SAMPLE_QUERY = {"from": "2026-03-02"}


def _path_for(route: Route, ids: dict[str, Any]) -> str:
    names = re.findall(r"{(\w+)}", route.path)
    missing = [n for n in names if n not in ids]
    assert not missing, f"{route.path}: give the cross-tenant test a value for {missing}"
    path = route.path
    for name in names:
        path = path.replace(f"{{{name}}}", str(ids[name]))
    return path


def _required_query(route: Route) -> dict[str, str]:
    if route.query is None:
        return {}
    required = {
        (f.alias or name) for name, f in route.query.model_fields.items() if f.is_required()
    }
    missing = required - set(SAMPLE_QUERY)
    assert not missing, f"{route.path}: give the cross-tenant test a value for {missing}"
    return {k: v for k, v in SAMPLE_QUERY.items() if k in required}


def test_every_tenant_route_exists() -> None:
    assert {(r.method, r.path) for r in ROUTES} >= TENANT_ROUTES


@pytest.mark.parametrize(
    "route", [r for r in ROUTES if r.auth], ids=lambda r: f"{r.method} {r.path}"
)
async def test_no_route_reads_across_tenants(
    api: ApiServer, center: FakeCallCenter, seeded: dict[str, dict[str, Any]], route: Route
) -> None:
    globex = seeded["globex"]
    # A well-formed monitoring id: only the call's owner decides the answer.
    path = _path_for(route, {**globex, "monitor_id": "0" * 32})
    if route.method == "POST":
        status = await _post(api, ACME, path, {"queue": "acme-q"})
        if "{" not in route.path and (route.method, route.path) in TENANT_ROUTES:
            return  # a POST without an id names its targets in the body: tested apart
        # Another tenant's id in the path is 404 whatever the body says (call control's
        # bodies are not even valid here): it is checked before the body is read.
        expected = 404 if (route.method, route.path) in TENANT_ROUTES else 403
        assert status == expected, (path, status)
        assert center.calls == [], f"{path} reached the call center"
        return
    status, body = await _get(api, ACME, path, **_required_query(route))
    if (route.method, route.path) not in TENANT_ROUTES:
        assert status == 403, (path, status)
        return
    if "{" in route.path:
        assert status == 404, (path, status, body)
        return
    assert status == 200, (path, status, body)
    for value in (globex["call_id"], "globex", "+1-globex", "gus"):
        assert value not in body, (path, value)


async def test_targets_named_in_a_body_must_be_the_tenants(
    api: ApiServer, center: FakeCallCenter, seeded: dict[str, dict[str, Any]]
) -> None:
    globex = seeded["globex"]
    due = "2026-03-03T10:00:00Z"
    refused = [
        ("/api/v1/calls", {"operator_id": "gus", "number": "+15550100"}),
        (
            "/api/v1/calls",
            {
                "operator_id": "anna",
                "lead_id": globex["lead_id"],
                "campaign_id": globex["campaign_id"],
            },
        ),
        ("/api/v1/callbacks", {"phone": "+15550100", "queue": "globex-q", "due_at": due}),
        (f"/api/v1/calls/{seeded['acme']['call_id']}/transfer", {"queue": "globex-q"}),
    ]
    for path, body in refused:
        assert await _post(api, ACME, path, body) == 404, (path, body)
    assert center.calls == []
    ok = {"phone": "+15550100", "queue": "acme-q", "due_at": due}
    assert await _post(api, ACME, "/api/v1/callbacks", ok) == 201


async def _call(
    api: ApiServer, token: str, method: str, path: str, body: dict[str, Any] | None = None
) -> tuple[int, Any]:
    headers = {"Authorization": f"Bearer {token}"}
    async with (
        aiohttp.ClientSession(base_url=api.url, headers=headers) as http,
        http.request(method, path, json=body) as response,
    ):
        return response.status, await response.json()


PHONE, OTHER = "+12125550100", "+12125550101"


@pytest.mark.usefixtures("seeded")
async def test_each_tenant_creates_and_reads_its_own_card_of_one_phone(api: ApiServer) -> None:
    for token, name, tier in ((ACME, "Vera at ACME", "vip"), (GLOBEX, "Vera at Globex", "x")):
        card = {"phone": PHONE, "name": name, "tier": tier}
        status, saved = await _call(api, token, "POST", "/api/v1/customers", card)
        assert (status, saved["created"], saved["name"]) == (200, True, name)
    replace = {"phone": PHONE, "name": "Vera at ACME", "priority": 7}
    status, again = await _call(api, ACME, "POST", "/api/v1/customers", replace)
    assert (status, again["created"], again["tenant"], again["priority"]) == (200, False, "acme", 7)
    one = f"/api/v1/customers/{PHONE}"
    _, acme = await _call(api, ACME, "GET", one)
    _, globex = await _call(api, GLOBEX, "GET", one)
    assert (acme["name"], acme["priority"]) == ("Vera at ACME", 7)
    assert (globex["name"], globex["priority"], globex["tenant"]) == ("Vera at Globex", 0, "globex")
    # The center's token reads the tenant it names, else default (which has no card).
    assert (await _call(api, ADMIN, "GET", one))[0] == 404
    _, named = await _call(api, ADMIN, "GET", f"{one}?tenant=globex")
    assert named["name"] == "Vera at Globex"
    _, listed = await _call(api, GLOBEX, "GET", "/api/v1/customers")
    assert {c["name"] for c in listed["customers"]} == {"Vera at Globex", "customer of globex"}
    # A tenant's token naming another tenant, or the center naming none known: 404.
    other = {"phone": OTHER, "name": "x", "tenant": "globex"}
    assert (await _call(api, ACME, "POST", "/api/v1/customers", other))[0] == 404
    assert (await _call(api, ACME, "GET", f"{one}?tenant=globex"))[0] == 404
    unknown = {"phone": OTHER, "name": "x", "tenant": "initech"}
    assert (await _call(api, ADMIN, "POST", "/api/v1/customers", unknown))[0] == 404


@pytest.mark.usefixtures("seeded")
async def test_do_not_call_lists_per_tenant_over_http(api: ApiServer) -> None:
    status, added = await _call(api, ADMIN, "POST", "/api/v1/dnc", {"numbers": [PHONE]})
    assert (status, added["added"]) == (200, 1)  # the center's list
    await _call(api, ACME, "POST", "/api/v1/dnc", {"numbers": [OTHER], "reason": "asked"})
    _, acme = await _call(api, ACME, "GET", "/api/v1/dnc")
    assert [(e["phone"], e["tenant"]) for e in acme["entries"]] == [
        ("+1-acme", "acme"), (PHONE, None), (OTHER, "acme"),
    ]  # fmt: skip
    _, globex = await _call(api, GLOBEX, "GET", "/api/v1/dnc")
    assert [(e["phone"], e["tenant"]) for e in globex["entries"]] == [
        ("+1-globex", "globex"), (PHONE, None),
    ]  # fmt: skip
    # A tenant's token neither removes the center's entry nor names another's list.
    _, removed = await _call(api, ACME, "POST", "/api/v1/dnc/remove", {"numbers": [PHONE]})
    assert removed == {"removed": [], "not_found": [PHONE]}
    body = {"numbers": [OTHER], "tenant": "globex"}
    assert (await _call(api, ACME, "POST", "/api/v1/dnc", body))[0] == 404
    # The center's token may write a tenant's list by naming it.
    assert (await _call(api, ADMIN, "POST", "/api/v1/dnc", body))[0] == 200
    _, globex = await _call(api, GLOBEX, "GET", "/api/v1/dnc")
    assert (OTHER, "globex") in [(e["phone"], e["tenant"]) for e in globex["entries"]]
