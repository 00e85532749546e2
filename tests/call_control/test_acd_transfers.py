"""The queue side of call control, in the pure core: original wait and priority kept,
escalated callers first when the queue says so, consulted operators reserved."""

from __future__ import annotations

import pytest

from callrouter.acd import (
    CallArrived,
    CallCompleted,
    CallRecord,
    ConnectCall,
    ConsultCompleted,
    ConsultEnded,
    ConsultReserved,
    ConsultStarted,
    OfferAnswered,
    OperatorLoggedIn,
    OperatorLoggedOut,
    OperatorPaused,
    OperatorSpec,
    OperatorUnpaused,
    QueuePolicy,
    TransferredOut,
    TransferToOperator,
    TransferToQueue,
)
from callrouter.errors import Conflict
from tests.acd._helpers import Harness, of, op, rings, t


def _two_queues(*, escalated_first: bool = False) -> Harness:
    queues = [
        QueuePolicy("support", wrapup_s=0),
        QueuePolicy("specialists", wrapup_s=0, join_empty=True, escalated_first=escalated_first),
    ]
    specialist = OperatorSpec("s", "PJSIP/s", {"specialists": 0}, logged_in=False)
    return Harness.build(queues, [op("a", support=0), op("b", support=0), specialist])


def _escalate_while_another_waits(h: Harness) -> None:
    h(CallArrived("old", "support", t(0)))
    h(OfferAnswered("old", "a", t(1)))
    h(CallArrived("fresh", "specialists", t(50)))  # nobody in specialists yet
    h(TransferToQueue("old", "specialists", t(60)))


def test_a_transferred_caller_keeps_the_place_of_their_original_arrival() -> None:
    h = _two_queues()
    _escalate_while_another_waits(h)
    out = h(OperatorLoggedIn("s", t(70)))
    assert rings(out) == [("old", "s")]  # arrived at 0, before "fresh" at 50


def test_escalated_first_puts_a_transferred_caller_ahead_of_older_callers() -> None:
    h = _two_queues(escalated_first=True)
    h(CallArrived("older", "specialists", t(0)))
    h(CallArrived("esc", "support", t(10)))
    h(OfferAnswered("esc", "a", t(11)))
    h(TransferToQueue("esc", "specialists", t(20)))
    assert rings(h(OperatorLoggedIn("s", t(30)))) == [("esc", "s")]


def test_without_escalated_first_the_older_caller_still_goes_first() -> None:
    h = _two_queues()
    h(CallArrived("older", "specialists", t(0)))
    h(CallArrived("esc", "support", t(10)))
    h(OfferAnswered("esc", "a", t(11)))
    h(TransferToQueue("esc", "specialists", t(20)))
    assert rings(h(OperatorLoggedIn("s", t(30)))) == [("older", "s")]


def test_priority_is_kept_across_a_transfer() -> None:
    h = _two_queues()
    h(CallArrived("plain", "specialists", t(0)))
    h(CallArrived("vip", "support", t(10), priority=5))
    h(OfferAnswered("vip", "a", t(11)))
    h(TransferToQueue("vip", "specialists", t(20)))
    assert rings(h(OperatorLoggedIn("s", t(30)))) == [("vip", "s")]


def test_connect_wait_counts_from_entering_the_new_queue() -> None:
    h = _two_queues()
    _escalate_while_another_waits(h)
    h(OperatorLoggedIn("s", t(70)))
    h(OfferAnswered("old", "s", t(72)))
    [connect] = [c for c in of(ConnectCall, h.log) if c.operator_id == "s"]
    assert connect.waited_s == 12.0  # entered specialists at 60


def test_the_transfer_record_names_the_new_queue_and_the_first_operator() -> None:
    h = _two_queues()
    _escalate_while_another_waits(h)
    [record] = [c for c in of(CallRecord, h.log) if c.reason == "transfer"]
    assert (record.operator_id, record.transferred_to, record.queue) == (
        "a",
        "specialists",
        "support",
    )


def test_blind_transfer_to_an_operator_rings_only_them() -> None:
    h = _two_queues()
    h(CallArrived("1", "support", t(0)))
    h(OfferAnswered("1", "a", t(1)))
    out = h(TransferToOperator("1", "b", t(5)))
    assert rings(out) == [("1", "b")]
    assert h.state("a") == "available"


def test_blind_transfer_to_a_busy_operator_is_refused_and_changes_nothing() -> None:
    h = _two_queues()
    h(CallArrived("1", "support", t(0)))
    h(OfferAnswered("1", "a", t(1)))
    h(CallArrived("2", "support", t(2)))
    h(OfferAnswered("2", "b", t(3)))
    before = h.engine.snapshot()
    with pytest.raises(Conflict):
        h(TransferToOperator("1", "b", t(5)))
    assert h.engine.snapshot() == before


