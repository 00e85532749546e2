"""Queue limits, overflow destinations, business hours and holidays."""

from __future__ import annotations

from datetime import UTC, date, datetime

from callrouter.acd import (
    Calendar,
    CallArrived,
    HoldCaller,
    LeaveQueue,
    OfferAnswered,
    OperatorLoggedOut,
    Overflow,
    OverflowTarget,
    QueuePolicy,
    RejectClosed,
    StoreCallback,
    is_open,
)

from ._helpers import Harness, of, op, rings, t


def _full_house(queue: QueuePolicy, *extra: QueuePolicy) -> Harness:
    h = Harness.build([queue, *extra], [op("a", **{queue.name: 0})])
    h(CallArrived("busy", queue.name, t(0)))
    h(OfferAnswered("busy", "a", t(0)))
    return h


def test_max_waiting_full_leaves_without_overflow() -> None:
    h = _full_house(QueuePolicy("q", max_waiting=1))
    h(CallArrived("1", "q", t(1)))
    out = h(CallArrived("2", "q", t(2)))
    assert of(LeaveQueue, out) == [LeaveQueue("2", "full")]
    assert h.outcome("2") == "failed"


def test_full_queue_overflows_to_another_queue() -> None:
    h = _full_house(
        QueuePolicy("q", max_waiting=1, overflow=OverflowTarget("queue", "spill")),
        QueuePolicy("spill", join_empty=True, music_class="jazz"),
    )
    h(CallArrived("1", "q", t(1)))
    out = h(CallArrived("2", "q", t(2)))
    assert of(Overflow, out) == [Overflow("2", "queue", "spill")]
    assert of(HoldCaller, out)[-1] == HoldCaller("2", "spill", "jazz", queued_at=t(2))
    assert h.engine.snapshot().call("2").queue == "spill"
    assert h.outcome("2") is None


def test_max_wait_overflows_to_a_context() -> None:
    h = _full_house(QueuePolicy("q", max_wait_s=30, overflow=OverflowTarget("context", "vm")))
    h(CallArrived("1", "q", t(1)))
    assert of(Overflow, h.tick(30)) == []
    assert of(Overflow, h.tick(31)) == [Overflow("1", "context", "vm")]
    assert h.outcome("1") == "overflowed"


def test_max_wait_without_overflow_leaves_the_queue() -> None:
    h = _full_house(QueuePolicy("q", max_wait_s=10))
    h(CallArrived("1", "q", t(1)))
    assert of(LeaveQueue, h.tick(11)) == [LeaveQueue("1", "max_wait")]


def test_max_wait_during_a_ring_waits_for_the_ring_to_end() -> None:
    h = Harness.build([QueuePolicy("q", max_wait_s=10, ring_timeout_s=15)], [op("a", q=0)])
    h(CallArrived("1", "q", t(0)))
    assert of(LeaveQueue, h.tick(10)) == []
    out = h.tick(15)
    assert of(LeaveQueue, out) == [LeaveQueue("1", "max_wait")]


def test_overflow_to_callback_stores_the_callback() -> None:
    h = _full_house(QueuePolicy("q", max_wait_s=5, overflow=OverflowTarget("callback")))
    h(CallArrived("1", "q", t(1), caller_number="+15551234"))
    out = h.tick(6)
    (stored,) = of(StoreCallback, out)
    assert stored.caller_number == "+15551234" and stored.queued_at == t(1)
    assert h.outcome("1") == "callback"


def test_join_empty_false_turns_callers_away_when_nobody_is_logged_in() -> None:
    h = Harness.build([QueuePolicy("q")], [])
    assert of(LeaveQueue, h(CallArrived("1", "q", t(0)))) == [LeaveQueue("1", "no_operators")]
    h2 = Harness.build([QueuePolicy("q", join_empty=True)], [])
    assert of(HoldCaller, h2(CallArrived("1", "q", t(0))))


def test_paused_operators_count_as_logged_in_for_join_empty() -> None:
    from callrouter.acd import OperatorPaused

    h = Harness.build([QueuePolicy("q")], [op("a", q=0)])
    h(OperatorPaused("a", t(0), reason="lunch"))
    assert of(HoldCaller, h(CallArrived("1", "q", t(1))))


