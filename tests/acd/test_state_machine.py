"""Hypothesis drives the engine with random events and checks the routing invariants.

Invariants, after every step:
- no operator is offered two calls at once, and every ring is consistent both ways;
- no call is offered to an operator who may not take it;
- no call waits while an operator who may take it is routable;
- cross-queue fairness: an operator rung for a call in a step leaves no call waiting
  that they may take and that the one dispatcher ranks higher (priority, then service
  level at risk, then longest wait), whatever queues the two calls are in;
- no call is lost: every call that arrived is waiting, offered or connected, or has
  exactly one terminal ``CallRecord``;
- time never goes backwards, in the engine or in the records it emits.
An event the engine refuses must leave its snapshot unchanged.
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import datetime, timedelta

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from callrouter.acd import (
    AcdCommand,
    AcdConfig,
    AcdEngine,
    AcdEvent,
    AnnouncePolicy,
    CallArrived,
    CallbackRequested,
    CallCompleted,
    CallerHungUp,
    CallerIdentified,
    CallRecord,
    CallStatus,
    CallView,
    EscalationStep,
    OfferAnswered,
    OfferFailed,
    OperatorEndpointOffline,
    OperatorEndpointOnline,
    OperatorLoggedIn,
    OperatorLoggedOut,
    OperatorPaused,
    OperatorSpec,
    OperatorStateChanged,
    OperatorUnpaused,
    OperatorView,
    OverflowTarget,
    QueuePolicy,
    RingOperator,
    Tick,
    TransferToQueue,
)
from callrouter.errors import DomainError

from ._helpers import T0

QUEUES = ("a", "b", "c")
OPERATORS = {
    "o1": {"a": 0},
    "o2": {"a": 1, "b": 0},
    "o3": {"b": 0, "c": 2},
    "o4": {"a": 2, "c": 0},
    "o5": {"c": 1},
}
# Every queue here keeps the default service level (20 s) and risk fraction (0.8).
RISK_S = 16.0
STRATEGIES = ["longest_idle", "round_robin", "fewest_calls", "random", "linear", "ring_all"]


def _admits(op: OperatorView, call: CallView) -> bool:
    for q in call.reach:
        p = op.queues.get(q)
        if p is not None and (call.max_penalty is None or p <= call.max_penalty):
            return True
    return False


def _config(strategies: list[str], flags: list[bool], escalate: bool) -> AcdConfig:
    steps = [EscalationStep(20, max_penalty=2), EscalationStep(40, add_queues=["b"])]
    queues = [
        QueuePolicy(
            "a",
            strategy=strategies[0],  # type: ignore[arg-type]
            max_penalty=0 if escalate else None,
            escalation=steps if escalate else [],
            ring_timeout_s=10,
            max_wait_s=120,
            overflow=OverflowTarget("queue", "c"),
            auto_pause_on_no_answer=flags[0],
            join_empty=flags[1],
            announce=AnnouncePolicy(every_s=25),
        ),
        QueuePolicy(
            "b",
            strategy=strategies[1],  # type: ignore[arg-type]
            max_waiting=3,
            overflow=OverflowTarget("context", "vm"),
            leave_when_empty=flags[2],
            retry_s=0 if flags[3] else 5,
            auto_pause_on_no_answer=False,
            wrapup_s=0,
        ),
        QueuePolicy(
            "c",
            strategy=strategies[2],  # type: ignore[arg-type]
            max_wait_s=90,
            overflow=OverflowTarget("callback"),
            join_empty=True,
            escalation=[EscalationStep(15, add_queues=["a"])],
        ),
    ]
    operators = [
        OperatorSpec(op_id, f"PJSIP/{op_id}", queues, logged_in=(i != 4))
        for i, (op_id, queues) in enumerate(OPERATORS.items())
    ]
    return AcdConfig(queues=queues, operators=operators)


class AcdMachine(RuleBasedStateMachine):
    @initialize(
        strategies=st.lists(st.sampled_from(STRATEGIES), min_size=3, max_size=3),
        flags=st.lists(st.booleans(), min_size=4, max_size=4),
        escalate=st.booleans(),
        seed=st.integers(0, 1000),
    )
    def setup(self, strategies: list[str], flags: list[bool], escalate: bool, seed: int) -> None:
        self.strategies, self.flags, self.escalate = strategies, flags, escalate
        self.engine = AcdEngine(
            _config(strategies, flags, escalate), rng=random.Random(seed), start=T0
        )
        self.now = T0
        self.arrived: list[str] = []
        self.finals: Counter[str] = Counter()
        self.last_record_at = T0

    # -- driving -----------------------------------------------------------------------

    def _apply(self, event: AcdEvent) -> None:
        before = self.engine.snapshot()
        try:
            out = self.engine.handle(event)
        except DomainError:
            assert self.engine.snapshot() == before
            return
        self._check(out)

    def _check(self, out: list[AcdCommand]) -> None:
        snap = self.engine.snapshot()
        ops = {o.operator_id: o for o in snap.operators}
        calls = {c.call_id: c for c in snap.calls}
        for cmd in out:
            if isinstance(cmd, CallRecord) and cmd.outcome is not None:
                self.finals[cmd.call_id] += 1
            if isinstance(cmd, (CallRecord, OperatorStateChanged)):
                at = cmd.at if isinstance(cmd, OperatorStateChanged) else cmd.ended_at
                if at is not None:
                    assert at >= self.last_record_at
                    self.last_record_at = at
            if isinstance(cmd, RingOperator) and cmd.call_id in calls:
                call = calls[cmd.call_id]
                if cmd.operator_id in call.ringing:
                    assert _admits(ops[cmd.operator_id], call), (cmd, call)
                    self._check_fair(ops[cmd.operator_id], call, snap.calls)

    @staticmethod
    def _check_fair(op: OperatorView, rung: CallView, calls: tuple[CallView, ...]) -> None:
        def rank(call: CallView) -> tuple[int, bool, float]:
            # A transferred caller's place counts from their original arrival.
            since = call.ranked_since or call.queued_at
            waited = call.waited_s + (call.queued_at - since).total_seconds()
            return (-call.priority, waited < RISK_S, -waited)

        for other in calls:
            if other.status is CallStatus.WAITING and _admits(op, other):
                assert rank(other) >= rank(rung), (op.operator_id, rung, other)

    def _at(self, dt: float) -> datetime:
        self.now = self.now + timedelta(seconds=dt)
        return self.now

    @rule(dt=st.sampled_from([0, 1, 3, 9, 12, 25, 60]))
    def tick(self, dt: float) -> None:
        self._apply(Tick(self._at(dt)))

    @rule()
    def tick_to_deadline(self) -> None:
        due = self.engine.next_deadline()
        if due is not None and due >= self.now:
            self.now = due
            self._apply(Tick(due))

    @rule(queue=st.sampled_from(QUEUES), priority=st.integers(0, 2), dt=st.sampled_from([0, 1]))
    def arrive(self, queue: str, priority: int, dt: float) -> None:
        call_id = f"c{len(self.arrived)}"
        self.arrived.append(call_id)
        self._apply(CallArrived(call_id, queue, self._at(dt), priority=priority))

    @rule(queue=st.sampled_from(QUEUES), limit_s=st.sampled_from([0, 2, 5]))
    def outbound_customer_answers(self, queue: str, limit_s: float) -> None:
        """A dialled customer with the abandon deadline the core keeps."""
        call_id = f"c{len(self.arrived)}"
        self.arrived.append(call_id)
        at = self._at(0)
        deadline = at + timedelta(seconds=limit_s)
        self._apply(CallArrived(call_id, queue, at, 100, answer_by=deadline, apology_sound="s"))

    @rule(data=st.data())
    def caller_event(self, data: st.DataObject) -> None:
        if not self.arrived:
            return
        call_id = data.draw(st.sampled_from(self.arrived))
        kind = data.draw(
            st.sampled_from(["hangup", "complete", "callback", "transfer", "identified"])
        )
        at = self._at(data.draw(st.sampled_from([0, 2])))
        event: AcdEvent
        if kind == "hangup":
            event = CallerHungUp(call_id, at)
        elif kind == "complete":
            event = CallCompleted(call_id, at)
        elif kind == "callback":
            event = CallbackRequested(call_id, at)
        elif kind == "identified":  # the card came after the caller was routed
            event = CallerIdentified(call_id, data.draw(st.integers(0, 3)), at)
        else:
            event = TransferToQueue(call_id, data.draw(st.sampled_from(QUEUES)), at)
        self._apply(event)

    @rule(data=st.data())
    def ring_outcome(self, data: st.DataObject) -> None:
        pairs = [(c.call_id, o) for c in self.engine.snapshot().calls for o in c.ringing]
        if not pairs:
            return
        call_id, op_id = data.draw(st.sampled_from(pairs))
        at = self._at(data.draw(st.sampled_from([0, 1, 4])))
        reason = data.draw(
            st.sampled_from(["answer", "busy", "unreachable", "rejected", "no_answer"])
        )
        if reason == "answer":
            self._apply(OfferAnswered(call_id, op_id, at))
        else:
            self._apply(OfferFailed(call_id, op_id, reason, at))  # type: ignore[arg-type]

    @rule(
        op_id=st.sampled_from(sorted(OPERATORS)),
        kind=st.sampled_from(["in", "out", "pause", "unpause", "online", "offline"]),
    )
    def operator_event(self, op_id: str, kind: str) -> None:
        at = self._at(1)
        events: dict[str, AcdEvent] = {
            "in": OperatorLoggedIn(op_id, at),
            "out": OperatorLoggedOut(op_id, at),
            "pause": OperatorPaused(op_id, at, reason="break"),
            "unpause": OperatorUnpaused(op_id, at),
            "online": OperatorEndpointOnline(op_id, at),
            "offline": OperatorEndpointOffline(op_id, at),
        }
        self._apply(events[kind])

    @rule()
    def reload_toggling_escalation(self) -> None:
        self.escalate = not self.escalate
        config = _config(self.strategies, self.flags, self.escalate)
        self._check(self.engine.reconfigure(config, self._at(1)))

    @rule()
    def bogus_event_is_refused(self) -> None:
        self._apply(OfferAnswered("nope", "o1", self.now))

    # -- invariants -------------------------------------------------------------------

    @invariant()
    def one_offer_per_operator_and_consistent_rings(self) -> None:
        snap = self.engine.snapshot()
        holders: Counter[str] = Counter()
        for call in snap.calls:
            for op_id in call.ringing:
                holders[op_id] += 1
                view = snap.operator(op_id)
                assert view.state == "offered" and view.call_id == call.call_id
            assert bool(call.ringing) == (call.status is CallStatus.OFFERED)
            if call.status is CallStatus.CONNECTED:
                assert snap.operator(call.operator_id or "").state == "on_call"
        assert all(n == 1 for n in holders.values())
        for view in snap.operators:
            if view.state == "offered":
                assert holders[view.operator_id] == 1

    @invariant()
    def no_call_waits_beside_an_eligible_routable_operator(self) -> None:
        snap = self.engine.snapshot()
        routable = [o for o in snap.operators if o.routable]
        for call in snap.calls:
            if call.status is CallStatus.WAITING:
                for op in routable:
                    assert not _admits(op, call), (call, op)

    @invariant()
    def no_call_is_lost(self) -> None:
        live = {c.call_id for c in self.engine.snapshot().calls}
        for call_id in self.arrived:
            assert (call_id in live) != (self.finals[call_id] == 1), call_id
            assert self.finals[call_id] <= 1
        assert set(self.finals) <= set(self.arrived)

    @invariant()
    def time_never_goes_backwards(self) -> None:
        assert self.engine.now <= self.now
        assert self.engine.now >= T0


AcdMachine.TestCase.settings = settings(
    max_examples=int(__import__("os").environ.get("ACD_EXAMPLES", "80")),
    stateful_step_count=50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestAcdMachine = AcdMachine.TestCase
