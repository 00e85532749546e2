"""Two tenants' campaigns dial the same numbers through the service on the simulated
Asterisk: a number on acme's do-not-call list is never dialled for acme but is for
globex; a number on the center's list is dialled for nobody. A number typed for a
click-to-call is checked against the lists of the tenants its operator serves."""

from __future__ import annotations

from typing import Any

import pytest

from callrouter.dialer.store import DialRefused
from callrouter.sim import SimControl, SimulatedAsterisk
from callrouter.store import open_pool
from tests.calls.harness import eventually, make_settings, running_service
from tests.calls.test_outbound_compliance import customer_originates
from tests.calls.test_outbound_pacing import campaign, fetch, script_customers, start_campaign

ACME_ONLY, CENTER, NOBODYS = "+14155550811", "+14155550812", "+14155550813"
PHONES = [ACME_ONLY, CENTER, NOBODYS]
TENANTS: dict[str, Any] = {
    "tenants": {"acme": {"name": "ACME"}, "globex": {"name": "Globex"}},
    "queues": {
        "acme-q": {"tenant": "acme", "wrapup_s": 0},
        "globex-q": {"tenant": "globex", "wrapup_s": 0},
    },
    "operators": {
        "anna": {
            "endpoint": "PJSIP/101",
            "queues": {"acme-q": 0, "globex-q": 0},
            "logged_in": True,
        },
    },
    "routes": {},
    "dialer": {"caller_id": "+14155550000"},
    "campaigns": {
        "acme-c": campaign(queue="acme-q", tenant="acme", mode="progressive"),
        "globex-c": campaign(queue="globex-q", tenant="globex", mode="progressive"),
    },
}


async def test_each_campaign_is_checked_against_the_centers_list_and_its_tenants(
    sim: SimulatedAsterisk, sim_control: SimControl, db_dsn: str
) -> None:
    # Busy: every attempt ends at once, so the operator stays free for the next one.
    await script_customers(sim_control, PHONES, behavior="busy")
    settings = make_settings(sim, **TENANTS)
    for name in ("acme-c", "globex-c"):
        await start_campaign(db_dsn, settings, name, PHONES)
    async with open_pool(db_dsn, max_size=1) as pool:
        await pool.execute(
            "INSERT INTO do_not_call (phone, tenant) VALUES ($1, 'acme'), ($2, NULL)",
            ACME_ONLY, CENTER,
        )  # fmt: skip
    async with running_service(settings, db_dsn):

        async def every_lead_settled() -> list[Any] | None:
            rows = await fetch(
                db_dsn,
                "SELECT c.name, l.phone, l.status, l.attempts FROM leads l"
                " JOIN campaigns c ON c.id = l.campaign_id ORDER BY c.name, l.phone",
            )
            settled = all(r["status"] == "dnc" or r["attempts"] > 0 for r in rows)
            return rows if settled and len(rows) == 6 else None

        leads = await eventually(every_lead_settled, what="every lead dialled or refused")

        async def three_dialled() -> list[str] | None:
            # An attempt is recorded right before its originate: wait for the requests.
            sent = [r["params"]["endpoint"] for r in await customer_originates(sim_control)]
            return sent if len(sent) >= 3 else None

        dialled = await eventually(three_dialled, what="three customers dialled")
    statuses = {(r["name"], r["phone"]): r["status"] == "dnc" for r in leads}
    assert statuses == {
        ("acme-c", ACME_ONLY): True,
        ("acme-c", CENTER): True,
        ("acme-c", NOBODYS): False,
        ("globex-c", ACME_ONLY): False,
        ("globex-c", CENTER): True,
        ("globex-c", NOBODYS): False,
    }
    assert sorted(dialled) == sorted(
        f"PJSIP/{phone}@pstn" for phone in (ACME_ONLY, NOBODYS, NOBODYS)
    )


async def test_a_typed_number_is_checked_against_the_lists_of_the_operators_tenants(
    sim: SimulatedAsterisk, sim_control: SimControl, db_dsn: str
) -> None:
    for operator in ("101", "102"):
        await sim_control.set_endpoint("PJSIP", operator, behavior="answer", answer_after=0.05)
    operators = {
        **TENANTS["operators"],
        "gus": {"endpoint": "PJSIP/102", "queues": {"globex-q": 0}, "logged_in": True},
    }
    settings = make_settings(sim, **{**TENANTS, "operators": operators, "campaigns": {}})
    async with open_pool(db_dsn, max_size=1) as pool:
        await pool.execute("INSERT INTO do_not_call (phone, tenant) VALUES ($1, 'acme')", ACME_ONLY)
    async with running_service(settings, db_dsn) as service:
        assert service.parts is not None and service.parts.center is not None
        center = service.parts.center
        # anna serves acme too: acme's list applies to whatever number she types.
        with pytest.raises(DialRefused, match="do-not-call"):
            await center.click_to_call(
                operator_id="anna", number=ACME_ONLY, caller_id=None, campaign_id=None,
                lead_id=None,
            )  # fmt: skip
        # gus serves globex alone: acme's list is none of his business.
        await center.click_to_call(
            operator_id="gus", number=ACME_ONLY, caller_id=None, campaign_id=None, lead_id=None
        )

        async def operator_rung() -> list[str] | None:
            log = await sim_control.requests()
            rung = [r["params"]["endpoint"] for r in log if r["params"].get("endpoint")]
            return rung or None

        assert await eventually(operator_rung, what="gus's phone rung") == ["PJSIP/102"]
