"""Tiers, priority, escalation and the one dispatcher across queues."""

from __future__ import annotations

from callrouter.acd import (
    AcdConfig,
    CallArrived,
    CallCompleted,
    EscalationStep,
    OfferAnswered,
    OperatorSpec,
    QueuePolicy,
)

from ._helpers import Harness, op, rings, t


def _busy(h: Harness, call_id: str, queue: str, op_id: str, at: float) -> None:
    """Occupy ``op_id`` with a call of its own."""
    assert rings(h(CallArrived(call_id, queue, t(at)))) == [(call_id, op_id)]
    h(OfferAnswered(call_id, op_id, t(at)))


def test_lower_penalty_tier_first_higher_only_when_lower_is_busy() -> None:
    h = Harness.build([QueuePolicy("q")], [op("senior", q=1), op("junior", q=0)])
    assert rings(h(CallArrived("1", "q", t(1)))) == [("1", "junior")]
    assert rings(h(CallArrived("2", "q", t(2)))) == [("2", "senior")]


def test_max_penalty_keeps_calls_from_higher_tiers_until_escalation() -> None:
    queue = QueuePolicy(
        "q", max_penalty=0, escalation=[EscalationStep(after_s=30, max_penalty=5)], wrapup_s=0
    )
    h = Harness.build([queue], [op("junior", q=0), op("senior", q=5)])
    _busy(h, "1", "q", "junior", 0)
    assert rings(h(CallArrived("2", "q", t(1)))) == []
    assert rings(h.tick(20)) == []
    assert h.engine.next_deadline() == t(31)
    assert rings(h.tick(31)) == [("2", "senior")]


def test_escalation_adds_another_queues_operators() -> None:
    sales = QueuePolicy("sales", escalation=[EscalationStep(after_s=60, add_queues=["support"])])
    h = Harness.build([sales, QueuePolicy("support")], [op("s", sales=0), op("p", support=0)])
    _busy(h, "1", "sales", "s", 0)
    assert rings(h(CallArrived("2", "sales", t(10)))) == []
    assert rings(h.tick(69)) == []
    assert rings(h.tick(70)) == [("2", "p")]
    assert h.engine.snapshot().call("2").reach == ("sales", "support")


def test_higher_priority_is_served_first_then_longest_wait() -> None:
    h = Harness.build([QueuePolicy("q", wrapup_s=0)], [op("a", q=0)])
    _busy(h, "0", "q", "a", 0)
    h(CallArrived("old", "q", t(1), priority=0))
    h(CallArrived("vip", "q", t(2), priority=5))
    h(CallArrived("new", "q", t(3), priority=0))
    assert [c.call_id for c in h.engine.snapshot().queue("q").waiting] == ["vip", "old", "new"]
    assert rings(h(CallCompleted("0", t(4)))) == [("vip", "a")]


def test_operator_in_two_queues_gets_the_longest_waiting_caller() -> None:
    # app_queue serves its queues one at a time and can hand the newer caller first.
    queues = [QueuePolicy("a", wrapup_s=0), QueuePolicy("b", wrapup_s=0)]
    for first, second in (("a", "b"), ("b", "a")):
        ops = [op("both", a=0, b=0), op("only_a", a=0), op("only_b", b=0)]
        h = Harness.build(queues, ops)
        _busy(h, "x", "a", "both", 0)
        _busy(h, "y", "a", "only_a", 0)
        _busy(h, "z", "b", "only_b", 0)
        h(CallArrived("older", first, t(5)))
        h(CallArrived("newer", second, t(6)))
        assert rings(h(CallCompleted("x", t(10)))) == [("older", "both")]
        h(OfferAnswered("older", "both", t(11)))
        assert rings(h(CallCompleted("older", t(20)))) == [("newer", "both")]


def test_service_level_at_risk_comes_before_longest_wait() -> None:
    # Queue "fast" promises 10 s (risk at 8 s); "slow" promises 300 s.
    queues = [
        QueuePolicy("fast", service_level_s=10, wrapup_s=0),
        QueuePolicy("slow", service_level_s=300, wrapup_s=0),
    ]
    ops = [op("both", fast=0, slow=0), op("f", fast=0), op("s", slow=0)]
    h = Harness.build(queues, ops)
    _busy(h, "x", "fast", "both", 0)
    _busy(h, "y", "fast", "f", 0)
    _busy(h, "z", "slow", "s", 0)
    h(CallArrived("slow-old", "slow", t(1)))
    h(CallArrived("fast-new", "fast", t(5)))
    # At 14 s fast-new has waited 9 s >= 8 s: at risk; slow-old (13 s) is not.
    assert rings(h(CallCompleted("x", t(14)))) == [("fast-new", "both")]


