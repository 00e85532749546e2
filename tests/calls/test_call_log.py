"""Following one call in the log: each step of a call is one info line with its call_id,
queue and operator, from the real service on the simulated Asterisk."""

from __future__ import annotations

import logging
from collections.abc import Iterator, MutableMapping
from datetime import UTC, datetime
from typing import Any

import pytest
import structlog
from structlog.testing import capture_logs

from callrouter.acd import (
    CallRecord,
    OperatorState,
    OperatorStateChanged,
    TransferToQueue,
)
from callrouter.calls._call_log import CallLog
from callrouter.calls._sessions import CallSession
from callrouter.sim import SimControl, SimulatedAsterisk
from tests.calls.harness import eventually, final_call_row, make_settings, running_service
from tests.calls.test_inbound_flow import bridged_pairs

LogLines = list[MutableMapping[str, Any]]


def steps(logs: LogLines, call_id: str) -> list[tuple[str, str, str]]:
    """(event, queue, operator) of each line about ``call_id``, in order."""
    return [
        (e["event"], e.get("queue", ""), e.get("operator", ""))
        for e in logs
        if e.get("call_id") == call_id and e["event"].startswith("call_")
    ]


def line(logs: LogLines, call_id: str, event: str) -> MutableMapping[str, Any]:
    [found] = [e for e in logs if e.get("call_id") == call_id and e["event"] == event]
    return found


async def cause_logged(logs: LogLines, call_id: str) -> int:
    """The caller's hangup cause: on call_ended, or on the call_hangup_cause after it."""

    async def probe() -> int | None:
        for e in logs:
            ours = e.get("call_id") == call_id and isinstance(e.get("cause"), int)
            if ours and e["event"] in ("call_ended", "call_hangup_cause"):
                return int(e["cause"])
        return None

    return await eventually(probe, what=f"the hangup cause of {call_id} logged")


async def test_an_answered_call_logs_every_step_once(
    sim: SimulatedAsterisk, sim_control: SimControl, db_dsn: str
) -> None:
    await sim_control.set_endpoint("PJSIP", "101", behavior="busy")
    await sim_control.set_endpoint("PJSIP", "102", behavior="answer", answer_after=0.2)
    settings = make_settings(
        sim,
        queues={"support": {"strategy": "linear", "ring_timeout_s": 5, "wrapup_s": 0.1}},
        operators={
            "anna": {"endpoint": "PJSIP/101", "queues": {"support": 0}, "logged_in": True},
            "boris": {"endpoint": "PJSIP/102", "queues": {"support": 0}, "logged_in": True},
        },
    )
    with capture_logs() as logs:
        async with running_service(settings, db_dsn):
            caller = await sim_control.place_call(caller_number="+4930111")
            await eventually(lambda: bridged_pairs(sim_control), what="boris connected")
            await sim_control.hangup(caller["id"])
            [row] = await final_call_row(db_dsn)
            call_id = str(row["id"])
            cause = await cause_logged(logs, call_id)
    seen = steps(logs, call_id)
    # Queued is logged once the hold music plays, while anna's phone is already tried.
    assert seen.index(("call_queued", "support", "")) < seen.index(
        ("call_answered", "support", "boris")
    )
    assert [s for s in seen if s[0] != "call_queued"] == [
        ("call_arrived", "support", ""),
        ("call_offered", "support", "anna"),
        ("call_ring_no_answer", "support", "anna"),
        ("call_offered", "support", "boris"),
        ("call_answered", "support", "boris"),
        ("call_bridged", "support", "boris"),
        ("call_recording_started", "support", "boris"),
        ("call_ended", "support", "boris"),
        *([("call_hangup_cause", "", "")] if line_count(logs, call_id) else []),
    ]
    assert all(e["log_level"] == "info" for e in logs if e.get("call_id") == call_id)
    assert line(logs, call_id, "call_arrived")["caller"] == "+4930111"
    assert line(logs, call_id, "call_ring_no_answer")["cause"] == 17  # busy
    ended = line(logs, call_id, "call_ended")
    assert ended["outcome"] == "answered" and ended["talk_s"] >= 0
    assert cause == 16
    assert line(logs, call_id, "call_recording_started")["recording"].startswith("callrouter-")


