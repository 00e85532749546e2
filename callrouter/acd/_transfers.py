"""Transfers and consultations: the queue side of call control.

Rules (on top of the engine's, see ``_engine``)
-----------------------------------------------
1. A call keeps its one id through every transfer; each step is a ``CallRecord``
   (reason ``transfer`` or ``attended-transfer``, ``transferred_to`` the target) that
   the shell logs as app_queue's BLINDTRANSFER / ATTENDEDTRANSFER in the queue it leaves.
2. A ringing call is never transferred (answer it first); a call under consultation is
   only completed, conferenced or sent back, not blind-transferred elsewhere.
3. A transferred caller keeps their priority, and their place in the new queue's line
   is their original arrival; with the queue's ``escalated_first`` they go ahead of
   every caller of equal priority who was not transferred. The wait that CONNECT and
   max-wait count starts when they enter the new queue, as app_queue's holdtime does.
4. A consulted operator is reserved by pausing them (reason ``consult``): they are
   never offered another call meanwhile, cannot pause, unpause or log out until it is
   over, and the reservation ends with the consult (``ConsultEnded``), with the call
   (``_finish``), or by taking the call over (``ConsultCompleted``: the first operator
   goes to wrap-up).
5. A caller blind-transferred to an operator is only ever offered to operators who may
   take them: they wait in the call's queue if the operator takes its callers, else in
   the operator's best queue; unanswered, the next free operator of that queue gets them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from callrouter.acd._commands import ConsultReserved, OperatorState
from callrouter.acd._core import CONSULT_REASON, to_us
from callrouter.acd._dispatch import pick_operators
from callrouter.acd._events import (
    ConsultCompleted,
    ConsultEnded,
    ConsultStarted,
    TransferredOut,
    TransferToOperator,
    TransferToQueue,
)
from callrouter.acd._operators import Operator, OpInput
from callrouter.acd._queues import Call, CallStatus
from callrouter.acd._settling import Settling
from callrouter.errors import Conflict, NotFound

__all__ = ["ESCALATED_AHEAD_US", "TransferRules"]

# How far ahead of their arrival an escalated caller is ranked in an ``escalated_first``
# queue: about 31 years, more than any caller can have waited.
ESCALATED_AHEAD_US = 10**15
S = OperatorState


class TransferRules(Settling):
    def _transfer_handlers(self) -> dict[type[Any], Callable[[Any], None]]:
        return {
            TransferToQueue: self._on_transfer,
            TransferToOperator: self._on_transfer_to_operator,
            TransferredOut: self._on_transferred_out,
            ConsultStarted: self._on_consult_started,
            ConsultEnded: self._on_consult_ended,
            ConsultCompleted: self._on_consult_completed,
        }

    # -- blind transfers ---------------------------------------------------------------

    def _transferable(self, call_id: str) -> Call:
        call = self._call(call_id)
        if call.status is CallStatus.OFFERED:
            raise Conflict(f"call {call_id} is ringing; answer it before transferring")
        if call_id in self._consults:
            raise Conflict(f"call {call_id} is under consultation; complete or cancel it first")
        return call

    def _let_go(self, call: Call, reason: str, to: str) -> None:
        """The call leaves its operator (logged as a transfer) or its line."""
        if call.status is CallStatus.CONNECTED:
            self._record(call, None, reason, to=to)
            op = self._ops[call.operator_id or ""]
            call.offered_at = call.answered_at = call.operator_id = None
            self._call_done(op)
        else:
            self._waiting.remove(call)
        call.hops = 0

    def _rejoin(self, call: Call, queue: str) -> None:
        """Into ``queue`` with the original wait (rule 3)."""
        ahead = ESCALATED_AHEAD_US if self._routing.policies[queue].escalated_first else 0
        call.rank_us = to_us(call.arrived_at) - ahead
        self._join(call, queue)

    def _on_transfer(self, ev: TransferToQueue) -> None:
        call = self._transferable(ev.call_id)
        if ev.queue not in self._routing.policies:
            raise NotFound(f"no queue {ev.queue!r}")
        self._let_go(call, "transfer", ev.queue)
        self._rejoin(call, ev.queue)

    def _on_transfer_to_operator(self, ev: TransferToOperator) -> None:
        call = self._transferable(ev.call_id)
        op = self._free_operator(ev.operator_id, call)
        queue = self._queue_taking(op, prefer=call.queue)
        self._let_go(call, "transfer", f"operator:{op.operator_id}")
        self._rejoin(call, queue)
        if self._calls.get(call.call_id) is call and call.status is CallStatus.WAITING:
            self._offer(call, (op.operator_id,), queue)

    def _queue_taking(self, op: Operator, *, prefer: str) -> str:
        """The queue a caller sent to ``op`` waits in: the call's own if ``op`` takes its
        fresh callers, else the one of ``op``'s queues where they rank best (rule 5)."""
        takes = [
            (penalty, q)
            for q, penalty in op.spec.queues.items()
            if q in self._routing.policies and self._routing.reach[q][0].admits(op.spec)
        ]
        if not takes:
            raise Conflict(f"operator {op.operator_id} takes no queue's callers")
        if any(q == prefer for _, q in takes):
            return prefer
        return min(takes)[1]

    def _on_transferred_out(self, ev: TransferredOut) -> None:
        call = self._call(ev.call_id)
        if call.status is CallStatus.OFFERED:
            raise Conflict(f"call {ev.call_id} is ringing; answer it before transferring")
        if not ev.attended and ev.call_id in self._consults:
            raise Conflict(f"call {ev.call_id} is under consultation; complete or cancel it first")
        reason = "attended-transfer" if ev.attended else "transfer"
        if call.status is CallStatus.WAITING:
            self._waiting.remove(call)
            self._finish(call, "transferred", reason, to=ev.target)
            return
        op = self._ops[call.operator_id or ""]
        self._finish(call, "transferred", reason, to=ev.target)
        self._call_done(op)

    # -- consultations --------------------------------------------------------------

    def _free_operator(self, operator_id: str, call: Call) -> Operator:
        op = self._op(operator_id)
        if operator_id == call.operator_id:
            raise Conflict(f"operator {operator_id} is already on call {call.call_id}")
        if not op.routable:
            raise Conflict(f"operator {operator_id} is not free ({op.state})")
        if not op.spec.queues:
            raise Conflict(f"operator {operator_id} serves no queue")
        return op

    def _on_consult_started(self, ev: ConsultStarted) -> None:
        call = self._call(ev.call_id)
        if call.status is not CallStatus.CONNECTED:
            raise Conflict(f"call {ev.call_id} is {call.status}; only a connected call consults")
        if ev.call_id in self._consults:
            raise Conflict(f"call {ev.call_id} is already under consultation")
        if (ev.operator_id is None) == (ev.queue is None):
            raise Conflict("consult exactly one of: an operator, a queue")
        if ev.operator_id is not None:
            op = self._free_operator(ev.operator_id, call)
        else:
            op = self._next_free_of(ev.queue or "", call)
        self._consults[call.call_id] = op.operator_id
        self._transition(op, OpInput.PAUSE, CONSULT_REASON, call.call_id)
        timeout_s = self._routing.policies[call.queue].ring_timeout_s
        self._out.append(ConsultReserved(call.call_id, op.operator_id, op.spec.endpoint, timeout_s))

    def _next_free_of(self, queue: str, call: Call) -> Operator:
        """The operator ``queue``'s strategy would ring for a fresh caller now."""
        if queue not in self._routing.policies:
            raise NotFound(f"no queue {queue!r}")
        probe = Call(call.call_id, queue, call.priority, call.caller_number,
                     self._now, self._now, self._now_us, 0)  # fmt: skip
        offer = pick_operators(probe, self._routing, self._members, self._rng)
        if offer is None:
            raise Conflict(f"nobody in queue {queue} is free to be consulted")
        return self._ops[offer.operators[0]]

    def _check_not_consulted(self, op: Operator) -> None:
        """Rule 4: a reserved operator's own state waits for the consultation."""
        for call_id, consulted in self._consults.items():
            if consulted == op.operator_id:
                raise Conflict(f"operator {op.operator_id} is being consulted on call {call_id}")

    def _consulted(self, call_id: str, operator_id: str) -> Call:
        call = self._call(call_id)
        if self._consults.get(call_id) != operator_id:
            raise Conflict(f"operator {operator_id} is not consulted on call {call_id}")
        return call

    def _on_consult_ended(self, ev: ConsultEnded) -> None:
        self._consulted(ev.call_id, ev.operator_id)
        del self._consults[ev.call_id]
        self._release_consulted(ev.operator_id)

    def _on_consult_completed(self, ev: ConsultCompleted) -> None:
        call = self._consulted(ev.call_id, ev.operator_id)
        first = self._ops[call.operator_id or ""]
        taker = self._ops[ev.operator_id]
        del self._consults[call.call_id]
        self._record(call, None, "attended-transfer", to=f"operator:{taker.operator_id}")
        self._transition(taker, OpInput.RESUME_CALL, "consult-completed", call.call_id)
        taker.call_id, taker.call_queue = call.call_id, call.queue
        taker.calls_taken[call.queue] = taker.calls_taken.get(call.queue, 0) + 1
        call.operator_id = taker.operator_id
        self._call_done(first)
