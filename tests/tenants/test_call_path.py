"""Calls through the simulated Asterisk land in their queue's tenant: the call row, every
event and the recording carry it, written by the journal with no extra query."""

from __future__ import annotations

from typing import Any

import asyncpg

from callrouter.sim import SimControl, SimulatedAsterisk
from tests.calls.harness import eventually, final_call_row, make_settings, running_service

TENANTS: dict[str, Any] = {
    "tenants": {"acme": {"name": "ACME"}, "globex": {"name": "Globex"}},
    "queues": {
        "acme-support": {"tenant": "acme", "ring_timeout_s": 5, "wrapup_s": 0},
        "globex-sales": {"tenant": "globex", "ring_timeout_s": 5, "wrapup_s": 0},
    },
    "operators": {
        "anna": {
            "endpoint": "PJSIP/101",
            "queues": {"acme-support": 0, "globex-sales": 0},
            "logged_in": True,
        },
    },
    "routes": {"100": "acme-support", "200": "globex-sales"},
}


async def _tenants_of(dsn: str, table: str) -> dict[str, set[str]]:
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch(
            f"SELECT c.queue_name, t.tenant FROM {table} t JOIN calls c ON c.id = t.call_id"
        )
    finally:
        await conn.close()
    found: dict[str, set[str]] = {}
    for row in rows:
        found.setdefault(row["queue_name"], set()).add(row["tenant"])
    return found


async def test_every_row_of_a_call_carries_its_queues_tenant(
    sim: SimulatedAsterisk, sim_control: SimControl, db_dsn: str
) -> None:
    await sim_control.set_endpoint("PJSIP", "101", behavior="answer", answer_after=0.05)
    settings = make_settings(sim, **TENANTS)
    async with running_service(settings, db_dsn):
        for exten in ("100", "200"):
            caller = await sim_control.place_call(exten=exten)

            async def bridged() -> bool:
                state = await sim_control.state()
                return any(len(b["channels"]) == 2 for b in state["bridges"])

            await eventually(bridged, what=f"the call to {exten} connected")
            await sim_control.hangup(caller["id"])
            await final_call_row(db_dsn, count=1 if exten == "100" else 2)
        rows = await final_call_row(db_dsn, count=2)
    assert {(r["queue_name"], r["tenant"]) for r in rows} == {
        ("acme-support", "acme"),
        ("globex-sales", "globex"),
    }
    expected = {"acme-support": {"acme"}, "globex-sales": {"globex"}}
    assert await _tenants_of(db_dsn, "call_events") == expected
    assert await _tenants_of(db_dsn, "recordings") == expected
