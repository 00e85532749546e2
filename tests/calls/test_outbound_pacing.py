"""The dialer's pacing and abandon rule end to end: the service on the simulator, the
abandon counts in a real PostgreSQL shared by every node."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
from structlog.testing import capture_logs

from callrouter.config import Settings
from callrouter.dialer import CampaignEvent
from callrouter.dialer.store import change_campaign_state, import_leads, sync_campaigns
from callrouter.sim import SimControl, SimulatedAsterisk
from callrouter.store import open_pool
from tests.calls.harness import call_events, eventually, make_settings, running_service
from tests.calls.test_inbound_flow import bridged_pairs

ALWAYS = {"mon-sun": ["00:00-24:00"]}
TWO_OPERATORS = {
    "anna": {"endpoint": "PJSIP/101", "queues": {"support": 0}, "logged_in": True},
    "boris": {"endpoint": "PJSIP/102", "queues": {"support": 0}, "logged_in": True},
}


def campaign(**overrides: Any) -> dict[str, Any]:
    return {"queue": "support", "windows": ALWAYS, "default_region": "US",
            "caller_id": "+14155550000", **overrides}  # fmt: skip


async def start_campaign(dsn: str, settings: Settings, name: str, phones: list[str]) -> None:
    async with open_pool(dsn, max_size=1) as pool, pool.acquire() as conn:
        await sync_campaigns(conn, settings)
        lines = ["phone\n", *(f"{p}\n" for p in phones)]
        await import_leads(conn, name, lines, now=datetime.now(UTC))
        await change_campaign_state(conn, name, CampaignEvent.START)


async def fetch(dsn: str, query: str, *args: object) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(dsn)
    try:
        return await conn.fetch(query, *args)
    finally:
        await conn.close()


async def script_customers(control: SimControl, phones: list[str], **script: Any) -> None:
    await control.set_stasis_context("callrouter-outbound", "callrouter,outbound")
    for phone in phones:
        await control.set_endpoint("PJSIP", f"{phone}@pstn", amd=True, **script)


async def test_slow_operators_brake_the_dialer_until_the_window_allows_again(
    sim: SimulatedAsterisk, sim_control: SimControl, db_dsn: str
) -> None:
    """Operators slower than the abandon limit: every answered customer is abandoned
    (from the answer, AMD included), hears the campaign's apology, and the dialer sends
    no new line until the abandons have aged out of the window; no operator is blamed
    with RINGNOANSWER for a ring the abandon cut short."""
    phones = [f"+1415555030{i}" for i in range(8)]
    await script_customers(sim_control, phones, behavior="answer", answer_after=0.1)
    for operator in ("101", "102"):
        # 1.5 s real at the simulator's time scale: far past the 0.4 s limit below
        await sim_control.set_endpoint("PJSIP", operator, behavior="answer", answer_after=150)
    window_s = 2.5
    settings = make_settings(
        sim,
        queues={"support": {"ring_timeout_s": 30, "wrapup_s": 0}},
        operators=TWO_OPERATORS,
        campaigns={"slow": campaign(
            mode="predictive", abandon_cap=0.2, abandon_after_s=0.4,
            abandon_window_s=window_s, apology_sound="custom/sorry-we-missed-you",
            abandon_min_answered=0,  # judge the rate on these few calls
        )},
    )  # fmt: skip
    await start_campaign(db_dsn, settings, "slow", phones)

    async def second_wave() -> list[asyncpg.Record] | None:
        rows = await fetch(db_dsn, "SELECT * FROM attempts ORDER BY started_at")
        return rows if len(rows) > 2 and all(r["ended_at"] for r in rows[:2]) else None

    async with running_service(settings, db_dsn):
        rows = await eventually(second_wave, what="a second wave of lines")
        log = await sim_control.requests()
    first, later = rows[:2], rows[2:]
    assert [r["outcome"] for r in first] == ["abandoned", "abandoned"]
    for row in first:
        assert row["answered_at"] is not None
        # abandoned 0.4 s after the answer, not after the end of AMD
        assert row["ended_at"] - row["answered_at"] < timedelta(seconds=1.2)
    # nothing dialled while the window held the abandons
    last_answer = max(r["answered_at"] for r in first)
    assert min(r["started_at"] for r in later) >= last_answer + timedelta(seconds=window_s)
    apologies = [r for r in log if r["params"].get("media") == "sound:custom/sorry-we-missed-you"]
    assert len(apologies) >= 2
    calls = await fetch(db_dsn, "SELECT id FROM calls WHERE outcome = 'abandoned'")
    for call in calls:
        assert "RINGNOANSWER" not in await call_events(db_dsn, call["id"])


async def test_abandons_of_another_node_hold_this_node_back(
    sim: SimulatedAsterisk, sim_control: SimControl, db_dsn: str
) -> None:
    """The window is counted in the database: another node's abandons brake this one."""
    phones = ["+14155550401", "+14155550402"]
    await script_customers(sim_control, phones, behavior="answer", answer_after=0.1)
    await sim_control.set_endpoint("PJSIP", "101", behavior="answer", answer_after=0.1)
    window_s = 2.0
    settings = make_settings(
        sim, campaigns={"shared": campaign(mode="progressive", abandon_window_s=window_s)}
    )
    await start_campaign(db_dsn, settings, "shared", phones)
    answered = datetime.now(UTC)
    conn = await asyncpg.connect(db_dsn)
    try:
        campaign_id, lead_id = await conn.fetchrow(
            "SELECT campaign_id, id FROM leads ORDER BY id LIMIT 1"
        )
        # Another node's morning: two abandons in three answered calls, just now
        # (2 / 50, the fewest answered calls a rate is judged on: 4%, over the cap).
        for outcome in ("abandoned", "abandoned", "connected"):
            await conn.execute(
                "INSERT INTO attempts (campaign_id, lead_id, started_at, answered_at,"
                " ended_at, outcome, node) VALUES ($1, $2, $3, $3, $3, $4, 'other-node')",
                campaign_id, lead_id, answered, outcome,
            )  # fmt: skip
    finally:
        await conn.close()

    async def dialled() -> list[asyncpg.Record]:
        return await fetch(
            db_dsn, "SELECT started_at FROM attempts WHERE node = 'test-node'"
        )

    async with running_service(settings, db_dsn):
        started = await eventually(dialled, what="this node's first line")
    assert started[0]["started_at"] >= answered + timedelta(seconds=window_s)


