"""Places in line that outlive a restart (``CallsRestored``) or a slow lookup."""

from __future__ import annotations

import pytest

from callrouter.acd import (
    CallArrived,
    CallCompleted,
    CallerHungUp,
    CallRecord,
    CallsRestored,
    EscalationStep,
    HoldCaller,
    OperatorPaused,
    OperatorState,
    OperatorUnpaused,
    QueuePolicy,
    RestoredCall,
)
from callrouter.errors import Conflict
from tests.acd._helpers import Harness, of, op, rings, t


def _center(**policy: object) -> Harness:
    return Harness.build(
        [QueuePolicy("support", wrapup_s=0, **policy)],  # type: ignore[arg-type]
        [op("anna", support=0), op("bob", support=0)],
    )


def _talking(call_id: str, operator_id: str) -> RestoredCall:
    return RestoredCall(
        call_id, "support", queued_at=t(0), arrived_at=t(0), operator_id=operator_id,
        answered_at=t(5), offered_at=t(3),
    )  # fmt: skip


def _waiting(call_id: str, since: float, priority: int = 0) -> RestoredCall:
    return RestoredCall(call_id, "support", queued_at=t(since), arrived_at=t(since),
                        priority=priority)  # fmt: skip


def test_waiting_callers_never_ring_an_operator_who_is_talking() -> None:
    acd = _center()
    # The waiting callers come first in the event: order must not matter.
    out = acd(
        CallsRestored((_waiting("w1", 10), _talking("c1", "anna"), _talking("c2", "bob")), t(60))
    )
    assert rings(out) == []
    states = {o.operator_id: o.state for o in acd.engine.snapshot().operators}
    assert states == {"anna": OperatorState.ON_CALL, "bob": OperatorState.ON_CALL}
    held = of(HoldCaller, out)
    assert [(h.call_id, h.resumed) for h in held] == [("w1", True)]
    # anna's call ends: she takes the waiting caller.
    assert rings(acd(CallCompleted("c1", t(70)))) == [("w1", "anna")]


def test_a_restored_call_ends_as_any_call_with_its_whole_wait_and_talk() -> None:
    acd = _center()
    acd(CallsRestored((_talking("c1", "anna"), _waiting("w1", 10)), t(60)))
    done = of(CallRecord, acd(CallCompleted("c1", t(90))))
    assert done[-1].outcome == "answered"
    assert done[-1].operator_id == "anna"
    assert done[-1].wait_s == 5.0  # answered at 5 s after queueing at 0
    assert done[-1].talk_s == 85.0
    gone = of(CallRecord, acd(CallerHungUp("w1", t(100))))
    assert gone[-1].outcome == "abandoned"
    assert gone[-1].wait_s >= 89.0  # waiting since 10 s, across the restart


def test_restored_callers_keep_their_order_by_priority_then_queue_time() -> None:
    acd = Harness.build([QueuePolicy("support", wrapup_s=0)], [op("anna", support=0)])
    acd(OperatorPaused("anna", t(1), "break"))
    acd(CallsRestored((_waiting("late", 30), _waiting("early", 10), _waiting("vip", 40, 9)), t(60)))
    waiting = [c.call_id for c in acd.engine.snapshot().queues[0].waiting]
    assert waiting == ["vip", "early", "late"]


def test_a_paused_operator_on_a_call_is_paused_again_when_it_ends() -> None:
    acd = _center()
    acd(OperatorPaused("anna", t(1), "lunch"))
    acd(CallsRestored((_talking("c1", "anna"),), t(60)))
    acd(CallCompleted("c1", t(70)))
    view = acd.engine.snapshot().operator("anna")
    assert view.state is OperatorState.PAUSED
    assert view.pause_reason == "lunch"


def test_escalation_steps_already_passed_apply_at_once() -> None:
    acd = Harness.build(
        [
            QueuePolicy(
                "support", wrapup_s=0, max_penalty=0,
                escalation=(EscalationStep(after_s=20, max_penalty=5),),
            )
        ],
        [op("anna", support=0), op("senior", support=5)],
    )
    acd(OperatorPaused("anna", t(1), "break"))
    out = acd(CallsRestored((_waiting("w1", 10),), t(60)))  # waited 50 s > 20 s
    assert rings(out) == [("w1", "senior")]


def test_a_refused_restore_changes_nothing() -> None:
    acd = _center()
    with pytest.raises(Conflict):
        acd(CallsRestored((_talking("c1", "anna"), _talking("c2", "anna")), t(60)))
    assert acd.engine.snapshot().calls == ()
    assert acd.engine.snapshot().operator("anna").state is OperatorState.AVAILABLE


def test_a_caller_looked_up_slowly_keeps_the_place_of_their_arrival() -> None:
    acd = Harness.build([QueuePolicy("support", wrapup_s=0)], [op("anna", support=0)])
    acd(OperatorPaused("anna", t(0), "break"))
    acd(CallArrived("late", "support", t(2)))
    # Arrived at 1 s, but its customer lookup finished only at 3 s.
    acd(CallArrived("early", "support", t(3), arrived_at=t(1)))
    waiting = [c.call_id for c in acd.engine.snapshot().queues[0].waiting]
    assert waiting == ["early", "late"]
    assert rings(acd(OperatorUnpaused("anna", t(4)))) == [("early", "anna")]
