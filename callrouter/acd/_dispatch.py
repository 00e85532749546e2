"""The routing policy: who may take a call, and who takes it.

Eligibility. A call of queue ``home`` at escalation level ``L`` (the number of its
queue's escalation steps whose ``after_s`` it has waited) may go to an operator who
serves ``home`` or one of the queues those steps added, at a penalty no higher than the
level's ``max_penalty`` (the last step that set one, else the queue's own; None means
any). ``Reach`` is that rule, precomputed per (queue, level).

Call side (a call starts waiting): among the routable eligible operators, the lowest
penalty tier wins; ties between queues go to ``home`` first, then to added queues in
configured order; inside the tier the queue's strategy picks one operator, or, for
``ring_all`` in the home queue, every operator of the tier is rung.

Operator side (an operator becomes free): ONE choice across every queue they serve, by

1. priority (higher first),
2. service level at risk (waited at least ``service_level_risk * service_level_s`` of
   the call's own queue) before not at risk,
3. longest wait (``queued_at``), then arrival order.

So an operator in two queues always gets the longest-waiting eligible caller among
callers of equal priority and equal risk, whichever queue they are in. That is the
whole rule for an operator whose queues belong to one tenant; between the callers of
several tenants, the center's fairness mode decides first (``_tenant_fairness``).
"""

from __future__ import annotations

import random
from bisect import bisect_right
from dataclasses import dataclass

from callrouter.acd._model import AcdConfig, OperatorSpec, QueuePolicy
from callrouter.acd._queues import Call, CallKey, QueueMembers, WaitingCalls

__all__ = ["Offer", "Reach", "Routing", "pick_call", "pick_operators"]

US = 1_000_000


@dataclass(frozen=True, slots=True)
class Reach:
    home: str
    level: int
    max_penalty: int | None
    queues: tuple[str, ...]

    def admits(self, spec: OperatorSpec) -> bool:
        for q in self.queues:
            p = spec.queues.get(q)
            if p is not None and (self.max_penalty is None or p <= self.max_penalty):
                return True
        return False


def _reaches(policy: QueuePolicy) -> list[Reach]:
    out = [Reach(policy.name, 0, policy.max_penalty, (policy.name,))]
    for level, step in enumerate(policy.escalation, start=1):
        prev = out[-1]
        cap = step.max_penalty if step.max_penalty is not None else prev.max_penalty
        added = tuple(q for q in step.add_queues if q not in prev.queues)
        out.append(Reach(policy.name, level, cap, prev.queues + added))
    return out


class Routing:
    """One configuration compiled into lookup tables."""

    def __init__(self, config: AcdConfig) -> None:
        self.config = config
        self.policies: dict[str, QueuePolicy] = {q.name: q for q in config.queues}
        self.reach: dict[str, list[Reach]] = {q.name: _reaches(q) for q in config.queues}
        # member queue -> every (home, level) whose calls that queue's operators may take
        self.feeds: dict[str, list[Reach]] = {q: [] for q in self.policies}
        for levels in self.reach.values():
            for r in levels:
                for q in r.queues:
                    self.feeds[q].append(r)
        self.step_us: dict[str, list[int]] = {
            q.name: [int(s.after_s * US) for s in q.escalation] for q in config.queues
        }
        self.risk_us: dict[str, int] = {
            q.name: int(q.service_level_s * q.service_level_risk * US) for q in config.queues
        }
        self._buckets: dict[str, list[tuple[str, int]]] = {}
        self.fairness = config.fairness
        self.tenant_of: dict[str, str] = {q.name: q.tenant for q in config.queues}
        self.service_level_us: dict[str, int] = {
            q.name: int(q.service_level_s * US) for q in config.queues
        }
        # Tenants are weighed only when the center asks and has several: a
        # single-tenant center pays one attribute test per pick, nothing more.
        self.between_tenants = (
            config.fairness.mode != "none" and len(set(self.tenant_of.values())) > 1
        )
        self._shared: dict[str, bool] = {}

    def level_at(self, queue: str, waited_us: int) -> int:
        return bisect_right(self.step_us[queue], waited_us)

    def buckets_for(self, spec: OperatorSpec) -> list[tuple[str, int]]:
        """Every (queue, level) bucket whose calls this operator may take."""
        found = self._buckets.get(spec.operator_id)
        if found is None:
            seen: dict[tuple[str, int], None] = {}
            for q in spec.queues:
                for r in self.feeds.get(q, ()):
                    if r.admits(spec):
                        seen[(r.home, r.level)] = None
            found = self._buckets[spec.operator_id] = list(seen)
        return found

    def shared(self, spec: OperatorSpec) -> bool:
        """Whether the operator may take callers of more than one tenant."""
        found = self._shared.get(spec.operator_id)
        if found is None:
            tenants = {self.tenant_of[queue] for queue, _ in self.buckets_for(spec)}
            found = self._shared[spec.operator_id] = len(tenants) > 1
        return found

    def eligible(self, spec: OperatorSpec, call: Call) -> bool:
        return self.reach[call.queue][call.level].admits(spec)


@dataclass(frozen=True, slots=True)
class Offer:
    operators: tuple[str, ...]
    # The queue whose strategy chose (round-robin memory lives there).
    chosen_in: str


def pick_operators(
    call: Call, routing: Routing, members: dict[str, QueueMembers], rng: random.Random
) -> Offer | None:
    reach = routing.reach[call.queue][call.level]
    best: int | None = None
    best_q = ""
    for q in reach.queues:
        p = members[q].lowest(reach.max_penalty)
        if p is not None and (best is None or p < best):
            best, best_q = p, q
    if best is None:
        return None
    if routing.policies[call.queue].strategy == "ring_all":
        ops: dict[str, None] = {}
        for q in reach.queues:
            for op_id in members[q].tier(best):
                ops[op_id] = None
        return Offer(tuple(ops), call.queue)
    return Offer((members[best_q].choose(best, rng),), best_q)


def pick_call(
    spec: OperatorSpec, routing: Routing, waiting: WaitingCalls, now_us: int
) -> CallKey | None:
    best: tuple[int, bool, int, int] | None = None
    found: CallKey | None = None
    for bucket in routing.buckets_for(spec):
        head = waiting.head(bucket)
        if head is None:
            continue
        neg_priority, queued_us, seq, _ = head
        calm = now_us - queued_us < routing.risk_us[bucket[0]]
        rank = (neg_priority, calm, queued_us, seq)
        if best is None or rank < best:
            best, found = rank, head
    return found
