"""README, How inbound routing works: which queue a caller lands in, and what happens
to an operator who lets the phone ring out when the queue does not auto-pause."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import asyncpg

from callrouter.acd import (
    AcdEngine,
    AnnounceQueuePosition,
    CallArrived,
    CallCompleted,
    CancelRing,
    OfferAnswered,
    QueuePolicy,
    RingOperator,
    Tick,
    TransferToQueue,
)
from callrouter.calls._acd_config import acd_config_from_settings
from callrouter.config import Settings
from callrouter.sim import SimControl, SimulatedAsterisk
from tests.acd._helpers import Harness, of, op, rings, t
from tests.calls.harness import eventually, make_settings, running_service

T0 = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)


async def test_the_queue_is_the_argument_then_its_route_then_the_extensions(
    sim: SimulatedAsterisk, sim_control: SimControl, db_dsn: str
) -> None:
    settings = make_settings(
        sim,
        # Nobody takes calls, so every caller stays in the queue they were put in.
        queues={"support": {"join_empty": True}, "sales": {"join_empty": True}},
        operators={"anna": {"endpoint": "PJSIP/101", "queues": {"support": 0}}},
        routes={"100": "support", "200": "sales"},
    )
    # caller -> (Stasis argument, dialled extension, the queue the README promises)
    cases = {
        "+1001": ("sales", "100", "sales"),  # a queue name beats the extension's route
        "+1002": ("200", "100", "sales"),  # else the argument's DID route
        "+1003": ("", "200", "sales"),  # else the dialled extension's route
        "+1004": ("777", "100", "support"),  # an unknown DID falls back to the extension
    }
    async with running_service(settings, db_dsn):
        for caller, (target, exten, _) in cases.items():
            args = ("inbound", target) if target else ("inbound",)
            await sim_control.place_call(caller_number=caller, exten=exten, args=args)

        async def queues() -> dict[str, str] | None:
            conn = await asyncpg.connect(db_dsn)
            try:
                rows = await conn.fetch("SELECT caller_number, queue_name FROM calls")
            finally:
                await conn.close()
            return {r["caller_number"]: r["queue_name"] for r in rows} if len(rows) == 4 else None

        landed = await eventually(queues, what="four call rows")
    assert landed == {caller: want for caller, (_, _, want) in cases.items()}


def test_without_auto_pause_an_operator_who_did_not_answer_rests_5_s() -> None:
    # Built from YAML-level settings, so the 5 s is the default a configured queue gets.
    settings = Settings.model_validate(
        {
            "queues": {"q": {"ring_timeout_s": 10, "auto_pause_on_no_answer": False}},
            "operators": {"a": {"endpoint": "PJSIP/a", "queues": {"q": 0}, "logged_in": True}},
        }
    )
    engine = AcdEngine(acd_config_from_settings(settings), start=T0)

    def at(seconds: float) -> datetime:
        return T0 + timedelta(seconds=seconds)

    def rung(commands: list[object]) -> bool:
        return any(isinstance(c, RingOperator) for c in commands)

    assert rung(engine.handle(CallArrived("1", "q", at(0))))
    timed_out = engine.handle(Tick(at(10)))
    assert [c for c in timed_out if isinstance(c, CancelRing)] == [CancelRing("1", "a")]
    assert not rung(timed_out)
    assert engine.snapshot().operator("a").state.value == "available"  # not paused
    assert not rung(engine.handle(Tick(at(14.9))))
    assert rung(engine.handle(Tick(at(15))))


def test_the_expected_wait_counts_only_the_queues_last_50_calls() -> None:
    # README, Waiting: the expected wait uses the "average handle time of the queue's last 50
    # calls". One very long call, then 50 short ones: the long one no longer counts.
    h = Harness.build([QueuePolicy("q", wrapup_s=0, default_handle_s=600)], [op("a", q=0)])
    clock = 0.0
    for n, talk_s in enumerate([1000.0] + [10.0] * 50):
        h(CallArrived(f"c{n}", "q", t(clock)))
        h(OfferAnswered(f"c{n}", "a", t(clock)))
        clock += talk_s
        h(CallCompleted(f"c{n}", t(clock)))
        clock += 1
    h(CallArrived("busy", "q", t(clock)))
    h(OfferAnswered("busy", "a", t(clock)))
    h(CallArrived("first", "q", t(clock + 1)))
    (ann,) = of(AnnounceQueuePosition, h(CallArrived("second", "q", t(clock + 2))))
    assert (ann.position, ann.expected_wait_s) == (2, 20.0)  # 2 x 10 s / 1 operator


def test_a_waiting_call_can_be_transferred_too() -> None:
    # README, Transfer: "blind-transfers a connected (or waiting) call"; the connected
    # case is tested in tests/acd and tests/calls, the waiting one here.
    queues = [QueuePolicy("sales", join_empty=True), QueuePolicy("billing")]
    h = Harness.build(queues, [op("b", billing=0)])
    assert rings(h(CallArrived("1", "sales", t(0)))) == []  # nobody serves sales
    assert [c.call_id for c in h.engine.snapshot().queue("sales").waiting] == ["1"]
    assert rings(h(TransferToQueue("1", "billing", t(30)))) == [("1", "b")]
    assert h.engine.snapshot().queue("sales").waiting == ()