async def test_a_customer_talking_to_an_operator_is_not_waiting(
    sim: SimulatedAsterisk, sim_control: SimControl, db_dsn: str
) -> None:
    """One operator talks with a dialled customer, the other is free: the dialer dials
    for the free one at once instead of counting the connected customer as waiting."""
    phones = ["+14155550501", "+14155550502", "+14155550503"]
    await sim_control.set_stasis_context("callrouter-outbound", "callrouter,outbound")
    await sim_control.set_endpoint("PJSIP", f"{phones[0]}@pstn", behavior="answer",
                                   answer_after=0.1, amd=True)  # fmt: skip
    await sim_control.set_endpoint("PJSIP", f"{phones[1]}@pstn", behavior="busy")
    await sim_control.set_endpoint("PJSIP", f"{phones[2]}@pstn", behavior="answer",
                                   answer_after=0.1, amd=True)  # fmt: skip
    for operator in ("101", "102"):
        await sim_control.set_endpoint("PJSIP", operator, behavior="answer", answer_after=0.1)
    settings = make_settings(
        sim, operators=TWO_OPERATORS,
        campaigns={"blend": campaign(mode="progressive", limits={"max_per_second": 2})},
    )  # fmt: skip
    await start_campaign(db_dsn, settings, "blend", phones)

    async def both_talking() -> bool:
        return await bridged_pairs(sim_control) == 2

    async with running_service(settings, db_dsn):
        # the first customer never hangs up: only the free operator can take the third
        await eventually(both_talking, what="both operators talking to customers")


async def test_a_missing_apology_sound_is_a_clear_warning_at_start(
    sim: SimulatedAsterisk, db_dsn: str
) -> None:
    settings = make_settings(
        sim, campaigns={"quiet": campaign(apology_sound="not-installed-anywhere")}
    )
    with capture_logs() as logs:
        async with running_service(settings, db_dsn) as service:
            assert service.parts is not None and service.parts.dialer is not None

            async def checked() -> bool:
                return sum(e["event"].startswith("apology_sound") for e in logs) >= 2

            await eventually(checked, what="every apology sound checked")
    missing = [e for e in logs if e["event"] == "apology_sound_missing"]
    assert {e["sound"] for e in missing} >= {"not-installed-anywhere"}
    assert ["campaign:quiet"] in [e["used_by"] for e in missing]


async def test_an_amd_verdict_past_the_limit_is_an_abandon_with_the_apology(
    sim: SimulatedAsterisk, sim_control: SimControl, db_dsn: str
) -> None:
    """The clock runs from the answer: AMD longer than the limit leaves no time to
    connect, so a person detected too late hears the apology at once, and no operator
    is rung for them."""
    phone = "+14155550601"
    await script_customers(sim_control, [phone], behavior="answer", answer_after=0.1)
    await sim_control.set_endpoint("PJSIP", "101", behavior="answer", answer_after=0.1)
    await sim_control.set_sound("late-sorry", 0.5)
    settings = make_settings(
        sim, campaigns={"amd": campaign(mode="progressive", abandon_after_s=0.001,
                                        apology_sound="late-sorry")},
    )  # fmt: skip
    await start_campaign(db_dsn, settings, "amd", [phone])

    async def hung_up_after_apology() -> list[dict[str, Any]] | None:
        log = await sim_control.requests()
        played = [r for r in log if r["params"].get("media") == "sound:late-sorry"]
        customer_hangups = [
            r for r in log if r["method"] == "DELETE" and "/ari/channels/cr-" in r["path"]
        ]
        return log if played and customer_hangups else None

    async with running_service(settings, db_dsn):
        log = await eventually(hung_up_after_apology, what="the apology, then the hangup")
    rows = await fetch(db_dsn, "SELECT * FROM attempts")
    assert [(r["outcome"], r["answered_at"] is not None) for r in rows] == [("abandoned", True)]
    assert not [r for r in log if r["params"].get("endpoint") == "PJSIP/101"]
    call = await fetch(db_dsn, "SELECT outcome FROM calls")
    assert [c["outcome"] for c in call] == ["abandoned"]


async def test_an_installed_apology_sound_passes_the_check(
    sim: SimulatedAsterisk, sim_control: SimControl, db_dsn: str
) -> None:
    await sim_control.set_sound("custom/apology", 2.0)
    settings = make_settings(
        sim, campaigns={"polite": campaign(apology_sound="custom/apology")}
    )
    with capture_logs() as logs:
        async with running_service(settings, db_dsn):

            async def checked() -> bool:
                return sum(e["event"].startswith("apology_sound") for e in logs) >= 2

            await eventually(checked, what="every apology sound checked")
    missing = {e["sound"] for e in logs if e["event"] == "apology_sound_missing"}
    assert "custom/apology" not in missing
