"""Transfers end to end: the service against the simulated Asterisk over real sockets,
with the rows, queue_log lines and recordings asserted in PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg

from callrouter.calls import CallrouterService
from callrouter.calls._transfers import CallTransfers
from callrouter.sim import SimControl, SimulatedAsterisk
from tests.calls.harness import eventually, final_call_row, make_settings, running_service


def _settings(sim: SimulatedAsterisk) -> Any:
    return make_settings(
        sim,
        queues={
            "support": {"ring_timeout_s": 3, "wrapup_s": 0.1},
            "specialists": {"ring_timeout_s": 3, "wrapup_s": 0.1},
        },
        operators={
            "anna": {"endpoint": "PJSIP/101", "queues": {"support": 0}, "logged_in": True},
            "boris": {"endpoint": "PJSIP/102", "queues": {"specialists": 0}, "logged_in": True},
        },
        routes={"100": "support", "200": "specialists"},
    )


@asynccontextmanager
async def _call_with_anna(
    sim: SimulatedAsterisk, control: SimControl, dsn: str
) -> AsyncIterator[tuple[CallrouterService, CallTransfers, dict[str, Any], str]]:
    await control.set_endpoint("PJSIP", "101", behavior="answer", answer_after=0.1)
    await control.set_endpoint("PJSIP", "102", behavior="answer", answer_after=0.1)
    async with running_service(_settings(sim), dsn) as service:
        assert service.parts is not None
        transfers = service.parts.extra["transfers"]
        assert isinstance(transfers, CallTransfers)
        caller = await control.place_call(caller_number="+4930111")
        await eventually(lambda: _bridge_with(control, caller["id"], "PJSIP/101"), what="anna")
        [session] = service.parts.sessions.sessions()
        yield service, transfers, caller, session.call_id


async def _bridge_with(control: SimControl, *parts: str) -> list[str] | None:
    """The channel names of the one bridge holding every part (ids or name prefixes)."""
    state = await control.state()
    names = {c["id"]: c["name"] for c in state["channels"]}
    for bridge in state["bridges"]:
        members = [names.get(c, c) for c in bridge["channels"]] + bridge["channels"]
        if all(any(m.startswith(p) for m in members) for p in parts):
            return [names.get(c, c) for c in bridge["channels"]]
    return None


async def _channel(control: SimControl, channel_id: str) -> dict[str, Any] | None:
    state = await control.state()
    return next((c for c in state["channels"] if c["id"] == channel_id), None)


async def _until_bridged(control: SimControl, *parts: str, what: str, alone: bool = False) -> None:
    """Wait for one bridge holding every part; with ``alone``, holding nobody else."""

    async def bridged() -> bool:
        names = await _bridge_with(control, *parts)
        return names is not None and (not alone or len(names) == len(parts))

    await eventually(bridged, what=what)


async def _until_consult_bridged(control: SimControl) -> None:
    await _until_bridged(control, "PJSIP/101", "PJSIP/102", what="consult bridged")


async def _hang_up_for_final_row(control: SimControl, caller_id: str, dsn: str) -> asyncpg.Record:
    await control.hangup(caller_id)
    [row] = await final_call_row(dsn)
    return row


def _operator_state(service: CallrouterService, operator: str) -> str:
    assert service.parts is not None
    return str(service.parts.router.engine.snapshot().operator(operator).state)


async def _recording_part_names(dsn: str, call_row_id: object) -> list[str]:
    """The names of the call's two recording rows, once both are written."""

    async def both_parts() -> list[asyncpg.Record] | None:
        sql = "SELECT name FROM recordings WHERE call_id = $1 ORDER BY started_at"
        rows = await _rows(dsn, sql, call_row_id)
        return rows if len(rows) == 2 else None

    return [r["name"] for r in await eventually(both_parts, what="two recording parts")]


async def _rows(dsn: str, sql: str, *args: object) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(dsn)
    try:
        return await conn.fetch(sql, *args)
    finally:
        await conn.close()


async def _queue_log(dsn: str, call_id: object) -> list[tuple[str, str | None, dict[str, Any]]]:
    import json

    rows = await _rows(
        dsn,
        "SELECT event, operator_id, data FROM call_events WHERE call_id = $1 ORDER BY id",
        call_id,
    )
    return [
        (r["event"], r["operator_id"], json.loads(r["data"]) if r["data"] else {}) for r in rows
    ]


