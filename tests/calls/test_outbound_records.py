"""Complete outbound records, end to end: attempts and calls carry the answer time,
hangup cause, recording and disposition with its note; dispositions drive the lead;
a campaign with nothing left to dial finishes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from callrouter.dialer.store import campaign_stats, outbound_queue_figures, set_disposition
from callrouter.sim import SimControl, SimulatedAsterisk
from callrouter.store import open_pool
from tests.calls.harness import call_events, eventually, make_settings, running_service
from tests.calls.test_inbound_flow import bridged_pairs
from tests.calls.test_outbound_pacing import campaign, fetch, script_customers, start_campaign

DISPOSITIONS = {
    "sale": {"effect": "done"},
    "call-back": {"effect": "callback", "after_s": 7200},
    "not-now": {"effect": "retry", "after_s": 600},
    "never": {"effect": "dnc"},
}


async def ended_attempts(dsn: str, count: int) -> list[asyncpg.Record] | None:
    rows = await fetch(dsn, "SELECT * FROM attempts WHERE ended_at IS NOT NULL ORDER BY id")
    return rows if len(rows) >= count else None


async def test_a_connected_campaign_call_has_complete_records_and_its_campaign_finishes(
    sim: SimulatedAsterisk, sim_control: SimControl, db_dsn: str
) -> None:
    phone = "+14155550901"
    await script_customers(sim_control, [phone], behavior="answer", answer_after=0.1)
    await sim_control.set_endpoint("PJSIP", "101", behavior="answer", answer_after=0.1,
                                   hangup_after=30)  # fmt: skip
    settings = make_settings(
        sim, queues={"support": {"wrapup_s": 0}},
        campaigns={"deals": campaign(mode="progressive", dispositions=DISPOSITIONS)},
    )  # fmt: skip
    await start_campaign(db_dsn, settings, "deals", [phone])
    async with running_service(settings, db_dsn):
        attempts = await eventually(lambda: ended_attempts(db_dsn, 1), what="the call ended")

        async def finished() -> bool:
            rows = await fetch(db_dsn, "SELECT state FROM campaigns")
            return rows[0]["state"] == "finished"

        await eventually(finished, what="the campaign finished")

        async def with_cause() -> list[asyncpg.Record] | None:
            rows = await fetch(db_dsn, "SELECT * FROM attempts WHERE hangup_cause IS NOT NULL")
            return rows or None

        attempt = (await eventually(with_cause, what="the attempt's hangup cause"))[0]
    assert attempt["outcome"] == "connected" and attempt["operator_id"] == "anna"
    assert attempt["answered_at"] is not None and attempt["talk_s"] is not None
    assert attempt["recording"] == f"callrouter-{attempts[0]['call_id']}"
    call = (await fetch(db_dsn, "SELECT * FROM calls WHERE id = $1", attempt["call_id"]))[0]
    assert (call["queue_name"], call["outcome"]) == ("support", "answered")
    assert call["hangup_cause"] is not None
    async with open_pool(db_dsn, max_size=1) as pool, pool.acquire() as conn:
        stats = await campaign_stats(conn, "deals")
        figures = await outbound_queue_figures(conn, since=datetime.now(UTC) - timedelta(hours=1))
        # the customer asks to be called back in two hours, after the call
        row = await set_disposition(conn, attempt["id"], "call-back", note="after 6 pm")
    assert stats.by_outcome == {"connected": 1} and stats.avg_talk_s is not None
    assert stats.window_abandon_rate == 0.0 and stats.day_abandon_rate == 0.0
    assert [(f.queue, f.dialled, f.connected, f.abandoned) for f in figures] == [
        ("support", 1, 1, 0)
    ]
    assert (row["disposition"], row["note"]) == ("call-back", "after 6 pm")
    lead = (await fetch(db_dsn, "SELECT * FROM leads"))[0]
    assert lead["status"] == "pending"
    assert lead["next_attempt_at"] - datetime.now(UTC) > timedelta(minutes=110)
    call = (await fetch(db_dsn, "SELECT * FROM calls WHERE id = $1", attempt["call_id"]))[0]
    assert (call["disposition"], call["disposition_note"]) == ("call-back", "after 6 pm")


async def test_a_preview_call_row_has_queue_caller_number_and_complete_line(
    sim: SimulatedAsterisk, sim_control: SimControl, db_dsn: str
) -> None:
    phone = "+14155550911"
    await sim_control.set_endpoint("PJSIP", "101", behavior="answer", answer_after=0.1)
    await sim_control.set_endpoint("PJSIP", f"{phone}@pstn", behavior="answer",
                                   answer_after=0.1, hangup_after=20)  # fmt: skip
    settings = make_settings(sim, campaigns={"survey": campaign(mode="preview")})
    await start_campaign(db_dsn, settings, "survey", [phone])
    async with running_service(settings, db_dsn) as service:
        assert service.parts is not None and service.parts.center is not None
        lead = await service.parts.center.next_lead("survey", "anna")
        call_id = await service.parts.center.click_to_call(
            operator_id="anna", number=phone, caller_id=None, campaign_id=None,
            lead_id=lead["lead_id"],
        )  # fmt: skip
        await eventually(lambda: bridged_pairs(sim_control), what="the lead connected")
        attempts = await eventually(lambda: ended_attempts(db_dsn, 1), what="the call ended")
    call = (await fetch(db_dsn, "SELECT * FROM calls WHERE id = $1", call_id))[0]
    expected: dict[str, Any] = {
        "queue_name": "support", "caller_number": "+14155550000", "outcome": "answered",
        "operator_id": "anna",
    }  # fmt: skip
    assert {k: call[k] for k in expected} == expected
    assert call["hangup_cause"] is not None
    assert "COMPLETECALLER" in await call_events(db_dsn, call["id"])
    attempt = attempts[0]
    assert attempt["outcome"] == "connected" and attempt["answered_at"] is not None
    assert attempt["recording"] == f"callrouter-{call_id}"
