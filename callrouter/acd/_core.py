"""The engine's mechanics: state, indices, and the few moves every rule is made of.

Handlers in ``_engine`` validate an event completely, then compose these moves. Nothing
here checks whether a move is allowed by the domain (except the operator table, which
raises before changing anything); that is the handlers' job.

Routing itself (announcements, settling, the dispatcher's fairness) is ``_settling``.
"""

from __future__ import annotations

import random
from collections import deque
from datetime import UTC, datetime, timedelta

from callrouter.acd._calendar import is_open
from callrouter.acd._callback_places import (
    CallbackPlaces,
)
from callrouter.acd._commands import (
    AcdCommand,
    CallOutcome,
    CallRecord,
    CancelRing,
    HoldCaller,
    LeaveQueue,
    LeaveReason,
    OperatorState,
    OperatorStateChanged,
    Overflow,
    RejectClosed,
    RingOperator,
    StoreCallback,
)
from callrouter.acd._dispatch import US, Routing
from callrouter.acd._events import CallerIdentified
from callrouter.acd._model import AcdConfig, AnnounceSounds, OverflowTarget, QueuePolicy
from callrouter.acd._operators import Operator, OpInput, next_state
from callrouter.acd._queues import Call, CallStatus, QueueMembers, WaitingCalls
from callrouter.acd._timers import TimerKind, Timers
from callrouter.errors import NotFound

__all__ = ["CONSULT_REASON", "EPOCH", "MAX_OVERFLOW_HOPS", "Core", "to_us"]

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_US = timedelta(microseconds=1)
# Overflow from queue to queue stops after this many hops (A -> B -> A ...).
MAX_OVERFLOW_HOPS = 4
# Handle times kept per queue for the expected-wait estimate.
HANDLE_SAMPLES = 50
# The pause reason of an operator reserved to be consulted before a transfer.
CONSULT_REASON = "consult"
# The deadlines a call carries, all forgotten when it ends.
_CALL_TIMERS = (
    TimerKind.RING,
    TimerKind.MAX_WAIT,
    TimerKind.ESCALATE,
    TimerKind.ANNOUNCE,
    TimerKind.ANSWER_BY,
)
S = OperatorState


def to_us(at: datetime) -> int:
    return (at - EPOCH) // _ONE_US


