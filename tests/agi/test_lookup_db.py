"""``lookup`` over a socket against the real customer directory in PostgreSQL: the card
is the one of the called number's tenant."""

from __future__ import annotations

import asyncpg
import pytest
from structlog.testing import capture_logs

from callrouter.agi import STATUS_VARIABLE, build_routes
from callrouter.agi.fakes import InMemoryOperatorControl
from callrouter.calls._agi_ports import DatabaseCustomerDirectory, ReloadingRoutePlanner
from callrouter.calls._settings import SettingsHolder
from callrouter.config import Settings
from callrouter.store.directory import upsert_customer
from tests.agi.asterisk_fake import FakeAsterisk, make_env
from tests.agi.conftest import StartServer

CALLER = "+4930123456"
TWO_TENANTS = Settings.model_validate(
    {
        "tenants": {"acme": {"name": "ACME"}, "globex": {"name": "Globex"}},
        "queues": {"acme-q": {"tenant": "acme"}, "globex-q": {"tenant": "globex"}},
        "routes": {"+4940100": "acme-q", "200": "globex-q"},
    }
)


async def _lookup(
    start_server: StartServer, pool: asyncpg.Pool, settings: Settings, script: str, **env: str
) -> FakeAsterisk:
    holder = SettingsHolder(settings)
    planner = ReloadingRoutePlanner(holder)
    routes = build_routes(
        directory=DatabaseCustomerDirectory(pool, settings=holder, queue_for=planner.queue_for),
        planner=planner,
        operators=InMemoryOperatorControl(endpoints=set()),
    )
    server = await start_server(routes)
    fake = FakeAsterisk(env=make_env(script, **env))
    await fake.run(server.port)
    await server.close(grace_s=5)
    return fake


async def test_lookup_with_nul_in_caller_id_is_answered(
    start_server: StartServer, db_pool: asyncpg.Pool
) -> None:
    with capture_logs() as logs:
        fake = await _lookup(
            start_server, db_pool, Settings(), "lookup",
            agi_callerid="+4930\x001234", agi_calleridname="Eve\x00",
        )  # fmt: skip
    assert fake.variables[STATUS_VARIABLE] == "SUCCESS"
    assert fake.variables["CR_CUSTOMER_FOUND"] == "0"
    assert not [e for e in logs if e["log_level"] in ("error", "critical")]


@pytest.mark.parametrize(
    ("script", "env", "expected"),
    [
        # The dialplan's own call: the DID is the extension.
        ("lookup", {"agi_extension": "4940100"}, "Vera at ACME"),
        ("lookup", {"agi_extension": "200"}, "Vera at Globex"),
        # An explicit ?did= wins over the extension; +/no + spellings both route.
        ("lookup?did=%2B4940100", {"agi_extension": "200"}, "Vera at ACME"),
        # The DNID when the extension is not a number (an s extension).
        ("lookup", {"agi_extension": "s", "agi_dnid": "200"}, "Vera at Globex"),
        # A number no route knows, or none at all: the tenant default's card.
        ("lookup", {"agi_extension": "999"}, "Vera at the center"),
        ("lookup", {}, "Vera at the center"),
    ],
)
async def test_lookup_finds_the_card_of_the_called_numbers_tenant(
    start_server: StartServer,
    db_pool: asyncpg.Pool,
    script: str,
    env: dict[str, str],
    expected: str,
) -> None:
    async with db_pool.acquire() as conn:
        for tenant, name, tier in (
            ("acme", "Vera at ACME", "gold"),
            ("globex", "Vera at Globex", "standard"),
            ("default", "Vera at the center", "silver"),
        ):
            await upsert_customer(conn, phone=CALLER, name=name, tenant=tenant, tier=tier)
    fake = await _lookup(start_server, db_pool, TWO_TENANTS, script, agi_callerid=CALLER, **env)
    assert fake.variables["CR_CUSTOMER_FOUND"] == "1"
    assert fake.variables["CR_CUSTOMER_NAME"] == expected
    assert fake.variables["CALLERID(name)"] == expected


async def test_lookup_finds_no_card_of_another_tenant(
    start_server: StartServer, db_pool: asyncpg.Pool
) -> None:
    async with db_pool.acquire() as conn:
        await upsert_customer(conn, phone=CALLER, name="Vera at ACME", tenant="acme", tier="vip")
    fake = await _lookup(
        start_server, db_pool, TWO_TENANTS, "lookup", agi_callerid=CALLER, agi_extension="200"
    )
    assert fake.variables["CR_CUSTOMER_FOUND"] == "0"
    assert fake.variables["CR_CUSTOMER_NAME"] == ""
    assert fake.variables["CR_CUSTOMER_TIER"] == ""
