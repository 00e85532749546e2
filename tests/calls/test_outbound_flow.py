"""Outbound calls end to end: click-to-call and a progressive campaign, on the wire."""

from __future__ import annotations

from datetime import UTC, datetime

import aiohttp
import asyncpg

from callrouter.dialer import CampaignEvent
from callrouter.dialer.store import change_campaign_state, import_leads, sync_campaigns
from callrouter.sim import SimControl, SimulatedAsterisk
from callrouter.store import open_pool
from tests.calls.harness import ari_requests, eventually, make_settings, running_service
from tests.calls.test_inbound_flow import bridged_pairs

ALWAYS = {"mon-sun": ["00:00-24:00"]}
# Customers are never called as Anonymous: every path presents this.
DIALER = {"caller_id": "+14155550000"}


async def test_click_to_call_rings_operator_then_customer(
    sim: SimulatedAsterisk, sim_control: SimControl, db_dsn: str
) -> None:
    await sim_control.set_endpoint("PJSIP", "101", behavior="answer", answer_after=0.2)
    await sim_control.set_endpoint("PJSIP", "+4930123456@pstn", behavior="answer", answer_after=0.3)
    settings = make_settings(sim, dialer={"default_region": "DE", "caller_id": "+4930999"})
    async with running_service(settings, db_dsn) as service:
        assert service.parts is not None and service.parts.center is not None
        call_id = await service.parts.center.click_to_call(
            operator_id="anna", number="030 123456", caller_id=None, campaign_id=None, lead_id=None
        )
        await eventually(lambda: bridged_pairs(sim_control), what="operator and customer bridged")
        assert service.parts.router.engine.snapshot().operator("anna").pause_reason == "outbound"
        log = await sim_control.requests()
        endpoints = [r["params"]["endpoint"] for r in log if r["params"].get("endpoint")]
        assert endpoints == ["PJSIP/101", "PJSIP/+4930123456@pstn"]
        customer = next(r for r in log if r["params"].get("endpoint", "").endswith("@pstn"))
        await sim_control.hangup(customer["path"].rsplit("/", 1)[1])

        async def finished() -> asyncpg.Record | None:
            conn = await asyncpg.connect(db_dsn)
            try:
                return await conn.fetchrow(
                    "SELECT * FROM calls WHERE id = $1 AND outcome IS NOT NULL", call_id
                )
            finally:
                await conn.close()

        row = await eventually(finished, what="click-to-call row final")
        assert service.parts.router.engine.snapshot().operator("anna").state.value == "available"
    assert (row["direction"], row["outcome"], row["operator_id"]) == (
        "outbound",
        "answered",
        "anna",
    )
    assert row["called_number"] == "+4930123456"


async def test_progressive_campaign_dials_and_connects_and_retries(
    sim: SimulatedAsterisk, sim_control: SimControl, db_dsn: str
) -> None:
    await sim_control.set_stasis_context("callrouter-outbound", "callrouter,outbound")
    await sim_control.set_endpoint(
        "PJSIP", "101", behavior="answer", answer_after=0.1, hangup_after=2
    )
    await sim_control.set_endpoint(
        "PJSIP", "+14155550101@pstn", behavior="answer", answer_after=0.2
    )
    await sim_control.set_endpoint("PJSIP", "+14155550102@pstn", behavior="busy")
    await sim_control.set_endpoint("PJSIP", "+14155550104@pstn", behavior="noanswer")
    await sim_control.set_endpoint("PJSIP", "+14155550105@pstn", online=False)
    await sim_control.set_endpoint(
        "PJSIP", "+14155550103@pstn", behavior="machine", answer_after=0.2
    )
    settings = make_settings(
        sim,
        dialer=DIALER,
        queues={"support": {"wrapup_s": 0.1}},
        campaigns={
            "winback": {
                "mode": "progressive",
                "queue": "support",
                "windows": ALWAYS,
                "default_timezone": "UTC",
                "default_region": "US",
            }
        },
    )
    async with open_pool(db_dsn, max_size=1) as pool, pool.acquire() as conn:
        await sync_campaigns(conn, settings)
        report = await import_leads(
            conn,
            "winback",
            [
                "phone,name\n",
                "+14155550101,Ann\n",
                "+14155550102,Bo\n",
                "+14155550103,Cy\n",
                "+14155550104,Di\n",
                "+14155550105,Ed\n",
            ],
            now=datetime.now(UTC),
        )
        assert report.inserted == 5
        await change_campaign_state(conn, "winback", CampaignEvent.START)

    async def three_attempts_ended() -> list[asyncpg.Record] | None:
        conn = await asyncpg.connect(db_dsn)
        try:
            rows = await conn.fetch(
                "SELECT l.phone, a.outcome, l.status, l.next_attempt_at FROM attempts a"
                " JOIN leads l ON l.id = a.lead_id WHERE a.ended_at IS NOT NULL ORDER BY l.phone"
            )
        finally:
            await conn.close()
        return rows if len(rows) >= 5 else None

    async with running_service(settings, db_dsn):
        rows = await eventually(three_attempts_ended, what="five attempts ended")
        log = await sim_control.requests()
    outcomes = {r["phone"]: r["outcome"] for r in rows}
    assert outcomes == {
        "+14155550101": "connected",
        "+14155550102": "busy",
        "+14155550103": "machine",
        "+14155550104": "no_answer",
        "+14155550105": "failed",
    }
    busy = next(r for r in rows if r["phone"] == "+14155550102")
    assert busy["status"] == "pending" and busy["next_attempt_at"] is not None
    originates = [
        r
        for r in ari_requests(log, "POST", "/ari/channels/")
        if r["params"].get("endpoint", "").endswith("@pstn")
    ]
    assert {r["params"]["app"] for r in originates} == {"callrouter"}
    continues = ari_requests(log, "POST", "/continue")
    assert {r["params"]["context"] for r in continues} == {"callrouter-outbound"}
    conn = await asyncpg.connect(db_dsn)
    try:
        answered = await conn.fetchrow(
            "SELECT * FROM calls WHERE direction = 'outbound' AND outcome = 'answered'"
        )
    finally:
        await conn.close()
    assert answered["operator_id"] == "anna" and answered["lead_id"] is not None


