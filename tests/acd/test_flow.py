"""A call's life: announcements, callback, ring timeouts, wrap-up, transfer, and the
operator transitions around them, including the ones that must be refused."""

from __future__ import annotations

from datetime import datetime

import pytest

from callrouter.acd import (
    AnnouncePolicy,
    AnnounceQueuePosition,
    AnnounceSounds,
    CallArrived,
    CallbackRequested,
    CallCompleted,
    CallerHungUp,
    CallRecord,
    CancelRing,
    ConnectCall,
    OfferAnswered,
    OfferFailed,
    OperatorEndpointOffline,
    OperatorEndpointOnline,
    OperatorLoggedIn,
    OperatorLoggedOut,
    OperatorPaused,
    OperatorSpec,
    OperatorUnpaused,
    QueuePolicy,
    StoreCallback,
    Tick,
    TransferToQueue,
)
from callrouter.errors import Conflict, InvalidInput, NotFound

from ._helpers import Harness, of, op, rings, t


def test_announces_position_and_expected_wait_on_joining_and_periodically() -> None:
    queue = QueuePolicy("q", announce=AnnouncePolicy(every_s=30), default_handle_s=60)
    h = Harness.build([queue], [op("a", q=0), op("b", q=0)])
    h(CallArrived("x", "q", t(0)))
    h(CallArrived("y", "q", t(0)))
    h(OfferAnswered("x", "a", t(1)))
    h(OfferAnswered("y", "b", t(1)))
    out = h(CallArrived("1", "q", t(2)))
    (ann,) = of(AnnounceQueuePosition, out)
    assert (ann.position, ann.expected_wait_s) == (1, 30.0)  # 1 x 60 s / 2 operators
    h(CallArrived("2", "q", t(3), priority=1))
    (ann,) = of(AnnounceQueuePosition, h.tick(32))
    assert (ann.call_id, ann.position, ann.expected_wait_s) == ("1", 2, 60.0)
    (ann,) = of(AnnounceQueuePosition, h.tick(33))
    assert (ann.call_id, ann.position) == ("2", 1)


def test_expected_wait_learns_from_handled_calls() -> None:
    queue = QueuePolicy("q", wrapup_s=10, default_handle_s=600)
    h = Harness.build([queue], [op("a", q=0)])
    h(CallArrived("x", "q", t(0)))
    h(OfferAnswered("x", "a", t(0)))
    h(CallCompleted("x", t(50)))  # 50 s talk + 10 s wrap-up
    h(CallArrived("y", "q", t(55)))
    (ann,) = of(AnnounceQueuePosition, h(CallArrived("z", "q", t(56))))
    assert (ann.position, ann.expected_wait_s) == (2, 120.0)  # 2 x 60 s / 1 operator


def test_a_call_announced_immediately_answered_gets_no_announcement() -> None:
    h = Harness.build([QueuePolicy("q")], [op("a", q=0)])
    assert of(AnnounceQueuePosition, h(CallArrived("1", "q", t(0)))) == []


def test_callback_keeps_the_place_in_line() -> None:
    h = Harness.build([QueuePolicy("q", join_empty=True)], [])
    h(CallArrived("1", "q", t(0)))
    h(CallArrived("2", "q", t(5), caller_number="555"))
    out = h(CallbackRequested("2", t(9)))
    assert of(StoreCallback, out) == [StoreCallback("2", "q", "555", 0, t(5), 2)]
    assert h.outcome("2") == "callback"
    assert [c.call_id for c in h.engine.snapshot().queue("q").waiting] == ["1"]


def test_the_callback_thank_you_is_the_queues_own_sound() -> None:
    """The core decides what the caller hears before the hangup, not the shell."""
    sounds = AnnounceSounds(thank_you="custom/we-will-call-you")
    queue = QueuePolicy("q", join_empty=True, announce=AnnouncePolicy(sounds=sounds))
    h = Harness.build([queue], [])
    h(CallArrived("1", "q", t(0), caller_number="555"))
    (stored,) = of(StoreCallback, h(CallbackRequested("1", t(3))))
    assert stored.thank_you_sound == "custom/we-will-call-you"


def test_ring_timeout_returns_the_call_to_the_head_and_auto_pauses() -> None:
    h = Harness.build([QueuePolicy("q", ring_timeout_s=10)], [op("a", q=0), op("b", q=0)])
    h(OperatorPaused("b", t(0)))
    h(CallArrived("1", "q", t(1)))
    h(CallArrived("2", "q", t(2)))
    out = h.tick(11)
    assert of(CancelRing, out) == [CancelRing("1", "a")]
    assert h.engine.snapshot().operator("a").pause_reason == "no-answer"
    assert [c.call_id for c in h.engine.snapshot().queue("q").waiting] == ["1", "2"]
    assert h.engine.snapshot().call("1").queued_at == t(1)
    assert rings(h(OperatorUnpaused("b", t(12)))) == [("1", "b")]


