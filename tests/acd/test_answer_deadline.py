"""An outbound customer's abandon deadline (the regulators' rule) is the core's decision:
``CallArrived.answer_by`` arms it, a ``Tick`` past it abandons the customer with the
campaign's apology unless an operator has answered, and the operators it was ringing
are free again, not paused for a no-answer."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from callrouter.acd import (
    ANSWER_DEADLINE,
    AbandonCaller,
    AnswerDeadlineSet,
    CallArrived,
    CallCompleted,
    CallRecord,
    CancelRing,
    OfferAnswered,
    QueuePolicy,
)
from callrouter.errors import NotFound

from ._helpers import Harness, of, op, rings, t


def _outbound(call_id: str, at: float, deadline: float) -> CallArrived:
    return CallArrived(
        call_id, "q", t(at), priority=100, answer_by=t(deadline), apology_sound="sorry"
    )


def _final(h: Harness, call_id: str) -> CallRecord:
    (record,) = [c for c in of(CallRecord, h.log) if c.call_id == call_id and c.outcome]
    return record


def test_a_waiting_customer_is_abandoned_with_the_apology_at_the_deadline() -> None:
    h = Harness.build([QueuePolicy("q", join_empty=True)], [])
    h(_outbound("x", 0, 2))
    assert of(AbandonCaller, h.tick(1.999)) == []
    out = h.tick(2)
    assert of(AbandonCaller, out) == [AbandonCaller("x", "sorry")]
    record = _final(h, "x")
    assert (record.outcome, record.reason) == ("abandoned", ANSWER_DEADLINE)
    assert h.engine.snapshot().queue("q").waiting == ()


def test_a_ringing_operator_is_too_late_and_stays_available() -> None:
    h = Harness.build([QueuePolicy("q", ring_timeout_s=30)], [op("a", q=0)])
    assert rings(h(_outbound("x", 0, 2))) == [("x", "a")]
    out = h.tick(2)
    assert of(CancelRing, out) == [CancelRing("x", "a")]
    assert of(AbandonCaller, out) == [AbandonCaller("x", "sorry")]
    # Cut short by the abandon, not a no-answer: no auto-pause.
    assert h.state("a") == "available"
    assert h.outcome("x") == "abandoned"


def test_an_answered_customer_is_never_abandoned() -> None:
    h = Harness.build([QueuePolicy("q")], [op("a", q=0)])
    h(_outbound("x", 0, 2))
    h(OfferAnswered("x", "a", t(1.5)))
    assert of(AbandonCaller, h.tick(5)) == []
    h(CallCompleted("x", t(60)))
    assert h.outcome("x") == "answered"


def test_a_deadline_already_past_on_arrival_never_joins_the_line() -> None:
    """AMD took longer than the limit: the customer hears the apology at once, and no
    operator is rung for them."""
    h = Harness.build([QueuePolicy("q")], [op("a", q=0)])
    out = h(_outbound("x", 3, 2))
    assert rings(out) == []
    assert of(AbandonCaller, out) == [AbandonCaller("x", "sorry")]
    assert _final(h, "x").reason == ANSWER_DEADLINE


def test_a_restored_customer_gets_their_deadline_back() -> None:
    h = Harness.build([QueuePolicy("q", join_empty=True)], [])
    h(CallArrived("x", "q", t(0), priority=100))  # restored without one
    h(AnswerDeadlineSet("x", t(2), "sorry", t(1)))
    assert of(AbandonCaller, h.tick(2)) == [AbandonCaller("x", "sorry")]
    with pytest.raises(NotFound):
        h(AnswerDeadlineSet("x", t(4), "sorry", t(3)))


def test_a_restored_deadline_already_past_abandons_at_once() -> None:
    h = Harness.build([QueuePolicy("q", join_empty=True)], [])
    h(CallArrived("x", "q", t(0), priority=100))
    out = h(AnswerDeadlineSet("x", t(2), "sorry", t(5)))
    assert of(AbandonCaller, out) == [AbandonCaller("x", "sorry")]


@given(
    answer_step=st.one_of(st.none(), st.integers(min_value=1, max_value=40)),
    deadline_step=st.integers(min_value=0, max_value=40),
)
def test_every_customer_is_either_answered_in_time_or_abandoned_at_their_deadline(
    answer_step: int | None, deadline_step: int
) -> None:
    """Exactly one of: the operator answered by the deadline (an answer that arrives
    before the deadline's tick counts) and the customer is never abandoned; or the
    customer is abandoned once, with the apology, at the first tick at or past the
    deadline, and never before."""
    h = Harness.build([QueuePolicy("q", ring_timeout_s=30)], [op("a", q=0)])
    h(_outbound("x", 0, deadline_step / 10))
    abandoned_at = 0 if of(AbandonCaller, h.log) else None
    for step in range(1, 51):
        if step == answer_step and abandoned_at is None:
            h(OfferAnswered("x", "a", t(step / 10)))
        if of(AbandonCaller, h.tick(step / 10)):
            abandoned_at = step
    in_time = answer_step is not None and deadline_step >= 1 and answer_step <= deadline_step
    if in_time:
        assert abandoned_at is None
        assert h.outcome("x") is None  # still talking
    else:
        assert abandoned_at == deadline_step
        assert len(of(AbandonCaller, h.log)) == 1
        assert h.outcome("x") == "abandoned"