def test_transfer_out_ends_the_call_as_transferred_and_frees_the_operator() -> None:
    h = _two_queues()
    h(CallArrived("1", "support", t(0)))
    h(OfferAnswered("1", "a", t(1)))
    h(TransferredOut("1", "+4930555", t(9)))
    assert h.outcome("1") == "transferred"
    assert h.state("a") == "available"


def test_consulting_a_queue_reserves_its_next_free_operator() -> None:
    h = _two_queues()
    h(OperatorLoggedIn("s", t(0)))
    h(CallArrived("1", "support", t(0)))
    h(OfferAnswered("1", "a", t(1)))
    [reserved] = of(ConsultReserved, h(ConsultStarted("1", t(5), queue="specialists")))
    assert reserved.operator_id == "s"
    assert (h.state("s"), h.engine.snapshot().operator("s").pause_reason) == ("paused", "consult")
    h(CallArrived("2", "specialists", t(6)))  # s is reserved: not offered
    assert h.state("s") == "paused"


def test_a_completed_consult_hands_the_call_to_the_consulted_operator() -> None:
    h = _two_queues()
    h(OperatorLoggedIn("s", t(0)))
    h(CallArrived("1", "support", t(0)))
    h(OfferAnswered("1", "a", t(1)))
    h(ConsultStarted("1", t(5), queue="specialists"))
    h(ConsultCompleted("1", "s", t(20)))
    assert (h.state("a"), h.state("s")) == ("available", "on_call")
    [record] = [c for c in of(CallRecord, h.log) if c.reason == "attended-transfer"]
    assert (record.operator_id, record.transferred_to) == ("a", "operator:s")
    h(CallCompleted("1", t(40)))
    assert h.outcome("1") == "answered"
    final = next(c for c in of(CallRecord, h.log) if c.outcome)
    assert final.operator_id == "s"


def test_a_cancelled_consult_frees_the_consulted_operator() -> None:
    h = _two_queues()
    h(OperatorLoggedIn("s", t(0)))
    h(CallArrived("1", "support", t(0)))
    h(OfferAnswered("1", "a", t(1)))
    h(ConsultStarted("1", t(5), operator_id="s"))
    h(ConsultEnded("1", "s", t(9)))
    assert (h.state("a"), h.state("s")) == ("on_call", "available")


def test_the_caller_hanging_up_during_a_consult_frees_both_operators() -> None:
    h = _two_queues()
    h(OperatorLoggedIn("s", t(0)))
    h(CallArrived("1", "support", t(0)))
    h(OfferAnswered("1", "a", t(1)))
    h(ConsultStarted("1", t(5), operator_id="s"))
    h(CallCompleted("1", t(9)))
    assert (h.state("a"), h.state("s")) == ("available", "available")


def test_no_blind_transfer_during_a_consult() -> None:
    h = _two_queues()
    h(OperatorLoggedIn("s", t(0)))
    h(CallArrived("1", "support", t(0)))
    h(OfferAnswered("1", "a", t(1)))
    h(ConsultStarted("1", t(5), operator_id="s"))
    with pytest.raises(Conflict):
        h(TransferToQueue("1", "specialists", t(6)))


def test_consulting_an_empty_queue_is_refused() -> None:
    h = _two_queues()
    h(CallArrived("1", "support", t(0)))
    h(OfferAnswered("1", "a", t(1)))
    with pytest.raises(Conflict):
        h(ConsultStarted("1", t(5), queue="specialists"))


def test_a_caller_sent_to_a_specialist_waits_in_the_specialists_queue() -> None:
    h = _two_queues()
    h(OperatorLoggedIn("s", t(0)))
    h(CallArrived("1", "support", t(0)))
    h(OfferAnswered("1", "a", t(1)))
    assert rings(h(TransferToOperator("1", "s", t(5)))) == [("1", "s")]
    assert h.engine.snapshot().call("1").queue == "specialists"  # s takes only those


def test_a_consulted_operator_cannot_leave_until_the_consultation_is_over() -> None:
    h = _two_queues()
    h(OperatorLoggedIn("s", t(0)))
    h(CallArrived("1", "support", t(0)))
    h(OfferAnswered("1", "a", t(1)))
    h(ConsultStarted("1", t(5), operator_id="s"))
    for event in (
        OperatorUnpaused("s", t(6)), OperatorPaused("s", t(6), reason="lunch"),
        OperatorLoggedOut("s", t(6)),
    ):  # fmt: skip
        with pytest.raises(Conflict):
            h(event)
    h(ConsultEnded("1", "s", t(7)))
    h(OperatorLoggedOut("s", t(8)))
    assert h.state("s") == "logged_out"
