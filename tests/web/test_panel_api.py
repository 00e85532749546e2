"""The operator panel's own endpoints over HTTP with the session cookie (no browser):
a preview lead with its script, the call in one click, the card of that call with the
campaign's dispositions, the disposition saved, a callback scheduled; and an operator
acts only as themselves."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import asyncpg

from callrouter.dialer import CampaignEvent
from callrouter.dialer.store import change_campaign_state, import_leads, sync_campaigns
from callrouter.sim import SimControl, SimulatedAsterisk
from callrouter.store import open_pool
from callrouter.web import hash_secret
from tests.calls.harness import eventually, make_settings, running_service

TOKEN = "a-long-random-test-token-0123456789"
ALWAYS = {"mon-sun": ["00:00-24:00"]}


def _settings(sim: SimulatedAsterisk) -> Any:
    secret = hash_secret("4711", iterations=1000)
    return make_settings(
        sim,
        dialer={"caller_id": "+14155550000"},
        http={"enabled": True, "host": "127.0.0.1", "port": 0, "token": TOKEN},
        queues={"support": {}},
        operators={
            "anna": {"name": "Anna", "endpoint": "PJSIP/101", "queues": {"support": 0},
                     "logged_in": True, "panel_secret_hash": secret},
            "boris": {"endpoint": "PJSIP/102", "queues": {"support": 0}, "logged_in": True,
                      "panel_secret_hash": secret},
        },
        campaigns={"survey": {
            "mode": "preview", "queue": "support", "windows": ALWAYS, "default_region": "US",
            "script": "Hi {name}, calling about your {product} from {campaign}.",
            "dispositions": {"sale": {"effect": "done"}, "no-interest": {"effect": "done"}},
        }},
    )  # fmt: skip


async def _session(base: str, operator: str) -> aiohttp.ClientSession:
    # unsafe: keep cookies for 127.0.0.1 (aiohttp drops cookies of bare IPs by default).
    http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
    async with http.post(
        f"{base}/operator/api/session", json={"operator_id": operator, "secret": "4711"}
    ) as response:
        assert response.status == 200, await response.text()
    return http


async def test_preview_call_card_disposition_and_callback_from_the_panel(
    sim: SimulatedAsterisk, sim_control: SimControl, db_dsn: str
) -> None:
    await sim_control.set_endpoint("PJSIP", "101", behavior="answer", answer_after=0.1)
    settings = _settings(sim)
    async with open_pool(db_dsn, max_size=1) as pool, pool.acquire() as conn:
        await sync_campaigns(conn, settings)
        await import_leads(
            conn, "survey", ["phone,name,product\n", "+14155550177,Zoe <i>,solar panels\n"],
            now=datetime.now(UTC),
        )  # fmt: skip
        await change_campaign_state(conn, "survey", CampaignEvent.START)
    async with running_service(settings, db_dsn) as service:
        assert service.parts is not None and service.parts.api is not None
        base = f"http://127.0.0.1:{service.parts.api.port}"
        anna = await _session(base, "anna")
        boris = await _session(base, "boris")
        try:
            async with anna.get(f"{base}/operator/api/me") as response:
                me = await response.json()
            assert me["campaigns"][0]["dispositions"] == ["no-interest", "sale"]
            async with anna.post(
                f"{base}/operator/api/next-lead", json={"campaign": "survey"}
            ) as response:
                assert response.status == 200, await response.text()
                lead = await response.json()
            assert lead["script_html"] == (
                "<p>Hi <strong>Zoe &lt;i&gt;</strong>, calling about your"
                " <strong>solar panels</strong> from <strong>survey</strong>.</p>"
            )
            async with anna.post(
                f"{base}/operator/api/call",
                json={"lead_id": lead["lead_id"], "campaign_id": lead["campaign_id"]},
            ) as response:
                assert response.status == 202, await response.text()
                call_id = (await response.json())["call_id"]

            async def card() -> dict[str, Any] | None:
                async with anna.get(f"{base}/operator/api/card?call_id={call_id}") as got:
                    return await got.json() if got.status == 200 else None

            shown = await eventually(card, what="the card of anna's preview call")
            campaign = shown["campaign"]
            assert campaign["name"] == "survey"
            assert campaign["dispositions"] == ["no-interest", "sale"]
            # boris sees neither anna's card nor may he dispose of her attempt.
            async with boris.get(f"{base}/operator/api/card?call_id={call_id}") as got:
                assert got.status == 404
            body = {"attempt_id": campaign["attempt_id"], "disposition": "sale", "note": "2 kW"}
            async with boris.post(f"{base}/operator/api/disposition", json=body) as got:
                assert got.status == 404
            async with anna.post(f"{base}/operator/api/disposition", json=body) as got:
                assert got.status == 200, await got.text()
                assert (await got.json())["disposition"] == "sale"
            due = (datetime.now(UTC) + timedelta(hours=2)).isoformat()
            async with anna.post(
                f"{base}/operator/api/callback",
                json={"phone": "+14155550123", "queue": "support", "due_at": due,
                      "name": "Zoe", "for_me": True},
            ) as got:  # fmt: skip
                assert got.status == 201, await got.text()
            # A form posted from another site cannot act: the body must be JSON.
            async with anna.post(
                f"{base}/operator/api/state", data="action=logout",
                headers={"Content-Type": "application/x-www-form-urlencoded"},
            ) as got:  # fmt: skip
                assert got.status == 415
        finally:
            await anna.close()
            await boris.close()
    conn = await asyncpg.connect(db_dsn)
    try:
        attempt = await conn.fetchrow("SELECT disposition, disposition_note FROM attempts")
        callback = await conn.fetchrow("SELECT operator_id, queue_name FROM callbacks")
    finally:
        await conn.close()
    assert (attempt["disposition"], attempt["disposition_note"]) == ("sale", "2 kW")
    assert (callback["operator_id"], callback["queue_name"]) == ("anna", "support")
