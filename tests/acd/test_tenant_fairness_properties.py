"""Hypothesis checks the fairness between tenants on random histories.

What is proved, for the histories drawn (arrivals with call priorities, answers, failed
offers, hang-ups, completions, escalation, time passing; three operators shared by
three tenants' queues):

- with one tenant, every mode makes exactly the commands the tenant-blind dispatcher
  makes, and with several tenants so does mode ``none``;
- in mode ``priority`` an operator who becomes free never takes a caller while a caller
  of a higher-priority tenant they may take waits, and inside a tenant takes the one
  the existing rule ranks first;
- in mode ``sla_risk`` the caller taken has waited no smaller a fraction of their
  queue's service level than any other tenant's candidate;
- in mode ``weighted``, one operator serving two or three tenants that always have
  callers: after every answered call each tenant's count is within one call of its
  weight's share, offers that fail change nothing; and with the other tenants' callers
  coming and going, a tenant that always has one is served in every ``2 * W`` picks.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from callrouter.acd import (
    AcdCommand,
    AcdConfig,
    AcdEngine,
    AcdEvent,
    CallArrived,
    CallCompleted,
    CallerHungUp,
    CallStatus,
    CallView,
    EscalationStep,
    OfferAnswered,
    OfferFailed,
    OperatorLoggedIn,
    OperatorSpec,
    OperatorView,
    QueuePolicy,
    RingOperator,
    TenantFairness,
    TenantFairnessMode,
    TenantShare,
    Tick,
)

from ._helpers import T0, op

QUEUES = {"q1": "t1", "q2": "t2", "q3": "t3"}
SERVICE_LEVEL_S = {"q1": 10.0, "q2": 20.0, "q3": 40.0}
OPERATORS = {"o1": {"q1": 0, "q2": 0}, "o2": {"q2": 0, "q3": 1}, "o3": {"q1": 1, "q3": 0}}
EXAMPLES = settings(max_examples=120, deadline=None)


def _center(
    mode: TenantFairnessMode, tenant_of: Mapping[str, str], shares: Mapping[str, TenantShare]
) -> AcdConfig:
    queues = [
        QueuePolicy(
            name,
            tenant=tenant_of[name],
            wrapup_s=0,
            retry_s=0,
            join_empty=True,
            auto_pause_on_no_answer=False,
            service_level_s=SERVICE_LEVEL_S[name],
            escalation=[EscalationStep(30, add_queues=["q3"])] if name == "q1" else [],
        )
        for name in QUEUES
    ]
    operators = [op(op_id, **queues_of) for op_id, queues_of in OPERATORS.items()]
    return AcdConfig(queues, operators, fairness=TenantFairness(mode, shares))


Action = tuple[str, int, int]
actions = st.lists(
    st.tuples(
        st.sampled_from(
            ["arrive"] * 4 + ["answer"] * 3 + ["complete"] * 2 + ["fail", "hangup", "tick"]
        ),
        st.integers(0, 11),
        st.integers(0, 2),
    ),
    min_size=10,
    max_size=80,
)
shares = st.dictionaries(
    st.sampled_from(sorted(set(QUEUES.values()))),
    st.builds(TenantShare, priority=st.integers(0, 3), weight=st.integers(1, 4)),
)


@dataclass
class Script:
    """Turns drawn actions into events against the engine's current state."""

    engine: AcdEngine
    arrived: int = 0

    def event(self, action: Action) -> AcdEvent | None:
        kind, pick, priority = action
        snap = self.engine.snapshot()
        at = snap.at + timedelta(seconds=1 + pick % 4)
        if kind == "arrive":
            self.arrived += 1
            queue = sorted(QUEUES)[pick % 3]
            return CallArrived(f"c{self.arrived}", queue, at, priority=priority)
        if kind == "tick":
            return Tick(snap.at + timedelta(seconds=(1, 5, 15)[pick % 3]))
        if kind in ("answer", "fail"):
            ringing = [(c.call_id, o) for c in snap.calls for o in c.ringing]
            if not ringing:
                return None
            call_id, op_id = ringing[pick % len(ringing)]
            if kind == "answer":
                return OfferAnswered(call_id, op_id, at)
            return OfferFailed(call_id, op_id, "busy", at)
        wanted = CallStatus.CONNECTED if kind == "complete" else CallStatus.WAITING
        found = [c.call_id for c in snap.calls if c.status is wanted]
        if not found:
            return None
        call_id = found[pick % len(found)]
        return CallCompleted(call_id, at) if kind == "complete" else CallerHungUp(call_id, at)


