"""Fairness between tenants: whose caller an operator shared by several tenants takes.

Inside one tenant the existing rule orders callers (``_dispatch.pick_call``: priority,
service level at risk, longest wait). Between tenants the center's
``TenantFairness.mode`` decides. It is consulted only when the mode is not ``none``,
the center has queues of more than one tenant (``Routing.between_tenants``) and the
operator may take callers of more than one (``Routing.shared``); otherwise
``pick_call`` runs as it always has.

Each tenant with a caller the operator may take puts forward its *candidate*: the one
the existing rule picks among that tenant's callers the operator may take. The
operator takes the candidate that comes first by the mode (``tenant_order``), ties by
the existing rule:

- ``priority``: the tenant's ``priority``, higher first. Strict: any caller of a lower
  tenant, VIP or not, waits while a higher tenant has a caller for the operator.
- ``sla_risk``: the candidate's wait as a fraction of their own queue's
  ``service_level_s``, larger first (the wait counted as the existing rule counts it:
  a transferred caller's from their first arrival). Between tenants service level
  comes before call priority; a VIP is their tenant's candidate like anyone else.
- ``weighted``: smooth weighted round robin, per operator. Each operator holds an
  integer credit per tenant (``Operator.credits``). At each pick, every tenant with a
  candidate earns its ``weight``; the one with the most credit after earning wins and
  pays back everything earned at that pick. A tenant with no candidate neither earns
  nor pays: it banks no turns while it has no callers. Credits are charged when the
  offer is made (``charge``) and restored if it is not answered, so they count
  answered calls; a callback the operator is reserved for counts as its tenant's.

With every tenant always having a caller, the credits stay below the sum of the
weights, and each tenant's share of the operator's calls never drifts a whole call
from its weight's share; a tenant with a caller at every pick is served at least once
in any ``2 * W`` picks, ``W`` the weights of the tenants the operator serves
(tests/acd/test_tenant_fairness_properties.py checks both on random histories).
Credits belong to the core: kept across logouts and reloads, lost on a restart
(everyone starts even).

The call side (``pick_operators``: a caller starts waiting while operators who may
take them are free) does not weigh tenants: such an operator had no caller waiting
for them (rule 5 of ``_engine``), so there is no choice between tenants to make. The
one exception is several callers starting to wait in the same step (an escalation
tick, a reload): they are routed in call-key order, as before tenants existed.
"""

from __future__ import annotations

from dataclasses import dataclass

from callrouter.acd._callback_places import Rank, call_rank
from callrouter.acd._dispatch import Routing, pick_call
from callrouter.acd._operators import Operator
from callrouter.acd._queues import CallKey, WaitingCalls

__all__ = ["Candidate", "candidates", "charge", "comes_before", "pick_for"]


@dataclass(frozen=True, slots=True)
class Candidate:
    tenant: str
    queue: str
    key: CallKey
    rank: Rank


def weighs_tenants(op: Operator, routing: Routing) -> bool:
    return routing.between_tenants and routing.shared(op.spec)


def candidates(
    op: Operator, routing: Routing, waiting: WaitingCalls, now_us: int
) -> dict[str, Candidate]:
    """Each tenant's caller the existing rule would give ``op``, by tenant."""
    found: dict[str, Candidate] = {}
    for bucket in routing.buckets_for(op.spec):
        head = waiting.head(bucket)
        if head is None:
            continue
        queue = bucket[0]
        rank = call_rank(routing, queue, head, now_us)
        tenant = routing.tenant_of[queue]
        best = found.get(tenant)
        if best is None or rank < best.rank:
            found[tenant] = Candidate(tenant, queue, head, rank)
    return found


def tenant_order(op: Operator, routing: Routing, queue: str, rank: Rank, now_us: int) -> float:
    """Where a caller of ``queue`` with ``rank`` stands between tenants: lower first."""
    mode = routing.fairness.mode
    share = routing.fairness.share(routing.tenant_of[queue])
    if mode == "priority":
        return -share.priority
    if mode == "sla_risk":
        return -(now_us - rank[2]) / routing.service_level_us[queue]
    return -(op.credits.get(routing.tenant_of[queue], 0) + share.weight)


def pick_for(op: Operator, routing: Routing, waiting: WaitingCalls, now_us: int) -> CallKey | None:
    """The waiting call ``op`` takes now: the one dispatcher, tenants included."""
    # Inlined weighs_tenants: every pick of a single-tenant center passes here.
    if not routing.between_tenants or not routing.shared(op.spec):
        return pick_call(op.spec, routing, waiting, now_us)
    found = candidates(op, routing, waiting, now_us)
    if not found:
        return None
    best = min(
        found.values(),
        key=lambda c: (tenant_order(op, routing, c.queue, c.rank, now_us), c.rank),
    )
    return best.key


def comes_before(
    op: Operator, routing: Routing, first: tuple[str, Rank], then: tuple[str, Rank], now_us: int
) -> bool:
    """Whether ``op`` takes the caller (queue, rank) ``first`` before ``then``: callbacks
    against waiting calls, by the same rule as ``pick_for``."""
    (first_queue, first_rank), (then_queue, then_rank) = first, then
    if routing.tenant_of[first_queue] == routing.tenant_of[then_queue] or not weighs_tenants(
        op, routing
    ):
        return first_rank < then_rank
    ahead = tenant_order(op, routing, first_queue, first_rank, now_us)
    behind = tenant_order(op, routing, then_queue, then_rank, now_us)
    return (ahead, first_rank) < (behind, then_rank)


def charge(
    op: Operator, routing: Routing, waiting: WaitingCalls, now_us: int, queue: str, *, undo: bool
) -> None:
    """``op`` takes a caller of ``queue`` (weighted mode): every tenant with a candidate
    earns its weight, the caller's tenant pays back all that was earned. ``undo``: keep
    the credits as they were, for ``_transition`` to restore if the offer is let go."""
    if routing.fairness.mode != "weighted" or not weighs_tenants(op, routing):
        return
    if undo:
        op.credits_before = dict(op.credits)
    tenant = routing.tenant_of[queue]
    earned = 0
    for name in {*candidates(op, routing, waiting, now_us), tenant}:
        weight = routing.fairness.share(name).weight
        op.credits[name] = op.credits.get(name, 0) + weight
        earned += weight
    op.credits[tenant] -= earned