def test_leave_when_empty_sends_waiting_callers_on_when_the_last_operator_leaves() -> None:
    h = Harness.build(
        [QueuePolicy("q", leave_when_empty=True, overflow=OverflowTarget("context", "vm"))],
        [op("a", q=0)],
    )
    h(CallArrived("busy", "q", t(0)))
    h(OfferAnswered("busy", "a", t(0)))
    h(CallArrived("1", "q", t(1)))
    # a logs out while on a call: takes effect after the call, so 1 stays.
    assert of(Overflow, h(OperatorLoggedOut("a", t(2)))) == []
    from callrouter.acd import CallCompleted

    out = h(CallCompleted("busy", t(3)))
    assert of(Overflow, out) == [Overflow("1", "context", "vm")]
    assert h.state("a") == "logged_out"


def test_overflow_loop_between_queues_terminates() -> None:
    a = QueuePolicy("a", max_waiting=1, overflow=OverflowTarget("queue", "b"), join_empty=True)
    b = QueuePolicy("b", max_waiting=1, overflow=OverflowTarget("queue", "a"), join_empty=True)
    h = Harness.build([a, b], [])
    h(CallArrived("1", "a", t(0)))
    h(CallArrived("2", "b", t(0)))
    h(CallArrived("3", "a", t(1)))
    assert h.outcome("3") == "failed"


PARIS = Calendar(
    timezone="Europe/Paris",
    weekly={
        d: ["09:00-12:00", "14:00-18:00"] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    },
    holidays=frozenset({date(2024, 12, 25)}),
    closed_sound="closed-msg",
)


def test_calendar_follows_local_time_across_dst() -> None:
    # 2024-03-31 Paris goes from UTC+1 to UTC+2.
    assert is_open(PARIS, datetime(2024, 3, 30, 8, 30, tzinfo=UTC))  # 09:30 CET
    assert is_open(PARIS, datetime(2024, 3, 31, 7, 30, tzinfo=UTC))  # 09:30 CEST
    assert not is_open(PARIS, datetime(2024, 3, 30, 7, 30, tzinfo=UTC))  # 08:30 CET
    assert not is_open(PARIS, datetime(2024, 3, 31, 16, 30, tzinfo=UTC))  # 18:30 CEST
    assert is_open(PARIS, datetime(2024, 3, 30, 16, 30, tzinfo=UTC))  # 17:30 CET
    assert not is_open(PARIS, datetime(2024, 3, 30, 11, 30, tzinfo=UTC))  # lunch


def test_calendar_holidays_and_missing_days() -> None:
    assert not is_open(PARIS, datetime(2024, 12, 25, 9, 0, tzinfo=UTC))
    weekdays = Calendar(weekly={"mon": ["00:00-24:00"]})
    assert is_open(weekdays, datetime(2024, 1, 1, 23, 59, tzinfo=UTC))  # a Monday
    assert not is_open(weekdays, datetime(2024, 1, 2, 10, 0, tzinfo=UTC))
    assert is_open(Calendar(), datetime(2024, 1, 2, 10, 0, tzinfo=UTC))


def test_closed_queue_rejects_or_overflows() -> None:
    queues = [QueuePolicy("q", calendar="paris")]
    h = Harness.build(queues, [op("a", q=0)], calendars={"paris": PARIS})
    # Harness starts 2024-01-01 09:00 UTC = 10:00 Paris: open.
    assert rings(h(CallArrived("1", "q", t(0)))) == [("1", "a")]
    closed_at = datetime(2024, 1, 1, 11, 30, tzinfo=UTC)  # 12:30 Paris, lunch
    out = h(CallArrived("2", "q", closed_at))
    assert of(RejectClosed, out) == [RejectClosed("2", "closed-msg")]
    assert h.outcome("2") == "closed"
    queues = [QueuePolicy("q", calendar="paris", closed_overflow=OverflowTarget("context", "vm"))]
    h = Harness.build(queues, [op("a", q=0)], calendars={"paris": PARIS})
    out = h(CallArrived("3", "q", closed_at))
    assert of(Overflow, out) == [Overflow("3", "context", "vm")]
