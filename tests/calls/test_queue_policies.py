"""Queue limits, hours, callbacks, transfer and cross-queue fairness, end to end."""

from __future__ import annotations

from datetime import UTC, datetime

import asyncpg

from callrouter.acd import OperatorLoggedIn, TransferToQueue
from callrouter.sim import SimControl, SimulatedAsterisk
from tests.calls.harness import (
    ari_requests,
    call_events,
    eventually,
    final_call_row,
    make_settings,
    running_service,
)
from tests.calls.test_inbound_flow import bridged_pairs


async def test_overflow_to_another_queue_when_full(
    sim: SimulatedAsterisk, sim_control: SimControl, db_dsn: str
) -> None:
    await sim_control.set_endpoint("PJSIP", "101", behavior="noanswer")
    await sim_control.set_endpoint("PJSIP", "102", behavior="answer", answer_after=0.3)
    settings = make_settings(
        sim,
        queues={
            "support": {
                "max_waiting": 1,
                "overflow": {"kind": "queue", "target": "sales"},
                "ring_timeout_s": 30,
            },
            "sales": {},
        },
        operators={
            "anna": {"endpoint": "PJSIP/101", "queues": {"support": 0}, "logged_in": True},
            "boris": {"endpoint": "PJSIP/102", "queues": {"sales": 0}, "logged_in": True},
        },
    )
    async with running_service(settings, db_dsn):
        first = await sim_control.place_call(caller_number="+1")  # rings anna (never answers)
        second = await sim_control.place_call(caller_number="+2")  # waits in support
        third = await sim_control.place_call(caller_number="+3")  # support full -> sales

        async def third_with_boris() -> bool:
            state = await sim_control.state()
            return any(
                third["id"] in b["channels"] and len(b["channels"]) == 2 for b in state["bridges"]
            )

        await eventually(third_with_boris, what="overflowed caller connected in sales")
        for caller in (first, second, third):
            await sim_control.hangup(caller["id"])
        rows = await final_call_row(db_dsn, count=3)
    by_caller = {r["caller_number"]: r for r in rows}
    assert by_caller["+3"]["queue_name"] == "sales"
    assert by_caller["+3"]["operator_id"] == "boris"
    assert "OVERFLOW" in await call_events(db_dsn, by_caller["+3"]["id"])
    assert by_caller["+2"]["outcome"] == "abandoned"


async def test_closed_hours_play_the_closed_message_and_hang_up(
    sim: SimulatedAsterisk, sim_control: SimControl, db_dsn: str
) -> None:
    today = datetime.now(UTC).date().isoformat()
    settings = make_settings(
        sim,
        calendars={
            "office": {"timezone": "UTC", "holidays": [today], "closed_sound": "custom/closed"}
        },
        queues={"support": {"hours": "office"}},
    )
    async with running_service(settings, db_dsn):
        caller = await sim_control.place_call(caller_number="+5")
        [row] = await final_call_row(db_dsn)

        async def hung_up_after_message() -> list[dict[str, object]]:
            log = await sim_control.requests()
            return log if ari_requests(log, "DELETE", f"/ari/channels/{caller['id']}") else []

        log = await eventually(hung_up_after_message, what="hangup after the closed message")
    assert row["outcome"] == "closed"
    plays = ari_requests(log, "POST", "/play")
    assert plays and plays[0]["params"]["media"] == "sound:custom/closed"
    assert log.index(plays[0]) < log.index(ari_requests(log, "DELETE", "/ari/channels/")[0])
    assert (await call_events(db_dsn, row["id"]))[-1] == "CLOSED"


async def test_callback_key_leaves_queue_and_keeps_place(
    sim: SimulatedAsterisk, sim_control: SimControl, db_dsn: str
) -> None:
    settings = make_settings(
        sim,
        queues={"support": {"join_empty": True, "callback_key": "5"}},
        operators={"anna": {"endpoint": "PJSIP/101", "queues": {"support": 0}}},
    )
    async with running_service(settings, db_dsn):
        caller = await sim_control.place_call(caller_number="+4930555", caller_name="Ida")

        async def on_hold() -> bool:
            return bool(ari_requests(await sim_control.requests(), "POST", "/moh"))

        await eventually(on_hold, what="caller waiting")
        await sim_control.send_dtmf(caller["id"], "5")
        [row] = await final_call_row(db_dsn)
    assert row["outcome"] == "callback"
    conn = await asyncpg.connect(db_dsn)
    try:
        callback = await conn.fetchrow("SELECT * FROM callbacks")
    finally:
        await conn.close()
    assert callback["phone"] == "+4930555"
    assert callback["status"] == "pending"
    assert callback["queued_at"] == row["queued_at"]
    assert "EXITWITHKEY" in await call_events(db_dsn, row["id"])


