"""The ACD engine: inbound calls, operators and the one dispatcher between them.

Rules of this package
---------------------
1. No I/O, no asyncio, no clock. Every event carries its own ``at`` (aware); the
   engine's time is the ``at`` of the last event, and an event from the past is refused.
2. ``handle(event)`` either returns the commands for the shell, in the order they must
   be carried out, or raises a ``DomainError`` and changes nothing. Everything that
   affects routing lives in this package; the shell only translates.
3. Operator states change only through the table in ``_operators``; every change is
   reported as an ``OperatorStateChanged``.
4. No call is lost: a call that arrives is waiting, offered (ringing), connected, or
   has had exactly one ``CallRecord`` with an ``outcome``.
5. After every ``handle``, no call waits while an operator who may take it is routable
   (available, endpoint online, not resting after a failed offer).

Theory of operation
-------------------
A call joins a queue (``HoldCaller``), unless the queue's calendar says closed, nobody
is logged in (``join_empty``) or the queue is full; then it overflows or leaves. A
waiting call is offered by ``RingOperator`` to the operator the queue's strategy
picks among the lowest penalty tier it may reach (every operator of that tier for
``ring_all``). The first ``OfferAnswered`` connects it and cancels the other rings;
a ring timeout or ``OfferFailed`` puts it back at the head of its line with its
original ``queued_at``, the next operator is tried, and the operator who failed is
paused ("no-answer", if the queue auto-pauses) or rests ``retry_s``. ``CallCompleted``
ends the call (outcome answered) and starts the operator's wrap-up, after which they
take the best waiting call across all their queues (see ``_dispatch``), unless a due
callback (``CallbacksDue``) ranks before it by its caller's original place: then they are
reserved for that callback (``_callback_places``). Transfers and
consultations follow their own rules (``_transfers``).

Timed behaviour (ring timeouts, wrap-up, rest, announcements, max wait, escalation
steps) is kept as deadlines; the shell sends ``Tick(at)`` at ``next_deadline()`` and the
engine fires, in time order, every deadline due by then. Other events do not fire
deadlines, so an answer arriving just after a ring timeout but before its tick is
honoured. Business hours are checked when a call joins a queue; callers already
waiting when the queue closes are still served.

Expected wait (announcements): ``position * average handle time / logged-in operators
of the queue``, where the handle time is talk plus wrap-up, averaged over the queue's
last 50 answered calls (``default_handle_s`` before the first one).
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from callrouter.acd._commands import AcdCommand, ConnectCall, OperatorState
from callrouter.acd._core import EPOCH, HANDLE_SAMPLES, to_us
from callrouter.acd._events import (
    AcdEvent,
    CallArrived,
    CallbackRequested,
    CallbacksDue,
    CallCompleted,
    CallerHungUp,
    CallerIdentified,
    CallsRestored,
    OfferAnswered,
    OfferFailed,
    OperatorEndpointOffline,
    OperatorEndpointOnline,
    OperatorLoggedIn,
    OperatorLoggedOut,
    OperatorPaused,
    OperatorUnpaused,
    Tick,
)
from callrouter.acd._model import AcdConfig, RecordingPolicy
from callrouter.acd._operators import DEFERRED, Operator, OpInput, next_state
from callrouter.acd._ordering import ring_first
from callrouter.acd._queues import Call, CallStatus
from callrouter.acd._reload import Reloadable
from callrouter.acd._snapshot import AcdSnapshot, build_snapshot
from callrouter.acd._timers import TimerKind
from callrouter.acd._transfers import TransferRules
from callrouter.errors import Conflict, DomainError, InvalidInput, NotFound

__all__ = ["AcdEngine"]

S = OperatorState


class AcdEngine(Reloadable, TransferRules):
    def __init__(
        self, config: AcdConfig, *, rng: random.Random | None = None, start: datetime = EPOCH
    ) -> None:
        super().__init__(config, rng if rng is not None else random.Random(0))
        self._check_time(start)
        self._now, self._now_us = start, to_us(start)
        self._handlers: dict[type[Any], Callable[[Any], None]] = {
            CallArrived: self._on_call_arrived,
            CallerHungUp: self._on_caller_hung_up,
            CallerIdentified: self._on_caller_identified,
            OperatorLoggedIn: self._on_logged_in,
            OperatorLoggedOut: self._on_logged_out,
            OperatorPaused: self._on_paused,
            OperatorUnpaused: self._on_unpaused,
            OperatorEndpointOnline: self._on_endpoint_online,
            OperatorEndpointOffline: self._on_endpoint_offline,
            OfferAnswered: self._on_offer_answered,
            OfferFailed: self._on_offer_failed,
            CallCompleted: self._on_call_completed,
            CallbackRequested: self._on_callback_requested,
            CallbacksDue: self._on_callbacks_due,
            CallsRestored: self._on_calls_restored,
            Tick: self._on_tick,
            **self._transfer_handlers(),
            **self._deadline_handlers(),
        }
        self._install(config)
        # Operators configured as logged in start available, silently: there is no
        # event (hence no time) to report the change at.
        for op in self._ops.values():
            if op.spec.logged_in:
                op.state, op.since_us = S.AVAILABLE, self._now_us
                for q in op.spec.queues:
                    self._logged_in[q] += 1
                self._file(op)
        self._out = []

    # -- public API ------------------------------------------------------------------

    def handle(self, event: AcdEvent) -> list[AcdCommand]:
        """Apply one event; the commands to carry out, in order."""
        handler = self._handlers.get(type(event))
        if handler is None:
            raise InvalidInput(f"not an ACD event: {event!r}")
        return self._run(event.at, lambda: handler(event))

    def reconfigure(self, config: AcdConfig, at: datetime) -> list[AcdCommand]:
        """Hot reload. Waiting callers keep their place; the new escalation steps apply
        to them according to how long they have already waited."""
        return self._run(at, lambda: self._reload(config))

    def next_deadline(self) -> datetime | None:
        due = self._timers.next_due()
        return None if due is None else EPOCH + timedelta(microseconds=due)

    def snapshot(self, at: datetime | None = None) -> AcdSnapshot:
        when = self._now if at is None else at
        return build_snapshot(
            at=when,
            routing=self._routing,
            ops=self._ops,
            calls=self._calls,
            waiting=self._waiting,
            logged_in=self._logged_in,
            expected=self._expected_wait_s,
        )

    @property
    def now(self) -> datetime:
        return self._now

    def recording_policy(self, call_id: str) -> RecordingPolicy:
        """Whether ``call_id``'s conversation is recorded: its own policy (a campaign's)
        over its current queue's ("always" for a call the core does not hold)."""
        call = self._calls.get(call_id)
        if call is None:
            return "always"
        if call.recording is not None:
            return call.recording
        policy = self._routing.policies.get(call.queue)
        return policy.recording if policy is not None else "always"

    # -- plumbing -----------------------------------------------------------------------

    @staticmethod
    def _check_time(at: datetime) -> None:
        if at.tzinfo is None or at.utcoffset() is None:
            raise InvalidInput(f"event time {at!r} must be timezone-aware")

    def _run(self, at: datetime, body: Callable[[], None]) -> list[AcdCommand]:
        self._check_time(at)
        if at < self._now:
            raise InvalidInput(f"time went backwards: {at.isoformat()} < {self._now.isoformat()}")
        before = self._now, self._now_us
        self._now, self._now_us = at, to_us(at)
        self._out = []
        try:
            body()
        except DomainError:
            # Handlers validate before they change anything, so only the clock moved.
            self._now, self._now_us = before
            raise
        self._settle()
        out, self._out = self._out, []
        return ring_first(out)

    def _ringing_call(self, call_id: str, operator_id: str) -> tuple[Call, Operator]:
        call, op = self._call(call_id), self._op(operator_id)
        if call.status is not CallStatus.OFFERED or operator_id not in call.ringing:
            raise Conflict(f"call {call_id} is not ringing operator {operator_id}")
        return call, op

    # -- calls ------------------------------------------------------------------------------

    def _on_call_arrived(self, ev: CallArrived) -> None:
        if ev.call_id in self._calls:
            raise Conflict(f"call {ev.call_id} is already in the ACD")
        if ev.queue not in self._routing.policies:
            raise NotFound(f"no queue {ev.queue!r}")
        arrived = min(ev.arrived_at or self._now, self._now)
        call = Call(
            ev.call_id,
            ev.queue,
            ev.priority,
            ev.caller_number,
            arrived,
            arrived,
            to_us(arrived),
            0,
            recording=ev.recording,
            apology_sound=ev.apology_sound,
        )
        self._calls[call.call_id] = call
        if ev.answer_by is not None and not self._keep_answer_by(call, to_us(ev.answer_by)):
            return
        self._join(call, ev.queue, since=arrived)

    def _on_calls_restored(self, ev: CallsRestored) -> None:
        # Validate everything first: a refused restore changes nothing.
        seen_calls: set[str] = set()
        busy: set[str] = set()
        for rc in ev.calls:
            if rc.call_id in self._calls or rc.call_id in seen_calls:
                raise Conflict(f"call {rc.call_id} is already in the ACD")
            seen_calls.add(rc.call_id)
            if rc.queue not in self._routing.policies:
                raise NotFound(f"no queue {rc.queue!r}")
            if rc.operator_id is not None:
                op = self._op(rc.operator_id)
                if rc.operator_id in busy or op.call_id is not None:
                    raise Conflict(f"operator {rc.operator_id} is already on a call")
                next_state(op.state, OpInput.RESUME_CALL, op.operator_id)
                busy.add(rc.operator_id)
        # Connected calls first: their operators leave routing before any waiting
        # call is routed (routing itself only happens when the handler is done).
        restored = sorted(ev.calls, key=lambda rc: rc.operator_id is None)
        for rc in restored:
            # Times from before the restart are kept in order and never in the future.
            arrived = min(rc.arrived_at, self._now)
            queued = max(arrived, min(rc.queued_at, self._now))
            call = Call(
                rc.call_id,
                rc.queue,
                rc.priority,
                rc.caller_number,
                arrived,
                queued,
                to_us(queued),
                0,
            )
            self._calls[call.call_id] = call
            if rc.operator_id is None:
                self._join(call, rc.queue, resumed=True)
                continue
            op = self._ops[rc.operator_id]
            pending_pause = op.pause_reason if op.state is S.PAUSED else None
            pending_logout = op.state is S.LOGGED_OUT
            call.status = CallStatus.CONNECTED
            call.operator_id = op.operator_id
            answered = max(queued, min(rc.answered_at or self._now, self._now))
            offered = rc.offered_at or answered
            call.offered_at = max(queued, min(offered, answered))
            call.answered_at = answered
            op.call_queue = call.queue
            self._transition(op, OpInput.RESUME_CALL, "recovered-call", call.call_id)
            op.call_id = call.call_id
            op.pending_pause, op.pending_logout = pending_pause, pending_logout

    def _on_caller_hung_up(self, ev: CallerHungUp) -> None:
        call = self._call(ev.call_id)
        if call.status is CallStatus.CONNECTED:
            self._complete(call)
            return
        self._drop_offers(call, "caller-gone")
        if call.status is CallStatus.WAITING:
            self._waiting.remove(call)
        self._finish(call, "abandoned", "caller-hung-up")

    def _on_callback_requested(self, ev: CallbackRequested) -> None:
        call = self._call(ev.call_id)
        if call.status is CallStatus.CONNECTED:
            raise Conflict(f"call {ev.call_id} is connected; too late for a callback")
        if call.status is CallStatus.WAITING:
            position = self._waiting.position(call)
            self._waiting.remove(call)
        else:
            position = 1
            self._drop_offers(call, "callback")
        self._store_callback(call, position)
        self._finish(call, "callback", "caller-request")

    def _on_callbacks_due(self, ev: CallbacksDue) -> None:
        if ev.queue not in self._routing.policies:
            raise NotFound(f"no queue {ev.queue!r}")
        self._callback_places.replace(ev.queue, ev.callbacks, to_us)
        # Operators free now may be reserved for one (rule 5 holds for callbacks too).
        self._fresh_ops.extend(op for op in self._ops.values() if op.routable and op.filed)

    def _on_call_completed(self, ev: CallCompleted) -> None:
        call = self._call(ev.call_id)
        if call.status is not CallStatus.CONNECTED:
            raise Conflict(f"call {ev.call_id} is {call.status}, not connected")
        self._complete(call)

    def _complete(self, call: Call) -> None:
        op = self._ops[call.operator_id or ""]
        talk_s = (self._now - (call.answered_at or self._now)).total_seconds()
        samples = self._handle_times.setdefault(call.queue, deque(maxlen=HANDLE_SAMPLES))
        samples.append(talk_s + self._wrapup_s(op))
        self._finish(call, "answered", "")
        self._call_done(op)

    def _on_offer_answered(self, ev: OfferAnswered) -> None:
        call, op = self._ringing_call(ev.call_id, ev.operator_id)
        self._timers.cancel(TimerKind.RING, call.call_id)
        for kind in (TimerKind.MAX_WAIT, TimerKind.ESCALATE, TimerKind.ANNOUNCE):
            self._timers.cancel(kind, call.call_id)
        call.ringing.discard(op.operator_id)
        self._drop_offers(call, "answered-elsewhere")
        call.status = CallStatus.CONNECTED
        call.operator_id, call.answered_at = op.operator_id, self._now
        op.call_queue = call.queue
        op.calls_taken[call.queue] = op.calls_taken.get(call.queue, 0) + 1
        self._transition(op, OpInput.ANSWER, "answer", call.call_id)
        op.call_id = call.call_id
        waited = max(0.0, (self._now - call.queued_at).total_seconds())
        self._out.append(
            ConnectCall(call.call_id, op.operator_id, waited, self.recording_policy(call.call_id))
        )
        self._record(call, None, "")

    def _on_offer_failed(self, ev: OfferFailed) -> None:
        call, op = self._ringing_call(ev.call_id, ev.operator_id)
        policy = self._routing.policies[call.queue]
        if ev.reason == "no_answer" and policy.auto_pause_on_no_answer:
            self._transition(op, OpInput.PAUSE, "no-answer", call.call_id)
        else:
            self._transition(op, OpInput.RING_ENDED, f"offer-failed:{ev.reason}", call.call_id)
            self._rest(op, policy)
        self._withdraw(call, op, cancel=False)

    # -- operators --------------------------------------------------------------------------

    def _on_logged_in(self, ev: OperatorLoggedIn) -> None:
        op = self._op(ev.operator_id)
        self._transition(op, OpInput.LOGIN, "login")

    def _on_logged_out(self, ev: OperatorLoggedOut) -> None:
        self._leave_or_defer(self._op(ev.operator_id), OpInput.LOGOUT, "logout")

    def _on_paused(self, ev: OperatorPaused) -> None:
        self._leave_or_defer(self._op(ev.operator_id), OpInput.PAUSE, ev.reason or "paused")

    def _leave_or_defer(self, op: Operator, event: OpInput, reason: str) -> None:
        self._check_not_consulted(op)
        if event in DEFERRED.get(op.state, frozenset()):
            if event is OpInput.LOGOUT:
                op.pending_logout = True
            else:
                op.pending_pause = reason
            return
        next_state(op.state, event, op.operator_id)
        call = self._calls.get(op.call_id or "") if op.state is S.OFFERED else None
        self._transition(op, event, reason, op.call_id)
        if call is not None:
            self._withdraw(call, op, cancel=True)

    def _on_unpaused(self, ev: OperatorUnpaused) -> None:
        op = self._op(ev.operator_id)
        self._check_not_consulted(op)
        if op.state is S.ON_CALL and op.pending_pause is not None:
            op.pending_pause = None
            return
        self._transition(op, OpInput.UNPAUSE, "unpause")

    def _on_endpoint_online(self, ev: OperatorEndpointOnline) -> None:
        op = self._op(ev.operator_id)
        op.online = True
        self._refresh(op)

    def _on_endpoint_offline(self, ev: OperatorEndpointOffline) -> None:
        op = self._op(ev.operator_id)
        op.online = False
        self._unfile(op)
        if op.state is S.OFFERED:
            call = self._calls[op.call_id or ""]
            self._transition(op, OpInput.RING_ENDED, "endpoint-offline", call.call_id)
            self._withdraw(call, op, cancel=True)

    # -- deadlines ------------------------------------------------------------------------

    def _on_tick(self, ev: Tick) -> None:
        self._fire_due()