async def test_attended_transfer_to_a_queue_completed(
    sim: SimulatedAsterisk, sim_control: SimControl, db_dsn: str
) -> None:
    async with _call_with_anna(sim, sim_control, db_dsn) as (_service, transfers, caller, call_id):
        await transfers.consult(
            call_id, kind="queue", target="specialists", reason="billing", note="wants a refund"
        )
        # The caller is held with music, out of the bridge; anna talks to boris.
        await _until_consult_bridged(sim_control)
        held = await _channel(sim_control, caller["id"])
        assert held is not None and held["sim"]["on_hold"] and held["sim"]["moh_class"]
        assert held["sim"]["bridge_id"] is None
        await transfers.complete(call_id)
        await _until_bridged(
            sim_control, caller["id"], "PJSIP/102", what="caller handed to boris", alone=True
        )
        back = await _channel(sim_control, caller["id"])
        assert back is not None and not back["sim"]["on_hold"] and back["sim"]["moh_class"] is None
        row = await _hang_up_for_final_row(sim_control, caller["id"], db_dsn)
    assert (row["outcome"], row["operator_id"], row["queue_name"]) == (
        "answered",
        "boris",
        "support",
    )
    lines = await _queue_log(db_dsn, row["id"])
    verbs = [v for v, _, _ in lines]
    [atx] = [(op, data) for v, op, data in lines if v == "ATTENDEDTRANSFER"]
    assert atx[0] == "anna" and atx[1]["method"] == "BRIDGE"
    assert verbs.index("CONNECT") < verbs.index("ATTENDEDTRANSFER") < verbs.index("COMPLETECALLER")
    assert {"ABANDON", "BLINDTRANSFER"}.isdisjoint(verbs)


async def test_blind_transfer_to_a_queue_records_each_part_and_logs_blindtransfer(
    sim: SimulatedAsterisk, sim_control: SimControl, db_dsn: str
) -> None:
    async with _call_with_anna(sim, sim_control, db_dsn) as (service, transfers, caller, call_id):
        await transfers.blind(
            call_id, kind="queue", target="specialists", reason="escalation", note="VIP"
        )
        await _until_bridged(sim_control, caller["id"], "PJSIP/102", what="with boris")
        assert service.parts is not None
        center = service.parts.center
        assert center is not None

        async def part_two_running() -> bool:
            session = service.parts.sessions.get(call_id) if service.parts else None
            return session is not None and (session.recording_name or "").endswith("-2")

        await eventually(part_two_running, what="second recording part")
        await center.pause_recording(call_id)  # the live part, not the finished one
        await center.resume_recording(call_id)
        row = await _hang_up_for_final_row(sim_control, caller["id"], db_dsn)
    assert (row["operator_id"], row["queue_name"]) == ("boris", "specialists")
    lines = await _queue_log(db_dsn, row["id"])
    [blind] = [(op, data) for v, op, data in lines if v == "BLINDTRANSFER"]
    assert blind == ("anna", {**blind[1], "extension": "specialists", "context": "callrouter"})
    connects = [data for v, _, data in lines if v == "CONNECT"]
    assert len(connects) == 2 and connects[1]["holdtime"] <= 1  # since entering specialists
    parts = await _recording_part_names(db_dsn, row["id"])
    assert parts == [f"callrouter-{call_id}", f"callrouter-{call_id}-2"]


async def test_blind_transfer_to_a_number_leaves_for_the_transfer_context(
    sim: SimulatedAsterisk, sim_control: SimControl, db_dsn: str
) -> None:
    async with _call_with_anna(sim, sim_control, db_dsn) as (_service, transfers, caller, call_id):
        await transfers.blind(call_id, kind="number", target="+4930999", reason=None, note=None)

        async def in_transfer_context() -> bool:
            ch = await _channel(sim_control, caller["id"])
            return ch is not None and ch["dialplan"]["context"] == "callrouter-transfer"

        await eventually(in_transfer_context, what="caller in [callrouter-transfer]")
        ch = await _channel(sim_control, caller["id"])
        assert ch is not None and ch["dialplan"]["exten"] == "+4930999"
        assert ch["sim"]["variables"]["CR_TRANSFER_NUMBER"] == "+4930999"
        [row] = await final_call_row(db_dsn)
    assert (row["outcome"], row["operator_id"]) == ("transferred", "anna")
    lines = await _queue_log(db_dsn, row["id"])
    [blind] = [data for v, _, data in lines if v == "BLINDTRANSFER"]
    assert (blind["extension"], blind["context"]) == ("+4930999", "callrouter-transfer")