async def test_customer_not_connected_in_time_is_abandoned_with_a_message(
    sim: SimulatedAsterisk, sim_control: SimControl, db_dsn: str
) -> None:
    await sim_control.set_stasis_context("callrouter-outbound", "callrouter,outbound")
    await sim_control.set_endpoint("PJSIP", "101", behavior="noanswer")
    await sim_control.set_endpoint(
        "PJSIP", "+14155550199@pstn", behavior="answer", answer_after=0.1
    )
    settings = make_settings(
        sim,
        queues={"support": {"ring_timeout_s": 30}},
        dialer={**DIALER, "abandon_after_s": 0.5},
        campaigns={
            "late": {"mode": "predictive", "queue": "support", "windows": ALWAYS,
                     "default_region": "US"}
        },
    )  # fmt: skip
    async with open_pool(db_dsn, max_size=1) as pool, pool.acquire() as conn:
        await sync_campaigns(conn, settings)
        await import_leads(conn, "late", ["phone\n", "+14155550199\n"], now=datetime.now(UTC))
        await change_campaign_state(conn, "late", CampaignEvent.START)

    async def attempt_ended() -> asyncpg.Record | None:
        conn = await asyncpg.connect(db_dsn)
        try:
            return await conn.fetchrow("SELECT * FROM attempts WHERE ended_at IS NOT NULL")
        finally:
            await conn.close()

    async with running_service(settings, db_dsn):
        attempt = await eventually(attempt_ended, what="the attempt to end")

        async def apology_played() -> bool:
            log = await sim_control.requests()
            return any(
                r["params"].get("media") == "sound:sorry-youre-having-problems"
                for r in ari_requests(log, "POST", "/play")
            )

        await eventually(apology_played, what="the abandon message")
    assert attempt["outcome"] == "abandoned"


async def test_callback_is_dialled_when_an_operator_is_free(
    sim: SimulatedAsterisk, sim_control: SimControl, db_dsn: str
) -> None:
    await sim_control.set_endpoint("PJSIP", "101", behavior="answer", answer_after=0.1)
    await sim_control.set_stasis_context("callrouter-outbound", "callrouter,outbound")
    await sim_control.set_endpoint("PJSIP", "+4930555@pstn", behavior="answer", answer_after=0.2)
    settings = make_settings(
        sim,
        dialer=DIALER,
        queues={"support": {"join_empty": True, "callback_key": "5"}},
        operators={"anna": {"endpoint": "PJSIP/101", "queues": {"support": 0}}},
    )
    async with running_service(settings, db_dsn) as service:
        caller = await sim_control.place_call(caller_number="+4930555", caller_name="Ida")

        async def on_hold() -> bool:
            return bool(ari_requests(await sim_control.requests(), "POST", "/moh"))

        await eventually(on_hold, what="caller waiting")
        await sim_control.send_dtmf(caller["id"], "5")

        async def callback_stored() -> bool:
            conn = await asyncpg.connect(db_dsn)
            try:
                return await conn.fetchval("SELECT count(*) FROM callbacks") == 1
            finally:
                await conn.close()

        await eventually(callback_stored, what="the callback row")
        assert service.parts is not None
        assert service.parts.center is not None
        await service.parts.center.operator_action("anna", "login", None)
        await eventually(lambda: bridged_pairs(sim_control), what="callback connected to anna")
        log = await sim_control.requests()
        dialled = [r for r in log if r["params"].get("endpoint") == "PJSIP/+4930555@pstn"]
        assert len(dialled) == 1
        customer = dialled[0]["path"].rsplit("/", 1)[1]
        await sim_control.hangup(customer)

        async def callback_done() -> asyncpg.Record | None:
            conn = await asyncpg.connect(db_dsn)
            try:
                return await conn.fetchrow("SELECT * FROM callbacks WHERE status = 'done'")
            finally:
                await conn.close()

        done = await eventually(callback_done, what="the callback marked done")
    assert done["operator_id"] == "anna" and done["attempts"] == 1


