"""A tenant's token controls its own calls in progress even before their rows are
written (rows go to PostgreSQL in batches): the call itself says whose it is. The
``calls`` table is locked here, so no row can be written while the requests run."""

from __future__ import annotations

import asyncpg

from callrouter.sim import SimControl, SimulatedAsterisk
from tests.calls.harness import running_service
from tests.tenants.two_clients import ACME, GLOBEX, busy_afternoon, http, two_clients


async def test_a_tenant_monitors_its_live_call_before_its_row_is_written(
    sim: SimulatedAsterisk, sim_control: SimControl, db_dsn: str
) -> None:
    async with running_service(two_clients(sim), db_dsn) as service:
        assert service.parts is not None and service.parts.api is not None
        base = f"http://127.0.0.1:{service.parts.api.port}"
        calls = await busy_afternoon(sim_control, base)
        listen = {"supervisor": "sue", "mode": "listen", "endpoint": "PJSIP/150"}
        api = f"{base}/api/v1/calls/{calls.acme_call}"
        lock = await asyncpg.connect(db_dsn)
        try:
            async with lock.transaction():
                await lock.execute("LOCK TABLE calls IN ACCESS EXCLUSIVE MODE")
                async with http(GLOBEX) as globex, globex.post(f"{api}/monitor", json=listen) as r:
                    assert r.status == 404, await r.text()
                async with http(ACME) as acme, acme.post(f"{api}/monitor", json=listen) as r:
                    assert r.status == 201, await r.text()
        finally:
            await lock.close()