async def test_blind_transfer_to_another_queue(
    sim: SimulatedAsterisk, sim_control: SimControl, db_dsn: str
) -> None:
    await sim_control.set_endpoint("PJSIP", "101", behavior="answer", answer_after=0.2)
    await sim_control.set_endpoint("PJSIP", "102", behavior="answer", answer_after=0.2)
    settings = make_settings(
        sim,
        queues={"support": {"wrapup_s": 0.1}, "sales": {"wrapup_s": 0.1}},
        operators={
            "anna": {"endpoint": "PJSIP/101", "queues": {"support": 0}, "logged_in": True},
            "boris": {"endpoint": "PJSIP/102", "queues": {"sales": 0}, "logged_in": True},
        },
    )
    async with running_service(settings, db_dsn) as service:
        caller = await sim_control.place_call(caller_number="+7")
        await eventually(lambda: bridged_pairs(sim_control), what="anna connected")
        assert service.parts is not None
        [session] = service.parts.sessions.sessions()
        router = service.parts.router
        assert router.apply(TransferToQueue(session.call_id, "sales", router.now())) is None

        async def with_boris() -> bool:
            state = await sim_control.state()
            ops = {c["id"]: c for c in state["channels"]}
            for bridge in state["bridges"]:
                if caller["id"] in bridge["channels"] and len(bridge["channels"]) == 2:
                    other = next(c for c in bridge["channels"] if c != caller["id"])
                    return "PJSIP/102" in ops[other]["name"]
            return False

        await eventually(with_boris, what="caller connected to boris in sales")
        await sim_control.hangup(caller["id"])
        [row] = await final_call_row(db_dsn)
    assert row["operator_id"] == "boris" and row["queue_name"] == "sales"
    events = await call_events(db_dsn, row["id"])
    assert events.count("CONNECT") == 2 and events.count("ENTERQUEUE") == 2


async def test_operator_in_two_queues_takes_the_longest_waiting_caller(
    sim: SimulatedAsterisk, sim_control: SimControl, db_dsn: str
) -> None:
    await sim_control.set_endpoint("PJSIP", "101", behavior="answer", answer_after=0.1)
    settings = make_settings(
        sim,
        queues={"support": {"join_empty": True}, "sales": {"join_empty": True}},
        operators={"anna": {"endpoint": "PJSIP/101", "queues": {"support": 0, "sales": 0}}},
        routes={"100": "support", "200": "sales"},
    )
    async with running_service(settings, db_dsn) as service:
        older = await sim_control.place_call(
            caller_number="+old", exten="200", args=("inbound", "200")
        )
        await sim_control.place_call(caller_number="+new", exten="100", args=("inbound", "100"))

        async def both_waiting() -> bool:
            assert service.parts is not None
            return len(service.parts.router.engine.snapshot().calls) == 2

        await eventually(both_waiting, what="two callers waiting")
        conn = await asyncpg.connect(db_dsn)
        try:
            await conn.execute(
                "INSERT INTO operator_requests (operator_id, action) VALUES ('anna', 'login')"
            )
            await conn.execute("SELECT pg_notify('callrouter_operator_requests', '1')")
        finally:
            await conn.close()

        async def older_bridged() -> bool:
            state = await sim_control.state()
            return any(
                older["id"] in b["channels"] and len(b["channels"]) == 2 for b in state["bridges"]
            )

        await eventually(older_bridged, what="the older caller (other queue) served first")


async def test_vip_customer_is_served_before_earlier_callers(
    sim: SimulatedAsterisk, sim_control: SimControl, db_dsn: str
) -> None:
    await sim_control.set_endpoint("PJSIP", "101", behavior="answer", answer_after=0.1)
    conn = await asyncpg.connect(db_dsn)
    try:
        await conn.execute(
            "INSERT INTO customers (phone, name, tier, priority)"
            " VALUES ('+vip', 'Big Co', 'gold', 10)"
        )
    finally:
        await conn.close()
    settings = make_settings(
        sim,
        queues={"support": {"join_empty": True}},
        operators={"anna": {"endpoint": "PJSIP/101", "queues": {"support": 0}}},
    )
    async with running_service(settings, db_dsn) as service:
        await sim_control.place_call(caller_number="+regular")
        vip = await sim_control.place_call(caller_number="+vip")

        async def both_waiting() -> bool:
            assert service.parts is not None
            return len(service.parts.router.engine.snapshot().calls) == 2

        await eventually(both_waiting, what="two callers waiting")
        assert service.parts is not None
        router = service.parts.router
        router.apply(OperatorLoggedIn("anna", router.now()))

        async def vip_bridged() -> bool:
            state = await sim_control.state()
            return any(
                vip["id"] in b["channels"] and len(b["channels"]) == 2 for b in state["bridges"]
            )

        await eventually(vip_bridged, what="VIP served first")
    conn = await asyncpg.connect(db_dsn)
    try:
        priority = await conn.fetchval("SELECT priority FROM calls WHERE caller_number = '+vip'")
    finally:
        await conn.close()
    assert priority == 10


async def test_reload_widens_escalation_for_callers_already_waiting(
    sim: SimulatedAsterisk, sim_control: SimControl, db_dsn: str
) -> None:
    await sim_control.set_endpoint("PJSIP", "104", behavior="answer", answer_after=0.1)
    operators = {
        "dana": {"endpoint": "PJSIP/104", "queues": {"support": 5}, "logged_in": True},
    }
    before = make_settings(
        sim, queues={"support": {"max_penalty": 0, "join_empty": True}}, operators=operators
    )
    async with running_service(before, db_dsn) as service:
        caller = await sim_control.place_call(caller_number="+waiting-long")

        async def waiting() -> bool:
            assert service.parts is not None
            return len(service.parts.router.engine.snapshot().queue("support").waiting) == 1

        await eventually(waiting, what="caller waiting for a tier-0 operator")
        after = make_settings(
            sim,
            queues={
                "support": {
                    "max_penalty": 0,
                    "join_empty": True,
                    "escalation": [{"after_s": 0, "max_penalty": 5}],
                }
            },
            operators=operators,
        )
        await service.reload(after)
        await eventually(lambda: bridged_pairs(sim_control), what="escalated to dana")
        await sim_control.hangup(caller["id"])
        [row] = await final_call_row(db_dsn)
    assert row["operator_id"] == "dana"