async def test_preview_campaign_next_lead_then_one_click_over_http(
    sim: SimulatedAsterisk, sim_control: SimControl, db_dsn: str
) -> None:
    await sim_control.set_endpoint("PJSIP", "101", behavior="answer", answer_after=0.1)
    await sim_control.set_endpoint("PJSIP", "+14155550177@pstn", behavior="busy")
    settings = make_settings(
        sim,
        dialer=DIALER,
        operators={
            "anna": {"endpoint": "PJSIP/101", "queues": {"support": 0}, "logged_in": True},
            "boris": {"endpoint": "PJSIP/102", "queues": {"support": 0}, "logged_in": True},
            "carl": {"endpoint": "PJSIP/103", "queues": {"sales": 0}, "logged_in": True},
        },
        queues={"support": {}, "sales": {}},
        http={"enabled": True, "host": "127.0.0.1", "port": 0, "token": "preview-token"},
        campaigns={
            "survey": {"mode": "preview", "queue": "support", "windows": ALWAYS,
                       "default_region": "US"}
        },
    )  # fmt: skip
    async with open_pool(db_dsn, max_size=1) as pool, pool.acquire() as conn:
        await sync_campaigns(conn, settings)
        await import_leads(
            conn, "survey", ["phone,name\n", "+14155550177,Zoe\n"], now=datetime.now(UTC)
        )
        await change_campaign_state(conn, "survey", CampaignEvent.START)
    async with running_service(settings, db_dsn) as service:
        assert service.parts is not None and service.parts.api is not None
        base = f"http://127.0.0.1:{service.parts.api.port}/api/v1"
        headers = {"Authorization": "Bearer preview-token"}
        async with aiohttp.ClientSession(headers=headers) as http:
            async with http.post(
                f"{base}/campaigns/survey/next-lead", json={"operator_id": "anna"}
            ) as got:
                assert got.status == 200, await got.text()
                lead = await got.json()
            assert (lead["phone"], lead["name"]) == ("+14155550177", "Zoe")
            async with http.post(
                f"{base}/campaigns/survey/next-lead", json={"operator_id": "anna"}
            ) as again:
                # one lead at a time: asking again gives back the lead anna holds
                assert again.status == 200 and (await again.json()) == lead
            async with http.post(
                f"{base}/campaigns/survey/next-lead", json={"operator_id": "boris"}
            ) as none:
                assert none.status == 404  # the only lead is anna's
            async with http.post(
                f"{base}/campaigns/survey/next-lead", json={"operator_id": "carl"}
            ) as outsider:
                assert outsider.status == 409  # carl does not serve the campaign's queue
            body = {
                "operator_id": "anna",
                "number": lead["phone"],
                "campaign_id": lead["campaign_id"],
                "lead_id": lead["lead_id"],
            }
            async with http.post(f"{base}/calls", json=body) as started:
                assert started.status == 202, await started.text()

        async def attempt_ended() -> asyncpg.Record | None:
            conn = await asyncpg.connect(db_dsn)
            try:
                return await conn.fetchrow(
                    "SELECT a.outcome, a.operator_id, l.status, l.next_attempt_at FROM attempts a"
                    " JOIN leads l ON l.id = a.lead_id WHERE a.ended_at IS NOT NULL"
                )
            finally:
                await conn.close()

        attempt = await eventually(attempt_ended, what="the preview attempt to end")
    assert (attempt["outcome"], attempt["operator_id"]) == ("busy", "anna")
    assert attempt["status"] == "pending" and attempt["next_attempt_at"] is not None