def _admits(view: OperatorView, call: CallView) -> bool:
    return any(
        (p := view.queues.get(q)) is not None
        and (call.max_penalty is None or p <= call.max_penalty)
        for q in call.reach
    )


def _existing_rank(call: CallView) -> tuple[int, bool, float]:
    """The tenant-blind dispatcher's order (risk at 0.8 of the service level)."""
    return (-call.priority, call.waited_s < 0.8 * SERVICE_LEVEL_S[call.queue], -call.waited_s)


def _fresh_picks(
    engine: AcdEngine, event: AcdEvent
) -> list[tuple[OperatorView, CallView, list[CallView]]]:
    """Apply ``event``; each call taken by an operator who became free in the step, with
    the callers they might have taken instead: those still waiting after the step, and
    those taken by the picks that came after theirs in the step."""
    free_before = {o.operator_id for o in engine.snapshot().operators if o.routable}
    out = engine.handle(event)
    snap = engine.snapshot()
    rung = [
        (snap.operator(c.operator_id), snap.call(c.call_id))
        for c in out
        if isinstance(c, RingOperator) and c.operator_id not in free_before
    ]
    waiting = [c for c in snap.calls if c.status is CallStatus.WAITING]
    picks = []
    for index, (view, taken) in enumerate(rung):
        later = [call for _, call in rung[index + 1 :]]
        picks.append((view, taken, [c for c in waiting + later if _admits(view, c)]))
    return picks


@EXAMPLES
@given(
    script=actions,
    mode=st.sampled_from(["none", "priority", "sla_risk", "weighted"]),
    shared=shares,
    variant=st.sampled_from(["one tenant", "mode none", "equal priorities"]),
)
def test_where_tenants_cannot_differ_every_mode_chooses_as_today(
    script: list[Action], mode: TenantFairnessMode, shared: dict[str, TenantShare], variant: str
) -> None:
    tenant_of: Mapping[str, str] = QUEUES
    if variant == "one tenant":
        tenant_of = dict.fromkeys(QUEUES, "acme")
        shared = {"acme": shared.get("t1", TenantShare())}
    elif variant == "mode none":
        mode = "none"
    else:
        mode, shared = "priority", {t: TenantShare(priority=2) for t in QUEUES.values()}
    today = AcdEngine(_center("none", dict.fromkeys(QUEUES, "default"), {}), start=T0)
    fair = AcdEngine(_center(mode, tenant_of, shared), start=T0)
    driver = Script(today)
    for action in script:
        event = driver.event(action)
        if event is not None:
            assert fair.handle(event) == today.handle(event)


@EXAMPLES
@given(script=actions, shared=shares)
def test_priority_mode_never_passes_over_a_higher_tenant(
    script: list[Action], shared: dict[str, TenantShare]
) -> None:
    engine = AcdEngine(_center("priority", QUEUES, shared), start=T0)
    fairness = TenantFairness("priority", shared)
    driver = Script(engine)
    for action in script:
        event = driver.event(action)
        if event is None:
            continue
        for _, taken, waiting in _fresh_picks(engine, event):
            level = fairness.share(QUEUES[taken.queue]).priority
            for other in waiting:
                assert fairness.share(QUEUES[other.queue]).priority <= level, (taken, other)
                if QUEUES[other.queue] == QUEUES[taken.queue]:
                    assert _existing_rank(taken) <= _existing_rank(other), (taken, other)


@EXAMPLES
@given(script=actions)
def test_sla_risk_mode_takes_the_candidate_most_at_risk(script: list[Action]) -> None:
    engine = AcdEngine(_center("sla_risk", QUEUES, {}), start=T0)
    driver = Script(engine)

    def fraction(call: CallView) -> float:
        return call.waited_s / SERVICE_LEVEL_S[call.queue]

    for action in script:
        event = driver.event(action)
        if event is None:
            continue
        for _, taken, waiting in _fresh_picks(engine, event):
            candidates: dict[str, CallView] = {}
            for call in sorted(waiting, key=_existing_rank):
                candidates.setdefault(QUEUES[call.queue], call)
            mine = candidates.pop(QUEUES[taken.queue], None)
            assert mine is None or _existing_rank(taken) <= _existing_rank(mine)
            for other in candidates.values():
                assert fraction(taken) >= fraction(other), (taken, other)


