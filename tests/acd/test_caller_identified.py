"""A caller routed before their customer lookup ended (an operator was free) gets their
priority when the card comes (``CallerIdentified``); ``serves_at_once`` is the test the
shell uses to route them without waiting."""

from __future__ import annotations

import pytest

from callrouter.acd import (
    CallArrived,
    CallerIdentified,
    OfferFailed,
    OperatorPaused,
    OperatorUnpaused,
    QueuePolicy,
)
from callrouter.errors import NotFound

from ._helpers import Harness, op, rings, t


def test_serves_at_once_while_an_operator_who_may_take_the_caller_is_routable() -> None:
    h = Harness.build([QueuePolicy("q"), QueuePolicy("other")], [op("a", q=0)])
    assert h.engine.serves_at_once("q")
    assert not h.engine.serves_at_once("other")  # nobody serves it
    assert not h.engine.serves_at_once("no-such-queue")
    h(OperatorPaused("a", t(1), "lunch"))
    assert not h.engine.serves_at_once("q")


def test_serves_at_once_honours_the_queues_penalty_cap() -> None:
    h = Harness.build([QueuePolicy("q", max_penalty=0)], [op("a", q=1)])
    assert not h.engine.serves_at_once("q")


def test_a_waiting_caller_moves_to_the_place_their_priority_gives() -> None:
    h = Harness.build([QueuePolicy("q", join_empty=True)], [op("a", q=0)])
    h(OperatorPaused("a", t(0), "lunch"))
    h(CallArrived("early", "q", t(1)))
    h(CallArrived("vip", "q", t(2)))
    h(CallerIdentified("vip", 10, t(3)))
    out = h(OperatorUnpaused("a", t(4)))
    assert rings(out) == [("vip", "a")]


def test_a_ringing_callers_priority_counts_when_they_come_back_to_the_line() -> None:
    h = Harness.build([QueuePolicy("q", retry_s=30)], [op("a", q=0)])
    assert rings(h(CallArrived("vip", "q", t(0)))) == [("vip", "a")]
    h(CallerIdentified("vip", 10, t(1)))
    h(OfferFailed("vip", "a", "busy", t(2)))  # back in line; a rests 30 s
    h(CallArrived("later", "q", t(3), priority=5))
    line = h.engine.snapshot().queue("q").waiting
    assert [(c.call_id, c.priority, c.position) for c in line] == [
        ("vip", 10, 1),
        ("later", 5, 2),
    ]


def test_a_card_for_a_call_that_has_ended_is_refused() -> None:
    h = Harness.build([QueuePolicy("q")], [op("a", q=0)])
    with pytest.raises(NotFound):
        h(CallerIdentified("gone", 10, t(1)))
