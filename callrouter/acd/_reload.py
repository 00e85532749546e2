"""Installing a configuration, at start and on hot reload.

A reload rebuilds every index from the live calls and operators, so nothing can keep a
stale policy: waiting callers keep their ``queued_at`` (hence their place), and their
escalation level is recomputed from how long they have waited under the *new* steps.
Removing a queue that still has callers waiting or ringing is refused (``Conflict``);
removing an operator logs them out, after their current call if they are on one.
"""

from __future__ import annotations

from callrouter.acd._commands import OperatorState
from callrouter.acd._deadlines import Timed
from callrouter.acd._dispatch import US, Routing
from callrouter.acd._model import AcdConfig
from callrouter.acd._operators import Operator, OpInput
from callrouter.acd._queues import CallStatus, QueueMembers, WaitingCalls
from callrouter.acd._timers import TimerKind
from callrouter.errors import Conflict

__all__ = ["Reloadable"]

S = OperatorState


class Reloadable(Timed):
    def _reload(self, config: AcdConfig) -> None:
        kept = {q.name for q in config.queues}
        for call in self._calls.values():
            if call.queue not in kept and call.status is not CallStatus.CONNECTED:
                raise Conflict(f"queue {call.queue} still has call {call.call_id}; drain it first")
        ids = {o.operator_id for o in config.operators}
        for op in [op for op_id, op in self._ops.items() if op_id not in ids]:
            self._retire(op)
        fresh = [o.operator_id for o in config.operators if o.operator_id not in self._ops]
        self._install(config)
        for op in self._ops.values():
            self._file(op)
        for op_id in fresh:
            if self._ops[op_id].spec.logged_in:
                self._transition(self._ops[op_id], OpInput.LOGIN, "login")
        for q, count in self._logged_in.items():
            if count == 0:
                self._emptied.add(q)

    def _retire(self, op: Operator) -> None:
        self._unfile(op)
        op.retired = True
        if op.state is S.ON_CALL:
            op.pending_logout = True
        elif op.state is S.LOGGED_OUT:
            del self._ops[op.operator_id]
        else:
            call = self._calls.get(op.call_id or "") if op.state is S.OFFERED else None
            self._transition(op, OpInput.LOGOUT, "removed", op.call_id)
            if call is not None:
                self._withdraw(call, op, cancel=True)

    def _install(self, config: AcdConfig) -> None:
        old_members = self._members
        self._routing = routing = Routing(config)
        self._members = {q.name: QueueMembers(q.name, q.strategy) for q in config.queues}
        for name, members in self._members.items():
            if name in old_members:
                members.rr_last = old_members[name].rr_last
        for order, spec in enumerate(config.operators):
            op = self._ops.get(spec.operator_id)
            if op is None:
                self._ops[spec.operator_id] = Operator(spec, order)
            else:
                op.spec, op.order, op.retired = spec, order, False
        for op in self._ops.values():
            op.filed.clear()
        self._logged_in = {q: 0 for q in routing.policies}
        for op in self._ops.values():
            if op.state is not S.LOGGED_OUT:
                for q in op.spec.queues:
                    if q in self._logged_in:
                        self._logged_in[q] += 1
        self._waiting = WaitingCalls()
        for call in self._calls.values():
            if call.queue not in routing.policies:
                continue
            call.level = routing.level_at(call.queue, self._now_us - call.queued_us)
            if call.status is CallStatus.CONNECTED:
                continue
            policy = routing.policies[call.queue]
            if call.status is CallStatus.WAITING:
                self._enqueue(call)
            self._schedule_escalation(call)
            if policy.max_wait_s is not None:
                due = call.queued_us + int(policy.max_wait_s * US)
                self._timers.set(TimerKind.MAX_WAIT, call.call_id, due)
            else:
                self._timers.cancel(TimerKind.MAX_WAIT, call.call_id)
            announce = policy.announce
            if not (announce.position and announce.every_s > 0):
                self._timers.cancel(TimerKind.ANNOUNCE, call.call_id)
            elif self._timers.due(TimerKind.ANNOUNCE, call.call_id) is None:
                due = self._now_us + int(announce.every_s * US)
                self._timers.set(TimerKind.ANNOUNCE, call.call_id, due)
