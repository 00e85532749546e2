"""What happens when a deadline passes: ring timeouts, max wait, escalation steps,
periodic announcements, an outbound customer's abandon deadline, the end of wrap-up and
of an operator's rest after a failed offer. Deadlines fire only on ``Tick``, earliest
first."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from callrouter.acd._commands import AbandonCaller, CancelRing, OperatorState
from callrouter.acd._core import to_us
from callrouter.acd._dispatch import US
from callrouter.acd._events import AnswerDeadlineSet
from callrouter.acd._operators import OpInput
from callrouter.acd._queues import Call, CallStatus
from callrouter.acd._settling import Settling
from callrouter.acd._timers import TimerKind

__all__ = ["ANSWER_DEADLINE", "Timed"]

# The reason on the CallRecord of an outbound customer nobody answered in time.
ANSWER_DEADLINE = "answer-deadline"

S = OperatorState


class Timed(Settling):
    def _deadline_handlers(self) -> dict[type[Any], Callable[[Any], None]]:
        return {AnswerDeadlineSet: self._on_answer_deadline_set}

    def _on_answer_deadline_set(self, ev: AnswerDeadlineSet) -> None:
        call = self._call(ev.call_id)
        call.apology_sound = ev.apology_sound
        due_us = to_us(ev.answer_by)
        if due_us <= self._now_us:
            self._answer_deadline(call.call_id)
        else:
            self._timers.set(TimerKind.ANSWER_BY, call.call_id, due_us)

    def _fire_due(self) -> None:
        fire: dict[TimerKind, Callable[[str], None]] = {
            TimerKind.RING: self._ring_timeout,
            TimerKind.MAX_WAIT: self._max_wait,
            TimerKind.ESCALATE: self._escalate,
            TimerKind.ANNOUNCE: self._announce_again,
            TimerKind.ANSWER_BY: self._answer_deadline,
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

    def _keep_answer_by(self, call: Call, due_us: int) -> bool:
        """Arm an outbound customer's abandon deadline; False if it has passed already,
        and the customer is abandoned at once without joining the line."""
        if due_us <= self._now_us:
            self._abandon_unanswered(call)
            return False
        self._timers.set(TimerKind.ANSWER_BY, call.call_id, due_us)
        return True

    def _answer_deadline(self, call_id: str) -> None:
        # The regulators' rule: a person who answered an automated call hears an
        # operator within the limit, or an apology. A ringing operator is too late.
        call = self._calls.get(call_id)
        if call is None or call.status is CallStatus.CONNECTED:
            return
        if call.status is CallStatus.OFFERED:
            self._drop_offers(call, ANSWER_DEADLINE)
        else:
            self._waiting.remove(call)
        self._abandon_unanswered(call)

    def _abandon_unanswered(self, call: Call) -> None:
        self._out.append(AbandonCaller(call.call_id, call.apology_sound))
        self._finish(call, "abandoned", ANSWER_DEADLINE)

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