def test_ring_timeout_rotates_to_the_next_operator() -> None:
    queue = QueuePolicy("q", ring_timeout_s=10, auto_pause_on_no_answer=False, retry_s=0)
    h = Harness.build([queue], [op("a", q=0), op("b", q=0)])
    assert rings(h(CallArrived("1", "q", t(1)))) == [("1", "a")]
    out = h.tick(11)
    assert of(CancelRing, out) == [CancelRing("1", "a")]
    assert rings(out) == [("1", "b")]
    assert h.state("a") == "available"


def test_offer_failed_rests_the_operator_then_retries() -> None:
    h = Harness.build([QueuePolicy("q", retry_s=5)], [op("a", q=0)])
    h(CallArrived("1", "q", t(0)))
    assert rings(h(OfferFailed("1", "a", "busy", t(1)))) == []
    assert not h.engine.snapshot().operator("a").routable
    assert h.engine.next_deadline() == t(6)
    assert rings(h.tick(6)) == [("1", "a")]


def test_wrapup_then_available_with_operator_override() -> None:
    ops = [op("a", q=0), OperatorSpec("b", "PJSIP/b", {"q": 0}, wrapup_s=2, logged_in=True)]
    h = Harness.build([QueuePolicy("q", wrapup_s=20)], ops)
    for call_id in ("1", "2"):
        h(CallArrived(call_id, "q", t(0)))
    for call_id, op_id in (("1", "a"), ("2", "b")):
        h(OfferAnswered(call_id, op_id, t(1)))
    for call_id in ("1", "2"):
        h(CallCompleted(call_id, t(10)))
    assert h.state("a") == h.state("b") == "wrapup"
    h.tick(12)
    assert (h.state("a"), h.state("b")) == ("wrapup", "available")
    h.tick(30)
    assert h.state("a") == "available"
    assert h.outcome("1") == h.outcome("2") == "answered"
    final = next(c for c in h.log if isinstance(c, CallRecord) and c.outcome)
    assert (final.wait_s, final.talk_s, final.operator_id) == (1.0, 9.0, "a")


def test_blind_transfer_puts_the_caller_in_the_other_queue() -> None:
    queues = [QueuePolicy("sales", wrapup_s=0), QueuePolicy("billing")]
    h = Harness.build(queues, [op("s", sales=0), op("b", billing=0)])
    h(CallArrived("1", "sales", t(0)))
    h(OfferAnswered("1", "s", t(1)))
    out = h(TransferToQueue("1", "billing", t(30)))
    assert rings(out) == [("1", "b")]
    assert h.state("s") == "available"
    h(OfferAnswered("1", "b", t(31)))
    h(CallCompleted("1", t(40)))
    assert h.outcome("1") == "answered"
    final = next(c for c in h.log if isinstance(c, CallRecord) and c.outcome)
    assert (final.queue, final.operator_id) == ("billing", "b")


def test_offline_endpoint_is_never_offered() -> None:
    h = Harness.build([QueuePolicy("q")], [op("a", q=0), op("b", q=0)])
    h(OperatorEndpointOffline("a", t(0)))
    assert rings(h(CallArrived("1", "q", t(1)))) == [("1", "b")]
    assert rings(h(CallArrived("2", "q", t(2)))) == []
    assert rings(h(OperatorEndpointOnline("a", t(3)))) == [("2", "a")]


def test_endpoint_going_offline_while_ringing_moves_the_call_on() -> None:
    h = Harness.build([QueuePolicy("q")], [op("a", q=0), op("b", q=0)])
    h(CallArrived("1", "q", t(1)))
    out = h(OperatorEndpointOffline("a", t(2)))
    assert of(CancelRing, out) == [CancelRing("1", "a")]
    assert rings(out) == [("1", "b")]


def test_pause_while_ringing_withdraws_the_offer() -> None:
    h = Harness.build([QueuePolicy("q")], [op("a", q=0)])
    h(CallArrived("1", "q", t(1)))
    out = h(OperatorPaused("a", t(2), reason="break"))
    assert of(CancelRing, out) == [CancelRing("1", "a")]
    assert h.engine.snapshot().call("1").position == 1