class Core:
    def __init__(self, config: AcdConfig, rng: random.Random) -> None:
        self._rng = rng
        self._routing = Routing(config)
        self._ops: dict[str, Operator] = {}
        self._calls: dict[str, Call] = {}
        self._waiting = WaitingCalls()
        self._members: dict[str, QueueMembers] = {}
        self._logged_in: dict[str, int] = {}
        self._timers = Timers()
        self._handle_times: dict[str, deque[float]] = {}
        self._callback_places = CallbackPlaces()
        self._seq = 0
        self._now = EPOCH
        self._now_us = 0
        self._out: list[AcdCommand] = []
        self._fresh_calls: list[Call] = []
        self._fresh_ops: list[Operator] = []
        self._joined: list[Call] = []
        self._emptied: set[str] = set()
        # call id -> the operator reserved to be consulted on it (see _transfers).
        self._consults: dict[str, str] = {}

    # -- lookups -----------------------------------------------------------------

    def _op(self, operator_id: str) -> Operator:
        op = self._ops.get(operator_id)
        if op is None:
            raise NotFound(f"no operator {operator_id!r}")
        return op

    def _call(self, call_id: str) -> Call:
        call = self._calls.get(call_id)
        if call is None:
            raise NotFound(f"no call {call_id!r} in the ACD")
        return call

    # -- operators ---------------------------------------------------------------

    def _transition(
        self, op: Operator, event: OpInput, reason: str, call_id: str | None = None
    ) -> None:
        new = next_state(op.state, event, op.operator_id)
        old = op.state
        self._unfile(op)
        if old is S.WRAPUP:
            self._timers.cancel(TimerKind.WRAPUP, op.operator_id)
        if op.rest_until_us is not None and new is not S.AVAILABLE:
            op.rest_until_us = None
            self._timers.cancel(TimerKind.REST, op.operator_id)
        if old is S.OFFERED and op.credits_before is not None:
            # Weighted fairness counts answered calls: an offer let go is undone.
            if new is not S.ON_CALL:
                op.credits = op.credits_before
            op.credits_before = None
        op.state = new
        op.since_us = self._now_us
        op.pause_reason = reason if new is S.PAUSED else ""
        if new is not S.ON_CALL:
            op.pending_pause, op.pending_logout = None, False
        if new in (S.AVAILABLE, S.PAUSED, S.LOGGED_OUT):
            op.call_id = None
        self._out.append(OperatorStateChanged(op.operator_id, old, new, reason, self._now, call_id))
        if (old is S.LOGGED_OUT) != (new is S.LOGGED_OUT):
            delta = 1 if old is S.LOGGED_OUT else -1
            for q in op.spec.queues:
                if q in self._logged_in:
                    self._logged_in[q] += delta
                    if self._logged_in[q] == 0:
                        self._emptied.add(q)
        if new is S.AVAILABLE:
            self._fresh_ops.append(op)
        if new is S.LOGGED_OUT and op.retired:
            del self._ops[op.operator_id]

    def _file(self, op: Operator) -> None:
        if op.filed or not op.routable:
            return
        for q, penalty in op.spec.queues.items():
            members = self._members.get(q)
            if members is not None:
                key = members.key_for(op)
                members.add(penalty, key)
                op.filed[q] = key

    def _unfile(self, op: Operator) -> None:
        for q, key in op.filed.items():
            self._members[q].remove(op.spec.queues[q], key)
        op.filed.clear()

    def _rest(self, op: Operator, policy: QueuePolicy | None) -> None:
        retry_s = policy.retry_s if policy is not None else 0.0
        if retry_s > 0 and op.state is S.AVAILABLE:
            op.rest_until_us = self._now_us + int(retry_s * US)
            self._timers.set(TimerKind.REST, op.operator_id, op.rest_until_us)

    def _wrapup_s(self, op: Operator) -> float:
        if op.spec.wrapup_s is not None:
            return op.spec.wrapup_s
        policy = self._routing.policies.get(op.call_queue or "")
        return policy.wrapup_s if policy is not None else 0.0

    def _call_done(self, op: Operator) -> None:
        """The operator's call is over (completed or transferred away)."""
        logout, pause = op.retired or op.pending_logout, op.pending_pause
        self._transition(op, OpInput.COMPLETE, "call-completed", op.call_id)
        if logout:
            self._transition(op, OpInput.LOGOUT, "logout-after-call")
        elif pause is not None:
            self._transition(op, OpInput.PAUSE, pause)
        elif (wrapup_s := self._wrapup_s(op)) > 0:
            self._timers.set(TimerKind.WRAPUP, op.operator_id, self._now_us + int(wrapup_s * US))
        else:
            self._transition(op, OpInput.WRAPUP_DONE, "wrapup-done")

    # -- calls -------------------------------------------------------------------

    def serves_at_once(self, queue: str) -> bool:
        """Whether a caller arriving in ``queue`` now would be rung at once: an operator
        who may take a fresh caller of the queue is routable (and then nobody they may
        take is waiting, rule 5), so the caller's priority would change nothing."""
        levels = self._routing.reach.get(queue)
        if not levels:
            return False
        fresh = levels[0]
        return any(self._members[q].lowest(fresh.max_penalty) is not None for q in fresh.queues)

    def _on_caller_identified(self, ev: CallerIdentified) -> None:
        call = self._call(ev.call_id)
        if call.priority == ev.priority:
            return
        if call.status is CallStatus.WAITING:
            self._waiting.remove(call)
            call.priority = ev.priority
            self._enqueue(call)
        else:  # ringing or connected: the priority counts if it comes back to the line
            call.priority = ev.priority

    def _enqueue(self, call: Call) -> None:
        call.status = CallStatus.WAITING
        self._waiting.add(call)
        self._fresh_calls.append(call)

    def _offer(self, call: Call, operator_ids: tuple[str, ...], chosen_in: str) -> None:
        policy = self._routing.policies[call.queue]
        self._waiting.remove(call)
        call.status = CallStatus.OFFERED
        call.offered_at = call.offered_at or self._now
        members = self._members[chosen_in]
        for op_id in operator_ids:
            op = self._ops[op_id]
            members.rr_last = op.order
            self._transition(op, OpInput.OFFER, "offer", call.call_id)
            op.call_id = call.call_id
            call.ringing.add(op_id)
            self._out.append(
                RingOperator(call.call_id, op_id, op.spec.endpoint, policy.ring_timeout_s)
            )
        due = self._now_us + int(policy.ring_timeout_s * US)
        self._timers.set(TimerKind.RING, call.call_id, due)

    def _withdraw(self, call: Call, op: Operator, *, cancel: bool) -> None:
        """One operator stops ringing for ``call``; the caller waits again if none is left.
        The operator's own transition is the caller's business."""
        call.ringing.discard(op.operator_id)
        if cancel:
            self._out.append(CancelRing(call.call_id, op.operator_id))
        if not call.ringing:
            self._timers.cancel(TimerKind.RING, call.call_id)
            self._back_to_queue(call)

    def _back_to_queue(self, call: Call) -> None:
        # The call keeps its key, hence its place at the head of its line.
        if call.expired:
            self._leave(call, "max_wait")
        else:
            self._enqueue(call)

    def _join(
        self, call: Call, queue: str, *, resumed: bool = False, since: datetime | None = None
    ) -> None:
        """Put a call that is in no index into ``queue``, or turn it away.

        ``resumed``: the call was already waiting there before a restart; it keeps its
        ``queued_at`` (so its place and its wait) and is not turned away, as callers
        already waiting are never turned away when a queue closes."""
        policy = self._routing.policies[queue]
        self._seq += 1
        call.queue = queue
        if not resumed:
            call.queued_at = since or self._now
            call.queued_us = to_us(call.queued_at)
        call.seq, call.level, call.expired = self._seq, 0, False
        call.ringing.clear()
        if resumed:
            call.level = self._routing.level_at(queue, self._now_us - call.queued_us)
            self._hold(call, policy, resumed=True)
            return
        calendar = self._routing.config.calendars.get(policy.calendar or "")
        if calendar is not None and not is_open(calendar, self._now):
            if policy.closed_overflow is not None:
                self._overflow(call, policy.closed_overflow, "closed")
            else:
                self._out.append(RejectClosed(call.call_id, calendar.closed_sound))
                self._finish(call, "closed", "closed")
            return
        if not policy.join_empty and self._logged_in.get(queue, 0) == 0:
            self._leave(call, "no_operators")
            return
        if policy.max_waiting is not None and self._waiting.count(queue) >= policy.max_waiting:
            self._leave(call, "full")
            return
        self._hold(call, policy)

    def _hold(self, call: Call, policy: QueuePolicy, *, resumed: bool = False) -> None:
        self._enqueue(call)
        call.entry_position = self._waiting.position(call)
        self._out.append(
            HoldCaller(
                call.call_id,
                call.queue,
                policy.music_class,
                resumed,
                call.entry_position,
                call.queued_at,
            )
        )
        if not resumed:  # a resumed caller heard their position before the restart
            self._joined.append(call)
        if policy.max_wait_s is not None:
            due = call.queued_us + int(policy.max_wait_s * US)
            self._timers.set(TimerKind.MAX_WAIT, call.call_id, due)
        else:
            self._timers.cancel(TimerKind.MAX_WAIT, call.call_id)
        self._schedule_escalation(call)
        if policy.announce.position and policy.announce.every_s > 0:
            due = self._now_us + int(policy.announce.every_s * US)
            self._timers.set(TimerKind.ANNOUNCE, call.call_id, due)
        else:
            self._timers.cancel(TimerKind.ANNOUNCE, call.call_id)

    def _schedule_escalation(self, call: Call) -> None:
        steps = self._routing.step_us[call.queue]
        if call.level < len(steps):
            self._timers.set(TimerKind.ESCALATE, call.call_id, call.queued_us + steps[call.level])
        else:
            self._timers.cancel(TimerKind.ESCALATE, call.call_id)

    def _leave(self, call: Call, reason: LeaveReason) -> None:
        target = self._routing.policies[call.queue].overflow
        if target is not None:
            self._overflow(call, target, reason)
        else:
            self._out.append(LeaveQueue(call.call_id, reason))
            self._finish(call, "failed", reason)

    def _overflow(self, call: Call, target: OverflowTarget, reason: str) -> None:
        if target.kind == "queue":
            call.hops += 1
            if call.hops > MAX_OVERFLOW_HOPS:
                self._out.append(LeaveQueue(call.call_id, "full"))
                self._finish(call, "failed", "overflow-loop")
                return
            self._out.append(Overflow(call.call_id, "queue", target.target))
            self._join(call, target.target)
        elif target.kind == "context":
            self._out.append(Overflow(call.call_id, "context", target.target))
            self._finish(call, "overflowed", reason)
        else:
            self._out.append(Overflow(call.call_id, "callback", target.target))
            self._store_callback(call, position=1)
            self._finish(call, "callback", reason)

    def _store_callback(self, call: Call, position: int) -> None:
        policy = self._routing.policies.get(call.queue)
        sounds = policy.announce.sounds if policy is not None else AnnounceSounds()
        self._out.append(
            StoreCallback(
                call.call_id,
                call.queue,
                call.caller_number,
                call.priority,
                call.queued_at,
                position,
                sounds.thank_you,
            )
        )

    def _record(
        self, call: Call, outcome: CallOutcome | None, reason: str, *, to: str | None = None
    ) -> None:
        ended = self._now if outcome is not None else None
        until = call.answered_at or self._now
        talk = (self._now - call.answered_at).total_seconds() if call.answered_at else None
        self._out.append(
            CallRecord(
                call_id=call.call_id,
                queue=call.queue,
                priority=call.priority,
                caller_number=call.caller_number,
                outcome=outcome,
                reason=reason,
                queued_at=call.arrived_at,
                offered_at=call.offered_at,
                answered_at=call.answered_at,
                ended_at=ended,
                wait_s=max(0.0, (until - call.queued_at).total_seconds()),
                talk_s=talk if outcome is not None else None,
                operator_id=call.operator_id,
                position=call.position,
                origposition=call.entry_position,
                at=self._now,
                transferred_to=to,
            )
        )

    def _finish(
        self, call: Call, outcome: CallOutcome, reason: str, *, to: str | None = None
    ) -> None:
        self._record(call, outcome, reason, to=to)
        consulted = self._consults.pop(call.call_id, None)
        if consulted is not None:
            self._release_consulted(consulted)
        for kind in _CALL_TIMERS:
            self._timers.cancel(kind, call.call_id)
        del self._calls[call.call_id]

    def _release_consulted(self, operator_id: str) -> None:
        """A consult is over without a transfer: the reserved operator is free again."""
        op = self._ops.get(operator_id)
        if op is not None and op.state is S.PAUSED and op.pause_reason == CONSULT_REASON:
            self._transition(op, OpInput.UNPAUSE, "consult-ended")