def _one_operator(weights: list[int]) -> tuple[AcdEngine, dict[str, int]]:
    """anna serves one queue per tenant, tenant ``t<i>`` with weight ``weights[i]``."""
    tenants = {f"t{i}": weight for i, weight in enumerate(weights)}
    queues = [
        QueuePolicy(f"q{tenant}", tenant=tenant, wrapup_s=0, retry_s=0, join_empty=True)
        for tenant in tenants
    ]
    fairness = TenantFairness("weighted", {t: TenantShare(weight=w) for t, w in tenants.items()})
    anna = OperatorSpec("anna", "PJSIP/anna", {f"q{tenant}": 0 for tenant in tenants})
    engine = AcdEngine(AcdConfig(queues, [anna], fairness=fairness), start=T0)
    return engine, tenants


@dataclass
class Shift:
    """anna's day, one call at a time, with the waiting callers set before each pick."""

    engine: AcdEngine
    clock: int = 0
    arrived: int = 0
    current: str | None = None

    def at(self) -> datetime:
        self.clock += 1
        return T0 + timedelta(seconds=self.clock)

    def callers(self, tenant: str, present: bool) -> None:
        waiting = self.engine.snapshot().queue(f"q{tenant}").waiting
        if present and not waiting:
            self.arrived += 1
            self.engine.handle(CallArrived(f"c{self.arrived}", f"q{tenant}", self.at()))
        for call in waiting if not present else ():
            self.engine.handle(CallerHungUp(call.call_id, self.at()))

    def next_call(self, fail_first: bool) -> str:
        """The tenant of the call anna answers next (after failing its offer once)."""
        if self.current is None:  # anna logs in to callers already waiting
            rung = self._ring(self.engine.handle(OperatorLoggedIn("anna", self.at())))
        else:
            rung = self._ring(self.engine.handle(CallCompleted(self.current, self.at())))
        if fail_first:
            again = self._ring(self.engine.handle(OfferFailed(rung, "anna", "busy", self.at())))
            assert again == rung  # a failed offer leaves the credits as they were
        self.engine.handle(OfferAnswered(rung, "anna", self.at()))
        self.current = rung
        return self.engine.snapshot().call(rung).queue[1:]

    @staticmethod
    def _ring(out: list[AcdCommand]) -> str:
        [call_id] = [c.call_id for c in out if isinstance(c, RingOperator)]
        return call_id


@EXAMPLES
@given(
    weights=st.lists(st.integers(1, 6), min_size=2, max_size=3),
    failures=st.lists(st.booleans(), min_size=1, max_size=60),
)
def test_weighted_split_stays_within_one_call_of_the_weights(
    weights: list[int], failures: list[bool]
) -> None:
    engine, tenants = _one_operator(weights)
    total = sum(weights)
    shift, served = Shift(engine), dict.fromkeys(tenants, 0)
    for picks, fail_first in enumerate(failures, start=1):
        for tenant in tenants:
            shift.callers(tenant, present=True)
        served[shift.next_call(fail_first)] += 1
        for tenant, weight in tenants.items():
            assert abs(served[tenant] - picks * weight / total) < 1, (served, picks)


@EXAMPLES
@given(
    weights=st.lists(st.integers(1, 6), min_size=2, max_size=4),
    presence=st.lists(st.lists(st.booleans(), min_size=3, max_size=3), max_size=80),
)
def test_weighted_a_tenant_with_a_caller_at_every_pick_is_served_every_2w_picks(
    weights: list[int], presence: list[list[bool]]
) -> None:
    engine, tenants = _one_operator(weights)
    limit = 2 * sum(weights)
    shift, run = Shift(engine), 0
    for present in presence:
        shift.callers("t0", present=True)
        for tenant, here in zip(list(tenants)[1:], present, strict=False):
            shift.callers(tenant, here)
        run = 0 if shift.next_call(fail_first=False) == "t0" else run + 1
        assert run < limit, (weights, run)
