"""The rules at the moment of dialling, on every path: do-not-call, calling windows, the
lead's own number, and a caller ID always presented. On the simulator, over the wire."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import asyncpg
import pytest

from callrouter.dialer.store import DialRefused
from callrouter.sim import SimControl, SimulatedAsterisk
from tests.calls.harness import eventually, make_settings, running_service
from tests.calls.test_inbound_flow import bridged_pairs
from tests.calls.test_outbound_pacing import campaign, fetch, script_customers, start_campaign

DEFAULT_CID = "+14155550000"
CAMPAIGN_CID = "+14155559999"
HTTP = {"enabled": True, "host": "127.0.0.1", "port": 0, "token": "compliance-token"}


async def customer_originates(control: SimControl) -> list[dict[str, Any]]:
    log = await control.requests()
    return [
        r for r in log
        if r["method"] == "POST" and str(r["params"].get("endpoint", "")).endswith("@pstn")
    ]  # fmt: skip


async def add_dnc(dsn: str, phone: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(
            "INSERT INTO do_not_call (phone, reason, source) VALUES ($1, 'asked', 'test')", phone
        )
    finally:
        await conn.close()


async def test_dnc_added_after_a_preview_claim_blocks_the_call(
    sim: SimulatedAsterisk, sim_control: SimControl, db_dsn: str
) -> None:
    await sim_control.set_endpoint("PJSIP", "101", behavior="answer", answer_after=0.1)
    settings = make_settings(
        sim, http=HTTP, dialer={"caller_id": DEFAULT_CID},
        campaigns={"survey": campaign(mode="preview")},
    )  # fmt: skip
    await start_campaign(db_dsn, settings, "survey", ["+14155550701"])
    async with running_service(settings, db_dsn) as service:
        assert service.parts is not None and service.parts.api is not None
        base = f"http://127.0.0.1:{service.parts.api.port}/api/v1"
        headers = {"Authorization": "Bearer compliance-token"}
        async with aiohttp.ClientSession(headers=headers) as http:
            async with http.post(
                f"{base}/campaigns/survey/next-lead", json={"operator_id": "anna"}
            ) as got:
                lead = await got.json()
            await add_dnc(db_dsn, lead["phone"])  # the customer asked, after the claim
            body = {"operator_id": "anna", "number": lead["phone"], "lead_id": lead["lead_id"]}
            async with http.post(f"{base}/calls", json=body) as refused:
                assert refused.status == 409, await refused.text()
                assert "do-not-call" in json.dumps(await refused.json())
        assert await customer_originates(sim_control) == []
        assert service.parts.router.engine.snapshot().operator("anna").state.value == "available"
    rows = await fetch(db_dsn, "SELECT status FROM leads")
    assert [r["status"] for r in rows] == ["dnc"]


async def test_a_preview_call_dials_the_leads_own_number_with_the_campaigns_caller_id(
    sim: SimulatedAsterisk, sim_control: SimControl, db_dsn: str
) -> None:
    await sim_control.set_endpoint("PJSIP", "101", behavior="answer", answer_after=0.1)
    await sim_control.set_endpoint(
        "PJSIP", "+14155550702@pstn", behavior="answer", answer_after=0.1
    )
    settings = make_settings(
        sim, dialer={"caller_id": DEFAULT_CID},
        campaigns={"survey": campaign(mode="preview", caller_id=CAMPAIGN_CID)},
    )  # fmt: skip
    await start_campaign(db_dsn, settings, "survey", ["+14155550702"])
    async with running_service(settings, db_dsn) as service:
        assert service.parts is not None and service.parts.center is not None
        assert service.parts.clicks is not None
        lead = await service.parts.center.next_lead("survey", "anna")
        with pytest.raises(DialRefused, match="own number"):
            await service.parts.clicks.start(
                operator_id="anna", number="+14155550799", caller_id=None,
                lead_id=lead["lead_id"],
            )  # fmt: skip
        await service.parts.clicks.start(
            operator_id="anna", number=None, caller_id=None, lead_id=lead["lead_id"]
        )
        await eventually(lambda: bridged_pairs(sim_control), what="the lead connected")
        dialled = await customer_originates(sim_control)
    assert [r["params"]["endpoint"] for r in dialled] == ["PJSIP/+14155550702@pstn"]
    assert dialled[0]["params"]["callerId"] == CAMPAIGN_CID
    call = await fetch(db_dsn, "SELECT campaign_id, lead_id, caller_number FROM calls")
    assert call[0]["lead_id"] == lead["lead_id"] and call[0]["campaign_id"] is not None
    assert call[0]["caller_number"] == CAMPAIGN_CID


async def test_a_preview_lead_outside_its_window_now_is_refused(
    sim: SimulatedAsterisk, sim_control: SimControl, db_dsn: str
) -> None:
    await sim_control.set_endpoint("PJSIP", "101", behavior="answer", answer_after=0.1)
    settings = make_settings(
        sim, dialer={"caller_id": DEFAULT_CID}, campaigns={"survey": campaign(mode="preview")}
    )
    await start_campaign(db_dsn, settings, "survey", ["+14155550703"])
    async with running_service(settings, db_dsn) as service:
        assert service.parts is not None and service.parts.center is not None
        lead = await service.parts.center.next_lead("survey", "anna")
        conn = await asyncpg.connect(db_dsn)
        try:  # a supervisor closes today in every zone
            today = datetime.now(UTC).date()
            holidays = [str(today + timedelta(days=d)) for d in (-1, 0, 1)]
            await conn.execute(
                "UPDATE campaigns SET settings = settings || jsonb_build_object("
                "'holidays', $1::jsonb)", json.dumps(holidays),
            )  # fmt: skip
            await conn.execute("UPDATE campaigns SET windows = '{\"sun\": [\"00:00-00:01\"]}'")
        finally:
            await conn.close()
        with pytest.raises(DialRefused, match="calling window"):
            await service.parts.center.click_to_call(
                operator_id="anna", number=lead["phone"], caller_id=None, campaign_id=None,
                lead_id=lead["lead_id"],
            )  # fmt: skip
        assert await customer_originates(sim_control) == []


async def test_caller_id_on_every_automatic_path_and_none_without_one(
    sim: SimulatedAsterisk, sim_control: SimControl, db_dsn: str
) -> None:
    """Progressive with the campaign's caller ID, a callback with the default; with no
    caller ID configured at all, nothing is dialled and click-to-call is refused."""
    await script_customers(
        sim_control, ["+14155550711", "+14155550712"], behavior="answer", answer_after=0.1
    )
    await sim_control.set_endpoint("PJSIP", "101", behavior="answer", answer_after=0.1,
                                   hangup_after=50)  # fmt: skip
    settings = make_settings(
        sim, dialer={"caller_id": DEFAULT_CID},
        campaigns={"renewals": campaign(mode="progressive", caller_id=CAMPAIGN_CID)},
    )  # fmt: skip
    await start_campaign(db_dsn, settings, "renewals", ["+14155550711"])
    async with running_service(settings, db_dsn) as service:
        assert service.parts is not None and service.parts.center is not None
        await service.parts.center.schedule_callback(
            phone="+14155550712", queue="support", due_at=datetime.now(UTC), name="Cal",
            note=None,
        )  # fmt: skip

        async def both() -> list[dict[str, Any]] | None:
            found = await customer_originates(sim_control)
            return found if len(found) == 2 else None

        dialled = await eventually(both, what="the lead and the callback dialled")
    by_endpoint = {r["params"]["endpoint"]: r["params"].get("callerId") for r in dialled}
    assert by_endpoint == {
        "PJSIP/+14155550711@pstn": CAMPAIGN_CID,
        "PJSIP/+14155550712@pstn": DEFAULT_CID,
    }


async def test_without_any_caller_id_nothing_is_dialled(
    sim: SimulatedAsterisk, sim_control: SimControl, db_dsn: str
) -> None:
    await sim_control.set_endpoint("PJSIP", "101", behavior="answer", answer_after=0.1)
    settings = make_settings(
        sim, campaigns={"anon": campaign(mode="progressive", caller_id="")}
    )
    await start_campaign(db_dsn, settings, "anon", ["+14155550721"])
    async with running_service(settings, db_dsn) as service:
        assert service.parts is not None and service.parts.center is not None
        with pytest.raises(DialRefused, match="Anonymous"):
            await service.parts.center.click_to_call(
                operator_id="anna", number="+14155550722", caller_id=None, campaign_id=None,
                lead_id=None,
            )  # fmt: skip

        async def warned() -> bool:
            rows = await fetch(db_dsn, "SELECT status FROM leads")
            return rows[0]["status"] == "pending"

        await eventually(warned, what="the lead left alone")
        assert await customer_originates(sim_control) == []


async def test_a_callback_to_a_number_put_on_dnc_is_cancelled_not_dialled(
    sim: SimulatedAsterisk, sim_control: SimControl, db_dsn: str
) -> None:
    await sim_control.set_endpoint("PJSIP", "101", behavior="answer", answer_after=0.1)
    settings = make_settings(sim, dialer={"caller_id": DEFAULT_CID})
    await add_dnc(db_dsn, "+14155550731")
    async with running_service(settings, db_dsn) as service:
        assert service.parts is not None and service.parts.center is not None
        callback = await service.parts.center.schedule_callback(
            phone="+14155550731", queue="support", due_at=datetime.now(UTC), name="Dee",
            note=None,
        )  # fmt: skip

        async def cancelled() -> list[asyncpg.Record]:
            return await fetch(
                db_dsn, "SELECT * FROM callbacks WHERE id = $1 AND status = 'cancelled'",
                callback,
            )  # fmt: skip

        await eventually(cancelled, what="the callback cancelled")
        assert await customer_originates(sim_control) == []
