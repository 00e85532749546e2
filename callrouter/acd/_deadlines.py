"""What happens when a deadline passes: ring timeouts, max wait, escalation steps,
periodic announcements, the end of wrap-up and of an operator's rest after a failed
offer. Deadlines fire only on ``Tick``, earliest first."""

from __future__ import annotations

from collections.abc import Callable

from callrouter.acd._commands import CancelRing, OperatorState
from callrouter.acd._dispatch import US
from callrouter.acd._operators import OpInput
from callrouter.acd._queues import Call, CallStatus
from callrouter.acd._settling import Settling
from callrouter.acd._timers import TimerKind

__all__ = ["Timed"]

S = OperatorState


class Timed(Settling):
    def _fire_due(self) -> None:
        fire: dict[TimerKind, Callable[[str], None]] = {
            TimerKind.RING: self._ring_timeout,
            TimerKind.MAX_WAIT: self._max_wait,
            TimerKind.ESCALATE: self._escalate,
            TimerKind.ANNOUNCE: self._announce_again,
            TimerKind.WRAPUP: self._wrapup_done,
            TimerKind.REST: self._rest_done,
        }
        while (due := self._timers.pop_due(self._now_us)) is not None:
            kind, ident = due
            fire[kind](ident)

    def _drop_offers(self, call: Call, reason: str) -> None:
        """Cancel every ring of ``call`` without putting it back in line."""
        self._timers.cancel(TimerKind.RING, call.call_id)
        ringing, call.ringing = sorted(call.ringing), set()
        for op_id in ringing:
            self._out.append(CancelRing(call.call_id, op_id))
            self._transition(self._ops[op_id], OpInput.RING_ENDED, reason, call.call_id)

    def _ring_timeout(self, call_id: str) -> None:
        call = self._calls.get(call_id)
        if call is None or call.status is not CallStatus.OFFERED:
            return
        policy = self._routing.policies[call.queue]
        ringing, call.ringing = sorted(call.ringing), set()
        for op_id in ringing:
            op = self._ops[op_id]
            self._out.append(CancelRing(call_id, op_id))
            if policy.auto_pause_on_no_answer:
                self._transition(op, OpInput.PAUSE, "no-answer", call_id)
            else:
                self._transition(op, OpInput.RING_ENDED, "ring-timeout", call_id)
                self._rest(op, policy)
        self._back_to_queue(call)

    def _max_wait(self, call_id: str) -> None:
        call = self._calls.get(call_id)
        if call is None:
            return
        if call.status is CallStatus.WAITING:
            self._waiting.remove(call)
            self._leave(call, "max_wait")
        elif call.status is CallStatus.OFFERED:
            # Do not hang up on a ringing offer; leave if it comes back unanswered.
            call.expired = True

    def _escalate(self, call_id: str) -> None:
        call = self._calls.get(call_id)
        if call is None or call.status is CallStatus.CONNECTED:
            return
        level = self._routing.level_at(call.queue, self._now_us - call.queued_us)
        if call.status is CallStatus.WAITING:
            self._waiting.remove(call)
            call.level = level
            self._enqueue(call)
        else:
            call.level = level
        self._schedule_escalation(call)

    def _announce_again(self, call_id: str) -> None:
        call = self._calls.get(call_id)
        if call is None or call.status is CallStatus.CONNECTED:
            return
        announce = self._routing.policies[call.queue].announce
        if call.status is CallStatus.WAITING:
            self._announce(call)
        if announce.position and announce.every_s > 0:
            due = self._now_us + int(announce.every_s * US)
            self._timers.set(TimerKind.ANNOUNCE, call_id, due)

    def _wrapup_done(self, operator_id: str) -> None:
        op = self._ops.get(operator_id)
        if op is not None and op.state is S.WRAPUP:
            self._transition(op, OpInput.WRAPUP_DONE, "wrapup-done")

    def _rest_done(self, operator_id: str) -> None:
        op = self._ops.get(operator_id)
        if op is not None:
            op.rest_until_us = None
            self._refresh(op)