def test_pause_and_logout_on_a_call_take_effect_after_it() -> None:
    h = Harness.build([QueuePolicy("q")], [op("a", q=0), op("b", q=0)])
    h(CallArrived("1", "q", t(0)))
    h(CallArrived("2", "q", t(0)))
    h(OfferAnswered("1", "a", t(1)))
    h(OfferAnswered("2", "b", t(1)))
    h(OperatorPaused("a", t(2), reason="lunch"))
    h(OperatorLoggedOut("b", t(2)))
    assert h.state("a") == h.state("b") == "on_call"
    assert h.engine.snapshot().operator("a").pending == "pause:lunch"
    h(CallCompleted("1", t(3)))
    h(CallCompleted("2", t(3)))
    assert (h.state("a"), h.state("b")) == ("paused", "logged_out")


def test_unpause_on_a_call_cancels_the_pending_pause() -> None:
    h = Harness.build([QueuePolicy("q", wrapup_s=0)], [op("a", q=0)])
    h(CallArrived("1", "q", t(0)))
    h(OfferAnswered("1", "a", t(1)))
    h(OperatorPaused("a", t(2)))
    h(OperatorUnpaused("a", t(3)))
    h(CallCompleted("1", t(4)))
    assert h.state("a") == "available"


def test_hang_up_while_waiting_ringing_or_connected() -> None:
    h = Harness.build([QueuePolicy("q", wrapup_s=0)], [op("a", q=0)])
    h(CallArrived("1", "q", t(0)))
    h(CallArrived("2", "q", t(0)))
    assert h(CallerHungUp("2", t(1)))
    assert h.outcome("2") == "abandoned"
    out = h(CallerHungUp("1", t(2)))
    assert of(CancelRing, out) == [CancelRing("1", "a")]
    assert h.outcome("1") == "abandoned"
    h(CallArrived("3", "q", t(3)))
    h(OfferAnswered("3", "a", t(4)))
    h(CallerHungUp("3", t(5)))
    assert h.outcome("3") == "answered"


@pytest.mark.parametrize(
    ("event", "error"),
    [
        (OperatorLoggedIn("a", t(5)), Conflict),  # already logged in
        (OperatorUnpaused("a", t(5)), Conflict),  # not paused (on call, nothing pending)
        (OperatorLoggedIn("nobody", t(5)), NotFound),
        (OfferAnswered("1", "b", t(5)), Conflict),  # 1 is not ringing b
        (OfferAnswered("2", "a", t(5)), Conflict),  # 2 is waiting
        (CallCompleted("2", t(5)), Conflict),  # 2 is not connected
        (CallArrived("1", "q", t(5)), Conflict),  # duplicate call id
        (CallArrived("9", "nope", t(5)), NotFound),
        (CallbackRequested("1", t(5)), Conflict),  # connected
        (TransferToQueue("2", "nope", t(5)), NotFound),
        (OfferFailed("2", "b", "busy", t(5)), Conflict),
        (CallerHungUp("gone", t(5)), NotFound),
        (Tick(t(1)), InvalidInput),  # time went backwards
        (Tick(datetime(2024, 1, 1, 10)), InvalidInput),  # naive
    ],
)
def test_illegal_events_raise_and_change_nothing(event: object, error: type) -> None:
    h = Harness.build([QueuePolicy("q")], [op("a", q=0), op("b", q=0)])
    h(OperatorPaused("b", t(0)))
    h(CallArrived("1", "q", t(1)))
    h(OfferAnswered("1", "a", t(2)))
    h(CallArrived("2", "q", t(3)))
    before = h.engine.snapshot()
    deadline = h.engine.next_deadline()
    with pytest.raises(error):
        h(event)  # type: ignore[arg-type]
    assert h.engine.snapshot() == before
    assert h.engine.next_deadline() == deadline
    assert h.engine.now == t(3)


def test_the_core_decides_whether_a_connected_call_is_recorded() -> None:
    """The queue's policy, unless the call brings its own (a campaign's)."""
    queues = [QueuePolicy("q", recording="on_demand")]
    h = Harness.build(queues, [op("a", q=0), op("b", q=0)])
    h(CallArrived("queue", "q", t(0)))
    h(CallArrived("campaign", "q", t(0), recording="never"))
    (own,) = of(ConnectCall, h(OfferAnswered("queue", "a", t(1))))
    (campaigns,) = of(ConnectCall, h(OfferAnswered("campaign", "b", t(1))))
    assert (own.recording, campaigns.recording) == ("on_demand", "never")
    assert h.engine.recording_policy("campaign") == "never"