def test_priority_beats_service_level_risk() -> None:
    queues = [QueuePolicy("a", service_level_s=5, wrapup_s=0), QueuePolicy("b", wrapup_s=0)]
    ops = [op("both", a=0, b=0), op("oa", a=0), op("ob", b=0)]
    h = Harness.build(queues, ops)
    _busy(h, "x", "a", "both", 0)
    _busy(h, "y", "a", "oa", 0)
    _busy(h, "z", "b", "ob", 0)
    h(CallArrived("risky", "a", t(1)))
    h(CallArrived("vip", "b", t(2), priority=9))
    assert rings(h(CallCompleted("x", t(30)))) == [("vip", "both")]


def test_reconfigured_escalation_applies_to_callers_already_waiting() -> None:
    queues = [QueuePolicy("q", max_penalty=0)]
    ops = [op("junior", q=0), op("senior", q=3)]
    h = Harness.build(queues, ops)
    _busy(h, "1", "q", "junior", 0)
    h(CallArrived("2", "q", t(10)))
    h(CallArrived("3", "q", t(50)))
    assert h.engine.next_deadline() is not None  # announcements only
    new = AcdConfig(
        queues=[QueuePolicy("q", max_penalty=0, escalation=[EscalationStep(60, max_penalty=3)])],
        operators=ops,
    )
    # Call 2 has waited 65 s already: the new step applies at once; call 3 keeps its place.
    out = h.engine.reconfigure(new, t(75))
    assert rings(out) == [("2", "senior")]
    assert [c.call_id for c in h.engine.snapshot().queue("q").waiting] == ["3"]
    h(OfferAnswered("2", "senior", t(76)))
    # Call 3 escalates 60 s after it joined, under the new steps.
    assert h.engine.snapshot().call("3").max_penalty == 0
    h.tick(110)
    assert h.engine.snapshot().call("3").max_penalty == 3
    assert rings(h(CallCompleted("2", t(111)))) == []  # senior in wrap-up
    assert rings(h.tick(116)) == [("3", "senior")]


def test_reconfigure_keeps_places_and_adds_operators() -> None:
    h = Harness.build([QueuePolicy("q", join_empty=True)], [])
    for n in range(3):
        h(CallArrived(str(n), "q", t(n)))
    new = AcdConfig(queues=[QueuePolicy("q", join_empty=True)], operators=[op("a", q=0)])
    assert rings(h.engine.reconfigure(new, t(10))) == [("0", "a")]
    assert [c.call_id for c in h.engine.snapshot().queue("q").waiting] == ["1", "2"]


def test_reconfigure_refuses_to_drop_a_queue_with_callers() -> None:
    import pytest

    from callrouter.errors import Conflict

    h = Harness.build([QueuePolicy("q", join_empty=True), QueuePolicy("r")], [])
    h(CallArrived("1", "q", t(1)))
    before = h.engine.snapshot()
    with pytest.raises(Conflict):
        h.engine.reconfigure(AcdConfig(queues=[QueuePolicy("r")]), t(2))
    assert h.engine.snapshot() == before


def test_removed_operator_on_call_leaves_after_the_call() -> None:
    h = Harness.build([QueuePolicy("q")], [op("a", q=0), op("b", q=0)])
    _busy(h, "1", "q", "a", 0)
    h.engine.reconfigure(AcdConfig(queues=[QueuePolicy("q")], operators=[op("b", q=0)]), t(1))
    assert h.state("a") == "on_call"
    h(CallCompleted("1", t(5)))
    assert [o.operator_id for o in h.engine.snapshot().operators] == ["b"]


def test_operator_spec_validation() -> None:
    import pytest

    from callrouter.errors import InvalidInput

    with pytest.raises(InvalidInput):
        AcdConfig(queues=[QueuePolicy("q")], operators=[OperatorSpec("a", "PJSIP/a", {"r": 0})])
    with pytest.raises(InvalidInput):
        QueuePolicy("q", strategy="fastest")  # type: ignore[arg-type]
