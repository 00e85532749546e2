"""``lookup`` over a socket against the real customer directory in PostgreSQL."""

from __future__ import annotations

import asyncpg
from structlog.testing import capture_logs

from callrouter.agi import STATUS_VARIABLE, build_routes
from callrouter.agi.fakes import InMemoryOperatorControl
from callrouter.agi.planner import DidRoutePlanner
from callrouter.calls._agi_ports import DatabaseCustomerDirectory
from callrouter.calls._settings import SettingsHolder
from callrouter.config import Settings
from tests.agi.asterisk_fake import FakeAsterisk, make_env
from tests.agi.conftest import StartServer


async def _lookup(start_server: StartServer, pool: asyncpg.Pool, **env: str) -> FakeAsterisk:
    routes = build_routes(
        directory=DatabaseCustomerDirectory(pool, settings=SettingsHolder(Settings())),
        planner=DidRoutePlanner(did_queues={}, is_open=lambda _q, _now: True),
        operators=InMemoryOperatorControl(endpoints=set()),
    )
    server = await start_server(routes)
    fake = FakeAsterisk(env=make_env("lookup", **env))
    await fake.run(server.port)
    await server.close(grace_s=5)
    return fake


async def test_lookup_with_nul_in_caller_id_is_answered(
    start_server: StartServer, db_pool: asyncpg.Pool
) -> None:
    with capture_logs() as logs:
        fake = await _lookup(
            start_server, db_pool, agi_callerid="+4930\x001234", agi_calleridname="Eve\x00"
        )
    assert fake.variables[STATUS_VARIABLE] == "SUCCESS"
    assert fake.variables["CR_CUSTOMER_FOUND"] == "0"
    assert not [e for e in logs if e["log_level"] in ("error", "critical")]
