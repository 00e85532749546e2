"""Routing once a handler is done: settling, announcements, cross-queue fairness.

Which call a free operator takes is ``_tenant_fairness.pick_for`` (``_dispatch`` inside
one tenant); the weighted mode's credits are charged here, when the offer is made.

A handler never routes directly. Calls that start waiting (arrived, returned
from a ring, escalated) and operators that become routable are collected, and
``_settle`` routes them when the handler is done: first every fresh call in priority
order against the operators already free, then each fresh operator takes the best
waiting call it may (the one dispatcher). Doing calls first is what makes a ring
timeout try the *next* operator instead of ringing the same one again.
"""

from __future__ import annotations

from callrouter.acd._callback_places import RESERVATION_REASON, call_rank, callback_marker
from callrouter.acd._commands import AnnounceQueuePosition
from callrouter.acd._core import Core
from callrouter.acd._dispatch import Offer, pick_operators
from callrouter.acd._operators import Operator, OpInput
from callrouter.acd._queues import Call, CallKey, CallStatus
from callrouter.acd._tenant_fairness import charge, comes_before, pick_for
from callrouter.errors import InternalError

__all__ = ["Settling"]


class Settling(Core):
    # -- announcements ------------------------------------------------------------

    def _expected_wait_s(self, queue: str, position: int) -> float:
        """Position x average handle time / logged-in operators of the queue."""
        samples = self._handle_times.get(queue)
        if samples:
            aht = sum(samples) / len(samples)
        else:
            aht = self._routing.policies[queue].default_handle_s
        return round(position * aht / max(1, self._logged_in.get(queue, 0)), 1)

    def _announce(self, call: Call) -> None:
        policy = self._routing.policies[call.queue]
        position = self._waiting.position(call)
        self._out.append(
            AnnounceQueuePosition(
                call.call_id,
                position,
                self._expected_wait_s(call.queue, position),
                policy.announce.sounds,
            )
        )

    # -- settling ------------------------------------------------------------------

    def _settle(self) -> None:
        for q in sorted(self._emptied):
            policy = self._routing.policies.get(q)
            if policy is not None and policy.leave_when_empty and self._logged_in[q] == 0:
                for key in self._waiting.line(q):
                    call = self._calls[key[3]]
                    self._waiting.remove(call)
                    self._leave(call, "no_operators")
        self._emptied.clear()
        while self._fresh_calls or self._fresh_ops:
            calls, self._fresh_calls = self._fresh_calls, []
            calls.sort(key=lambda c: c.key)
            for call in calls:
                if call.status is CallStatus.WAITING and self._calls.get(call.call_id) is call:
                    self._route(call)
            ops, self._fresh_ops = self._fresh_ops, []
            for op in ops:
                self._file(op)
            for op in ops:
                self._feed(op)
        for call in self._joined:
            live = self._calls.get(call.call_id) is call and call.status is CallStatus.WAITING
            if live and self._routing.policies[call.queue].announce.position:
                self._announce(call)
        self._joined.clear()

    def _route(self, call: Call) -> bool:
        offer = pick_operators(call, self._routing, self._members, self._rng)
        if offer is None:
            return False
        self._offer(call, offer.operators, offer.chosen_in)
        return True

    def _feed(self, op: Operator) -> None:
        while op.routable and op.filed:
            key = pick_for(op, self._routing, self._waiting, self._now_us)
            if self._callback_places and self._reserve_for_callback(op, key):
                return
            if key is None:
                return
            call = self._calls[key[3]]
            offer = pick_operators(call, self._routing, self._members, self._rng)
            if offer is None:
                raise InternalError(f"{op.operator_id} may take {key[3]} but nobody can")
            operators, chosen_in = self._fair(op, key, call, offer)
            if self._routing.between_tenants:
                for op_id in operators:
                    rung = self._ops[op_id]
                    charge(rung, self._routing, self._waiting, self._now_us, call.queue, undo=True)
            self._offer(call, operators, chosen_in)

    def _reserve_for_callback(self, op: Operator, key: CallKey | None) -> bool:
        """``op`` is free: a due callback whose place ranks before ``key`` (the best
        waiting call ``op`` may take) gets them, reserved (see ``_callback_places``)."""
        routing, now_us = self._routing, self._now_us
        best = self._callback_places.best_for(
            op.spec, routing, now_us, lambda a, b: comes_before(op, routing, a, b, now_us)
        )
        if best is None:
            return False
        rank, queue, place = best
        if key is not None:
            call_queue = self._calls[key[3]].queue
            call_place = (call_queue, call_rank(routing, call_queue, key, now_us))
            if comes_before(op, routing, call_place, (queue, rank), now_us):
                return False
        charge(op, routing, self._waiting, now_us, queue, undo=False)
        callback_id = self._callback_places.take(queue, place)
        self._transition(op, OpInput.PAUSE, RESERVATION_REASON, callback_marker(callback_id))
        return True

    def _fair(
        self, op: Operator, key: CallKey, call: Call, offer: Offer
    ) -> tuple[tuple[str, ...], str]:
        """``op`` just became free and picked ``call`` as its best work. The call's own
        strategy still chooses among the free operators it may reach (lower penalty tier
        first, every one of the tier for ring_all); but an operator it chooses who would
        rather take another call is left for that call, and if none is left ``op`` gets
        it: otherwise ``op`` could stay free beside an older call only it may take, in
        another queue (cross-queue fairness, tests/acd/test_state_machine.py)."""
        willing = tuple(
            op_id
            for op_id in offer.operators
            if op_id == op.operator_id
            or pick_for(self._ops[op_id], self._routing, self._waiting, self._now_us) == key
        )
        if willing:
            return willing, offer.chosen_in
        reach = self._routing.reach[call.queue][call.level]
        queue = next(q for q in reach.queues if q in op.spec.queues)
        return (op.operator_id,), queue

    def _refresh(self, op: Operator) -> None:
        """``op`` may have become routable outside a transition to available."""
        if op.routable and not op.filed:
            self._fresh_ops.append(op)