async def test_attended_transfer_turned_into_a_conference(
    sim: SimulatedAsterisk, sim_control: SimControl, db_dsn: str
) -> None:
    async with _call_with_anna(sim, sim_control, db_dsn) as (service, transfers, caller, call_id):
        await transfers.consult(call_id, kind="operator", target="boris", reason=None, note=None)
        await _until_consult_bridged(sim_control)
        await transfers.conference(call_id)
        await _until_bridged(
            sim_control,
            caller["id"],
            "PJSIP/101",
            "PJSIP/102",
            what="three-way conference",
            alone=True,
        )
        # anna leaves the conference: boris keeps the caller.
        anna = next(
            c for c in (await sim_control.state())["channels"] if c["name"].startswith("PJSIP/101")
        )
        await sim_control.hangup(anna["id"])
        await _until_bridged(sim_control, caller["id"], "PJSIP/102", what="boris stays")
        assert _operator_state(service, "boris") == "on_call"
        row = await _hang_up_for_final_row(sim_control, caller["id"], db_dsn)
    assert (row["outcome"], row["operator_id"]) == ("answered", "boris")
    assert "ATTENDEDTRANSFER" in [v for v, _, _ in await _queue_log(db_dsn, row["id"])]


async def test_attended_transfer_cancelled_returns_the_operator_to_the_caller(
    sim: SimulatedAsterisk, sim_control: SimControl, db_dsn: str
) -> None:
    async with _call_with_anna(sim, sim_control, db_dsn) as (service, transfers, caller, call_id):
        await transfers.consult(call_id, kind="operator", target="boris", reason=None, note=None)
        await _until_consult_bridged(sim_control)
        await transfers.cancel(call_id)
        await _until_bridged(sim_control, caller["id"], "PJSIP/101", what="back with anna")

        async def boris_free() -> bool:
            return _operator_state(service, "boris") == "available"

        await eventually(boris_free, what="boris released")
        row = await _hang_up_for_final_row(sim_control, caller["id"], db_dsn)
    assert (row["outcome"], row["operator_id"]) == ("answered", "anna")
    assert "ATTENDEDTRANSFER" not in [v for v, _, _ in await _queue_log(db_dsn, row["id"])]


async def test_consulted_operator_not_answering_returns_the_operator_to_the_caller(
    sim: SimulatedAsterisk, sim_control: SimControl, db_dsn: str
) -> None:
    async with _call_with_anna(sim, sim_control, db_dsn) as (_service, transfers, caller, call_id):
        await sim_control.set_endpoint("PJSIP", "102", behavior="busy")
        await transfers.consult(call_id, kind="operator", target="boris", reason=None, note=None)
        await _until_bridged(sim_control, caller["id"], "PJSIP/101", what="back with anna")
        assert transfers.consult_of(call_id) is None
        back = await _channel(sim_control, caller["id"])
        assert back is not None and not back["sim"]["on_hold"]
        row = await _hang_up_for_final_row(sim_control, caller["id"], db_dsn)
    assert (row["outcome"], row["operator_id"]) == ("answered", "anna")


async def test_caller_hanging_up_during_the_consultation_ends_everything(
    sim: SimulatedAsterisk, sim_control: SimControl, db_dsn: str
) -> None:
    async with _call_with_anna(sim, sim_control, db_dsn) as (service, transfers, caller, call_id):
        await transfers.consult(call_id, kind="queue", target="specialists", reason=None, note=None)
        await _until_consult_bridged(sim_control)
        row = await _hang_up_for_final_row(sim_control, caller["id"], db_dsn)

        async def nobody_left() -> bool:
            state = await sim_control.state()
            return not any(c["name"].startswith("PJSIP/10") for c in state["channels"])

        await eventually(nobody_left, what="both operator legs hung up")
        assert _operator_state(service, "boris") == "available"
    assert (row["outcome"], row["operator_id"]) == ("answered", "anna")


async def test_blind_transfer_to_an_operator_carries_the_note_to_their_screen_pop(
    sim: SimulatedAsterisk, sim_control: SimControl, db_dsn: str
) -> None:
    async with _call_with_anna(sim, sim_control, db_dsn) as (service, transfers, caller, call_id):
        await transfers.blind(
            call_id, kind="operator", target="boris", reason="billing", note="refund asked"
        )
        await _until_bridged(sim_control, caller["id"], "PJSIP/102", what="with boris")
        assert service.parts is not None
        session = service.parts.sessions.get(call_id)
        assert session is not None and session.transfer_note == {
            "from_operator": "anna", "reason": "billing", "note": "refund asked",
        }  # fmt: skip
        row = await _hang_up_for_final_row(sim_control, caller["id"], db_dsn)
    assert (row["outcome"], row["operator_id"]) == ("answered", "boris")
    [blind] = [d for v, _, d in await _queue_log(db_dsn, row["id"]) if v == "BLINDTRANSFER"]
    assert (blind["extension"], blind["context"]) == ("boris", "operator")


