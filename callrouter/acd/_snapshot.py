"""Read-only views of the engine for ``callrouter queues status`` and for tests."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from callrouter.acd._commands import OperatorState
from callrouter.acd._dispatch import Routing
from callrouter.acd._operators import Operator
from callrouter.acd._queues import Call, CallStatus, WaitingCalls

__all__ = ["AcdSnapshot", "CallView", "OperatorView", "QueueView", "build_snapshot"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class CallView:
    call_id: str
    queue: str
    status: CallStatus
    priority: int
    queued_at: datetime
    waited_s: float
    # 1-based place in the queue's line; 0 when not waiting (ringing or connected).
    position: int
    # Who may take it now (after escalation): these queues, up to this penalty.
    reach: tuple[str, ...]
    max_penalty: int | None
    ringing: tuple[str, ...]
    operator_id: str | None
    # Where the call's place in line counts from: when it joined its queue, or after a
    # transfer its original arrival (further back in an escalated_first queue). The
    # dispatcher ranks waiting calls by it (acd/_transfers.py, rule 3).
    ranked_since: datetime | None = None


@dataclass(frozen=True, slots=True)
class OperatorView:
    operator_id: str
    state: OperatorState
    pause_reason: str
    call_id: str | None
    online: bool
    # Available, online and not resting: would be offered a call now.
    routable: bool
    queues: Mapping[str, int]
    pending: str | None
    # When the operator entered ``state`` (the core's clock): the wallboard's time in state.
    since: datetime | None = None


@dataclass(frozen=True, slots=True)
class QueueView:
    name: str
    waiting: tuple[CallView, ...]
    ringing: int
    logged_in: int
    operators: Mapping[OperatorState, int]
    longest_wait_s: float
    expected_wait_s: float


@dataclass(frozen=True, slots=True)
class AcdSnapshot:
    at: datetime
    queues: tuple[QueueView, ...]
    operators: tuple[OperatorView, ...]
    calls: tuple[CallView, ...]

    def queue(self, name: str) -> QueueView:
        return next(q for q in self.queues if q.name == name)

    def operator(self, operator_id: str) -> OperatorView:
        return next(o for o in self.operators if o.operator_id == operator_id)

    def call(self, call_id: str) -> CallView:
        return next(c for c in self.calls if c.call_id == call_id)


def _call_view(at: datetime, call: Call, routing: Routing, waiting: WaitingCalls) -> CallView:
    reach = routing.reach.get(call.queue)
    r = reach[call.level] if reach else None
    return CallView(
        call_id=call.call_id,
        queue=call.queue,
        status=call.status,
        priority=call.priority,
        queued_at=call.queued_at,
        waited_s=(at - call.queued_at).total_seconds(),
        position=waiting.position(call) if call.status is CallStatus.WAITING else 0,
        reach=r.queues if r else (call.queue,),
        max_penalty=r.max_penalty if r else None,
        ringing=tuple(sorted(call.ringing)),
        operator_id=call.operator_id,
        ranked_since=_EPOCH + timedelta(microseconds=call.key[1]),
    )


def _operator_view(op: Operator) -> OperatorView:
    pending = (
        "logout"
        if op.pending_logout
        else (f"pause:{op.pending_pause}" if op.pending_pause is not None else None)
    )
    return OperatorView(
        operator_id=op.operator_id,
        state=op.state,
        pause_reason=op.pause_reason,
        call_id=op.call_id,
        online=op.online,
        routable=op.routable,
        queues=dict(op.spec.queues),
        pending=pending,
        # 0: never changed since the engine started (configured logged out): unknown.
        since=_EPOCH + timedelta(microseconds=op.since_us) if op.since_us else None,
    )


def build_snapshot(
    *,
    at: datetime,
    routing: Routing,
    ops: Mapping[str, Operator],
    calls: Mapping[str, Call],
    waiting: WaitingCalls,
    logged_in: Mapping[str, int],
    expected: Callable[[str, int], float],
) -> AcdSnapshot:
    call_views = {c.call_id: _call_view(at, c, routing, waiting) for c in calls.values()}
    queues = []
    for name in routing.policies:
        line = tuple(call_views[k[3]] for k in waiting.line(name))
        states: dict[OperatorState, int] = {}
        for op in ops.values():
            if name in op.spec.queues:
                states[op.state] = states.get(op.state, 0) + 1
        ringing = sum(
            1 for c in calls.values() if c.queue == name and c.status is CallStatus.OFFERED
        )
        queues.append(
            QueueView(
                name=name,
                waiting=line,
                ringing=ringing,
                logged_in=logged_in.get(name, 0),
                operators=states,
                longest_wait_s=max((c.waited_s for c in line), default=0.0),
                expected_wait_s=expected(name, len(line) + 1),
            )
        )
    return AcdSnapshot(
        at=at,
        queues=tuple(queues),
        operators=tuple(_operator_view(op) for op in sorted(ops.values(), key=lambda o: o.order)),
        calls=tuple(sorted(call_views.values(), key=lambda c: c.call_id)),
    )
