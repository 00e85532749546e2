"""Fairness between tenants on the wire: the service against the simulated Asterisk and
PostgreSQL. anna serves acme's and globex's queues; while she talks, an acme caller
queues, then a globex caller. When she hangs up, the fairness rule names who is next:
the simulator bridges that caller with her, and the rows say so."""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest

from callrouter.sim import SimControl, SimulatedAsterisk
from tests.calls.harness import eventually, final_call_row, make_settings, running_service

from .test_call_path import TENANTS

# mode -> the tenants' settings and queues' service levels, and who anna takes first.
CASES: dict[str, tuple[dict[str, Any], dict[str, float], str]] = {
    # Tenants do not matter: the acme caller has waited longer.
    "none": ({"globex": {"priority": 5, "weight": 5}}, {}, "acme"),
    "priority": ({"globex": {"priority": 5}}, {}, "globex"),
    # globex's caller has waited a larger share of 5 s than acme's of 600 s.
    "sla_risk": ({}, {"acme-support": 600, "globex-sales": 5}, "globex"),
    "weighted": ({"globex": {"weight": 3}}, {}, "globex"),
}


async def _row(dsn: str, channel_id: str) -> asyncpg.Record | None:
    conn = await asyncpg.connect(dsn)
    try:
        return await conn.fetchrow("SELECT * FROM calls WHERE channel_id = $1", channel_id)
    finally:
        await conn.close()


async def _bridged_with_anna(sim_control: SimControl, callers: dict[str, str]) -> str | None:
    """The tenant whose caller is in a two-party bridge now, if any."""
    for bridge in (await sim_control.state())["bridges"]:
        for tenant, channel in callers.items():
            if len(bridge["channels"]) == 2 and channel in bridge["channels"]:
                return tenant
    return None


@pytest.mark.parametrize("mode", sorted(CASES))
async def test_a_shared_operator_takes_the_caller_the_fairness_rule_names(
    mode: str, sim: SimulatedAsterisk, sim_control: SimControl, db_dsn: str
) -> None:
    shares, levels, first = CASES[mode]
    tenants = {t: {**TENANTS["tenants"][t], **shares.get(t, {})} for t in ("acme", "globex")}
    queues = {
        name: {**queue, "service_level_s": levels.get(name, 20.0)}
        for name, queue in TENANTS["queues"].items()
    }
    await sim_control.set_endpoint("PJSIP", "101", behavior="answer", answer_after=0.05)
    settings = make_settings(
        sim, **{**TENANTS, "tenants": tenants, "queues": queues, "tenant_fairness": {"mode": mode}}
    )
    async with running_service(settings, db_dsn):
        talking = await sim_control.place_call(exten="100")

        async def anna_busy() -> bool:
            state = await sim_control.state()
            return any(talking["id"] in b["channels"] for b in state["bridges"])

        await eventually(anna_busy, what="anna talking")
        callers: dict[str, str] = {}
        for tenant, exten in (("acme", "100"), ("globex", "200")):
            callers[tenant] = (await sim_control.place_call(exten=exten))["id"]

            async def queued(channel: str = callers[tenant]) -> asyncpg.Record | None:
                row = await _row(db_dsn, channel)
                return row if row is not None and row["queued_at"] is not None else None

            await eventually(queued, what=f"the {tenant} caller queued")
        assert await _bridged_with_anna(sim_control, callers) is None
        await sim_control.hangup(talking["id"])
        taken = await eventually(
            lambda: _bridged_with_anna(sim_control, callers), what="anna's next caller"
        )
        assert taken == first
        other = "globex" if first == "acme" else "acme"
        await sim_control.hangup(callers[first])
        rest = {other: callers[other]}
        await eventually(lambda: _bridged_with_anna(sim_control, rest), what="then the other")
        await sim_control.hangup(callers[other])
        await final_call_row(db_dsn, count=3)
    rows = {tenant: await _row(db_dsn, channel) for tenant, channel in callers.items()}
    assert {t: (r["tenant"], r["operator_id"], r["outcome"]) for t, r in rows.items() if r} == {
        "acme": ("acme", "anna", "answered"),
        "globex": ("globex", "anna", "answered"),
    }
    # Both waited; the one the rule named was answered first.
    chosen, then = rows[first], rows[other]
    assert chosen is not None and then is not None
    assert chosen["answered_at"] < then["answered_at"]