async def test_attended_transfer_to_a_number_leaves_caller_and_outside_party_talking(
    sim: SimulatedAsterisk, sim_control: SimControl, db_dsn: str
) -> None:
    await sim_control.set_endpoint("PJSIP", "+4930777@pstn", behavior="answer", answer_after=0.1)
    async with _call_with_anna(sim, sim_control, db_dsn) as (_service, transfers, caller, call_id):
        consult = await transfers.consult(
            call_id, kind="number", target="+4930777", reason=None, note=None
        )
        outside = consult.channel_id  # PJSIP/pstn-...: Asterisk names it by endpoint
        await _until_bridged(sim_control, "PJSIP/101", outside, what="consulting")
        await transfers.complete(call_id)

        async def handed_over() -> bool:
            names = await _bridge_with(sim_control, caller["id"], outside)
            state = await sim_control.state()
            anna_gone = not any(c["name"].startswith("PJSIP/101") for c in state["channels"])
            return names is not None and len(names) == 2 and anna_gone

        await eventually(handed_over, what="caller bridged with the outside party")
        [row] = await final_call_row(db_dsn)
        assert (row["outcome"], row["operator_id"]) == ("transferred", "anna")
        await sim_control.hangup(outside)

        async def caller_hung_up() -> bool:
            return await _channel(sim_control, caller["id"]) is None

        await eventually(caller_hung_up, what="the caller follows the outside party")
    [atx] = [d for v, _, d in await _queue_log(db_dsn, row["id"]) if v == "ATTENDEDTRANSFER"]
    assert atx["method"] == "BRIDGE"
    # The conversation with the outside party is the call's next recorded part.
    parts = await _recording_part_names(db_dsn, row["id"])
    assert parts == [f"callrouter-{call_id}", f"callrouter-{call_id}-2"]


async def _anna_leg(control: SimControl) -> str:
    state = await control.state()
    return str(next(c["id"] for c in state["channels"] if c["name"].startswith("PJSIP/101")))


async def test_feature_codes_consult_then_complete_from_the_operators_keypad(
    sim: SimulatedAsterisk, sim_control: SimControl, db_dsn: str
) -> None:
    async with _call_with_anna(sim, sim_control, db_dsn) as (_service, transfers, caller, call_id):
        anna = await _anna_leg(sim_control)
        await sim_control.send_dtmf(anna, "*2102#", duration_ms=50, between=0.02)
        await _until_bridged(sim_control, "PJSIP/101", "PJSIP/102", what="consulting boris")
        consult = transfers.consult_of(call_id)
        assert consult is not None and (consult.kind, consult.target) == ("operator", "boris")
        await sim_control.send_dtmf(anna, "*2", duration_ms=50, between=0.02)
        await _until_bridged(
            sim_control, caller["id"], "PJSIP/102", what="handed to boris by *2", alone=True
        )
        row = await _hang_up_for_final_row(sim_control, caller["id"], db_dsn)
    assert (row["outcome"], row["operator_id"]) == ("answered", "boris")


async def test_feature_code_blind_transfer_to_a_routed_queue(
    sim: SimulatedAsterisk, sim_control: SimControl, db_dsn: str
) -> None:
    async with _call_with_anna(sim, sim_control, db_dsn) as (service, _transfers, caller, _id):
        assert service.settings.routes["200"] == "specialists"
        await sim_control.send_dtmf(await _anna_leg(sim_control), "#1200#", duration_ms=50)
        await _until_bridged(sim_control, caller["id"], "PJSIP/102", what="with boris")
        row = await _hang_up_for_final_row(sim_control, caller["id"], db_dsn)
    assert (row["queue_name"], row["operator_id"]) == ("specialists", "boris")


async def test_consulted_operator_ringing_out_returns_the_operator_to_the_caller(
    sim: SimulatedAsterisk, sim_control: SimControl, db_dsn: str
) -> None:
    async with _call_with_anna(sim, sim_control, db_dsn) as (service, transfers, caller, call_id):
        await sim_control.set_endpoint("PJSIP", "102", behavior="noanswer")
        await transfers.consult(call_id, kind="queue", target="specialists", reason=None, note=None)
        assert transfers.consult_of(call_id) is not None
        # The queue's ring timeout (3 s) is the consult leg's: then the caller is back.
        await _until_bridged(sim_control, caller["id"], "PJSIP/101", what="back with anna")
        assert transfers.consult_of(call_id) is None
        assert _operator_state(service, "boris") == "available"
        row = await _hang_up_for_final_row(sim_control, caller["id"], db_dsn)
    assert (row["outcome"], row["operator_id"]) == ("answered", "anna")