def line_count(logs: LogLines, call_id: str) -> int:
    return sum(e["event"] == "call_hangup_cause" and e.get("call_id") == call_id for e in logs)


async def test_a_transfer_and_the_next_queue_are_logged(
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
    with capture_logs() as logs:
        async with running_service(settings, db_dsn) as service:
            caller = await sim_control.place_call(caller_number="+7")
            await eventually(lambda: bridged_pairs(sim_control), what="anna connected")
            assert service.parts is not None
            [session] = service.parts.sessions.sessions()
            router = service.parts.router
            assert router.apply(TransferToQueue(session.call_id, "sales", router.now())) is None

            async def with_boris() -> bool:
                return any(e["event"] == "call_bridged" and e.get("operator") == "boris"
                           for e in logs)  # fmt: skip

            await eventually(with_boris, what="boris connected")
            await sim_control.hangup(caller["id"])
            await final_call_row(db_dsn)
    seen = [s for s in steps(logs, session.call_id) if s[0] != "call_recording_started"]
    start = seen.index(("call_transferred", "support", "anna"))
    after = [s for s in seen[start:] if s[0] != "call_queued"]
    assert ("call_queued", "sales", "") in seen[start:]
    assert after[:5] == [
        ("call_transferred", "support", "anna"),
        ("call_offered", "sales", "boris"),
        ("call_answered", "sales", "boris"),
        ("call_bridged", "sales", "boris"),
        ("call_ended", "sales", "boris"),
    ]  # fmt: skip
    assert line(logs, session.call_id, "call_transferred")["to"] == "sales"


async def test_a_caller_who_gives_up_is_logged_abandoned(
    sim: SimulatedAsterisk, sim_control: SimControl, db_dsn: str
) -> None:
    await sim_control.set_endpoint("PJSIP", "101", behavior="noanswer")
    settings = make_settings(sim, queues={"support": {"ring_timeout_s": 30}})
    with capture_logs() as logs:
        async with running_service(settings, db_dsn):
            caller = await sim_control.place_call(caller_number="+5")

            async def ringing_on_hold() -> bool:
                return any(e["event"] == "call_queued" for e in logs)

            await eventually(ringing_on_hold, what="the caller on hold, anna's phone ringing")
            await sim_control.hangup(caller["id"])
            [row] = await final_call_row(db_dsn)
    call_id = str(row["id"])
    # anna's phone was still ringing: stopped after the end, not a ring she let go.
    assert steps(logs, call_id) == [
        ("call_arrived", "support", ""),
        ("call_offered", "support", "anna"),
        ("call_queued", "support", ""),
        ("call_ended", "support", ""),
        ("call_ring_cancelled", "support", "anna"),
    ]
    ended = line(logs, call_id, "call_ended")
    assert ended["outcome"] == "abandoned" and ended["talk_s"] is None
    assert ended["queue"] == "support" and ended["wait_s"] >= 0


# ---- cheap when info is off -----------------------------------------------------------


@pytest.fixture
def warnings_only() -> Iterator[None]:
    old = structlog.get_config()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    try:
        yield
    finally:
        structlog.configure(**old)


def test_nothing_is_logged_or_built_when_info_is_off(warnings_only: None) -> None:
    now = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
    session = CallSession("c1", "chan-1", "support", "+1", "", "100", now)
    record = CallRecord("c1", "support", 0, "+1", "answered", "", now, now, now, now, 1.0,
                        2.0, "anna")  # fmt: skip
    call_log = CallLog()
    with capture_logs() as logs:
        call_log.arrived(session, "inbound")
        call_log.event(session, "ENTERQUEUE", "support", None, {"position": 1})
        offer = OperatorStateChanged(
            "anna", OperatorState.AVAILABLE, OperatorState.OFFERED, "offer", now, "c1"
        )
        call_log.offered(offer)
        call_log.record(record, 16)
        call_log.late_cause("c1", 16)
    assert logs == []
    assert call_log._queues == {}  # nothing remembered either