async def test_trunk_concurrency_limit_holds_back_the_next_line(
    sim: SimulatedAsterisk, sim_control: SimControl, db_dsn: str
) -> None:
    await sim_control.set_stasis_context("callrouter-outbound", "callrouter,outbound")
    for phone, operator in (("+14155550111", "101"), ("+14155550112", "102")):
        await sim_control.set_endpoint(
            "PJSIP", f"{phone}@pstn", behavior="answer", answer_after=0.1
        )
        await sim_control.set_endpoint(
            "PJSIP", operator, behavior="answer", answer_after=0.1, hangup_after=150
        )
    settings = make_settings(
        sim,
        dialer={**DIALER, "trunk_max_concurrent": 1},
        operators={
            "anna": {"endpoint": "PJSIP/101", "queues": {"support": 0}, "logged_in": True},
            "boris": {"endpoint": "PJSIP/102", "queues": {"support": 0}, "logged_in": True},
        },
        campaigns={
            "one-line": {"mode": "progressive", "queue": "support", "windows": ALWAYS,
                         "default_region": "US"}
        },
    )  # fmt: skip
    async with open_pool(db_dsn, max_size=1) as pool, pool.acquire() as conn:
        await sync_campaigns(conn, settings)
        leads = ["phone\n", "+14155550111\n", "+14155550112\n"]
        await import_leads(conn, "one-line", leads, now=datetime.now(UTC))
        await change_campaign_state(conn, "one-line", CampaignEvent.START)

    async def customer_lines() -> list[dict[str, object]]:
        log = await sim_control.requests()
        return [r for r in log if str(r["params"].get("endpoint", "")).endswith("@pstn")]

    async with running_service(settings, db_dsn):
        await eventually(lambda: bridged_pairs(sim_control), what="the first customer connected")
        assert len(await customer_lines()) == 1  # two operators free, one trunk line

        async def second_line() -> bool:
            return len(await customer_lines()) == 2

        await eventually(second_line, what="the second line once the first call ended")


async def test_scheduled_callback_is_dialled_when_due(
    sim: SimulatedAsterisk, sim_control: SimControl, db_dsn: str
) -> None:
    await sim_control.set_stasis_context("callrouter-outbound", "callrouter,outbound")
    await sim_control.set_endpoint("PJSIP", "101", behavior="answer", answer_after=0.1)
    await sim_control.set_endpoint("PJSIP", "+493055566@pstn", behavior="answer", answer_after=0.1)
    settings = make_settings(sim, dialer={**DIALER, "default_region": "DE"})
    async with running_service(settings, db_dsn) as service:
        assert service.parts is not None and service.parts.center is not None
        callback_id = await service.parts.center.schedule_callback(
            phone="030 55566", queue="support", due_at=datetime.now(UTC), name="Uwe", note=None
        )
        await eventually(lambda: bridged_pairs(sim_control), what="scheduled callback connected")
        conn = await asyncpg.connect(db_dsn)
        try:
            row = await conn.fetchrow("SELECT * FROM callbacks WHERE id = $1", callback_id)
        finally:
            await conn.close()
    assert (row["phone"], row["status"], row["attempts"]) == ("+493055566", "dialing", 1)


async def test_callback_reserved_for_one_operator_rings_them_first(
    sim: SimulatedAsterisk, sim_control: SimControl, db_dsn: str
) -> None:
    for endpoint in ("101", "102"):
        await sim_control.set_endpoint("PJSIP", endpoint, behavior="answer", answer_after=0.1)
    await sim_control.set_endpoint("PJSIP", "+493077788@pstn", behavior="answer", answer_after=0.1)
    settings = make_settings(
        sim,
        dialer={**DIALER, "default_region": "DE"},
        operators={
            "anna": {"endpoint": "PJSIP/101", "queues": {"support": 0}, "logged_in": True},
            "boris": {"endpoint": "PJSIP/102", "queues": {"support": 0}, "logged_in": True},
        },
    )
    async with running_service(settings, db_dsn) as service:
        assert service.parts is not None and service.parts.center is not None
        callback_id = await service.parts.center.schedule_callback(
            phone="030 77788", queue="support", due_at=datetime.now(UTC), name="Vera",
            note="promised by boris", operator_id="boris",
        )  # fmt: skip
        await eventually(lambda: bridged_pairs(sim_control), what="boris and the customer talk")
        log = await sim_control.requests()
        endpoints = [r["params"]["endpoint"] for r in log if r["params"].get("endpoint")]
        assert endpoints == ["PJSIP/102", "PJSIP/+493077788@pstn"]
        customer = next(r for r in log if r["params"].get("endpoint", "").endswith("@pstn"))
        await sim_control.hangup(customer["path"].rsplit("/", 1)[1])

        async def done() -> asyncpg.Record | None:
            conn = await asyncpg.connect(db_dsn)
            try:
                return await conn.fetchrow(
                    "SELECT * FROM callbacks WHERE id = $1 AND status = 'done'", callback_id
                )
            finally:
                await conn.close()

        row = await eventually(done, what="the reserved callback done")
    assert (row["operator_id"], row["attempts"]) == ("boris", 1)
