"""One phone, a card in each tenant: a call gets the card and the priority of the tenant
whose number it called, end to end through the service on the simulated Asterisk (the
screen pop a CRM receives, the operator panel's card and past calls, the call's row,
the order operators take callers in)."""

from __future__ import annotations

from typing import Any

import aiohttp
import asyncpg

from callrouter.acd import OperatorLoggedIn
from callrouter.sim import SimControl, SimulatedAsterisk
from callrouter.store.directory import upsert_customer
from callrouter.web import hash_secret
from tests.calls.harness import eventually, final_call_row, make_settings, running_service
from tests.crm.receiver import Receiver
from tests.web.test_panel_api import _session

CALLER = "+4930123456"
HTTP = {"enabled": True, "host": "127.0.0.1", "port": 0, "token": "a-long-random-token-0123456789"}
TENANTS: dict[str, Any] = {
    "tenants": {"acme": {"name": "ACME"}, "globex": {"name": "Globex"}},
    "queues": {
        "acme-support": {"tenant": "acme", "join_empty": True, "wrapup_s": 0},
        "globex-sales": {"tenant": "globex", "join_empty": True, "wrapup_s": 0},
        "support": {"join_empty": True, "wrapup_s": 0},
    },
    "operators": {
        "anna": {
            "endpoint": "PJSIP/101",
            "queues": {"acme-support": 0, "globex-sales": 0, "support": 0},
            "panel_secret_hash": hash_secret("4711", iterations=1000),
        },
    },
    "routes": {"100": "acme-support", "200": "globex-sales", "300": "support"},
}


async def _seed_cards(dsn: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        await upsert_customer(
            conn, phone=CALLER, name="Vera at ACME", tenant="acme", tier="vip", priority=10
        )
        await upsert_customer(
            conn, phone=CALLER, name="Vera at Globex", tenant="globex", tier="silver",
            priority=3,
        )  # fmt: skip
    finally:
        await conn.close()


async def _panel_card(
    panel: aiohttp.ClientSession, base: str, router: Any
) -> tuple[str | None, int]:
    """The operator panel's card of anna's call now: (customer name, past calls)."""
    call_id = router.engine.snapshot().operator("anna").call_id
    async with panel.get(f"{base}/operator/api/card?call_id={call_id}") as got:
        assert got.status == 200, await got.text()
        card = await got.json()
    return (card["customer"] or {}).get("name"), len(card["past_calls"])


async def test_a_caller_gets_the_card_and_priority_of_the_tenant_they_called(
    sim: SimulatedAsterisk, sim_control: SimControl, db_dsn: str
) -> None:
    await _seed_cards(db_dsn)
    await sim_control.set_endpoint("PJSIP", "101", behavior="answer", answer_after=0.05)
    crm = Receiver()
    await crm.start()
    try:
        settings = make_settings(
            sim, crm={"webhooks": {"offered": f"{crm.url}/offered"}}, http=HTTP, **TENANTS
        )
        async with running_service(settings, db_dsn) as service:
            assert service.parts is not None and service.parts.api is not None
            router = service.parts.router
            base = f"http://127.0.0.1:{service.parts.api.port}"
            panel = await _session(base, "anna")
            # The same number calls the three numbers, the default tenant's first.
            callers = [
                (await sim_control.place_call(caller_number=CALLER, exten=exten))["id"]
                for exten in ("300", "200", "100")
            ]

            async def all_waiting() -> dict[str, int] | None:
                calls = router.engine.snapshot().calls
                return {c.queue: c.priority for c in calls} if len(calls) == 3 else None

            priorities = await eventually(all_waiting, what="three callers waiting")
            assert priorities == {"acme-support": 10, "globex-sales": 3, "support": 0}
            # One operator for all three: she takes them by their tenant's priority.
            cards: list[tuple[str | None, int]] = []
            router.apply(OperatorLoggedIn("anna", router.now()))
            for served in range(1, 4):

                async def bridged_caller() -> str | None:
                    bridges = (await sim_control.state())["bridges"]
                    pairs = [b["channels"] for b in bridges if len(b["channels"]) == 2]
                    return next((c for p in pairs for c in p if c in callers), None)

                caller = await eventually(bridged_caller, what=f"caller {served} connected")
                cards.append(await _panel_card(panel, base, router))
                await sim_control.hangup(caller)
                callers.remove(caller)
                await final_call_row(db_dsn, count=served)

            async def three_pops() -> list[dict[str, Any]] | None:
                pops = [h.json for h in crm.hits if h.event == "call.offered"]
                return pops if len(pops) == 3 else None

            pops = await eventually(three_pops, what="three screen pops delivered")
            await panel.close()
    finally:
        await crm.stop()
    assert [(p["queue"], (p["customer"] or {}).get("name")) for p in pops] == [
        ("acme-support", "Vera at ACME"),
        ("globex-sales", "Vera at Globex"),
        ("support", None),
    ]
    assert [(p["customer"] or {}).get("tier") for p in pops] == ["vip", "silver", None]
    # The panel shows the same card, and only the tenant's own past calls of the number.
    assert cards == [("Vera at ACME", 0), ("Vera at Globex", 0), (None, 0)]
    rows = await final_call_row(db_dsn, count=3)
    assert {(r["queue_name"], r["tenant"], r["priority"]) for r in rows} == {
        ("acme-support", "acme", 10),
        ("globex-sales", "globex", 3),
        ("support", "default", 0),
    }
