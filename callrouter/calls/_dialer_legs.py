"""The dialer shell's book of its customer legs, and what it measures for pacing.

One place holds every leg the dialer originated (by channel and by call id), the
rolling statistics of each campaign, the trunk's recent starts and how long each busy
operator has been on their call; ``snapshot`` turns them, with the routing core's view
of the operators, into the numbers the pure ``decide`` takes. Nothing here dials.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from callrouter.acd import AcdSnapshot, OperatorState, OperatorStateChanged
from callrouter.ari import Channel
from callrouter.calls._dialer_plan import CampaignPlan, DialLead, LeadSource
from callrouter.calls._sessions import SessionRegistry
from callrouter.dialer import (
    OUTBOUND_PRIORITY,
    AbandonCounts,
    Limits,
    Load,
    Originated,
    PacingSnapshot,
    RollingStats,
)
from callrouter.dialer.store import OpenAttempt
from callrouter.legs import DialedState

__all__ = ["UNANSWERED", "DialedLeg", "DialedLegs"]

# A customer leg not answered by a person yet: it may still become a call.
UNANSWERED = frozenset({DialedState.RINGING, DialedState.AMD})
_BUSY = frozenset({OperatorState.ON_CALL, OperatorState.WRAPUP})
_SECOND = timedelta(seconds=1)


@dataclass
class DialedLeg:
    source: LeadSource
    plan: CampaignPlan
    lead: DialLead
    attempt_id: int
    call_id: str
    channel_id: str
    started_at: datetime
    state: DialedState = DialedState.RINGING
    answered_at: datetime | None = None
    """When the customer answered: the abandon clock starts here, not after AMD."""
    reserved_operator: str | None = None
    """A callback's: the operator the routing core reserved for this customer, released
    once the customer is in the queue (or was not reached)."""


class DialedLegs:
    def __init__(self, sessions: SessionRegistry) -> None:
        self._sessions = sessions
        self._by_channel: dict[str, DialedLeg] = {}
        self._by_call: dict[str, DialedLeg] = {}
        self._stats: dict[str, RollingStats] = {}
        # Every originate on the trunk, for its calls-per-second limit.
        self._trunk_starts: deque[datetime] = deque()
        # Since when each operator has been on a call (or its wrap-up), to dial ahead.
        self._busy_since: dict[str, datetime] = {}

    def add(self, leg: DialedLeg) -> None:
        self._by_channel[leg.channel_id] = leg
        self._by_call[leg.call_id] = leg

    def forget(self, leg: DialedLeg) -> None:
        self._by_channel.pop(leg.channel_id, None)
        self._by_call.pop(leg.call_id, None)

    def reattach(
        self, source: LeadSource, plan: CampaignPlan, attempt: OpenAttempt,
        channels: Mapping[str, Channel], now: datetime,
    ) -> DialedLeg | None:  # fmt: skip
        """An attempt left open by a crash, back in the book if Asterisk still holds its
        customer (None: its call is gone)."""
        call_id = str(attempt.call_id) if attempt.call_id else ""
        session = self._sessions.get(call_id)
        channel = channels.get(attempt.channel_id or "")
        if not call_id or attempt.channel_id is None or (session is None and channel is None):
            return None
        lead = DialLead(attempt.lead_id, attempt.phone, attempt.name)
        leg = DialedLeg(
            source, plan, lead, attempt.id, call_id, attempt.channel_id, attempt.started_at
        )
        # A rebuilt state, as recovery rebuilds calls: what Asterisk holds says where the
        # leg is (adopted into the queue, answered and in AMD, or still ringing).
        if session is not None:
            leg.state = DialedState.QUEUED
        elif channel is not None and channel.state == "Up":
            leg.state = DialedState.AMD
        if leg.state is not DialedState.RINGING:
            # The answer was before the restart; when it is not known, the restart
            # bounds it.
            leg.answered_at = attempt.answered_at or now
        self.add(leg)
        return leg

    def legs(self) -> list[DialedLeg]:
        return list(self._by_call.values())

    def by_channel(self, channel_id: str) -> DialedLeg | None:
        return self._by_channel.get(channel_id)

    def by_call(self, call_id: str) -> DialedLeg | None:
        return self._by_call.get(call_id)

    def stats_for(self, plan: CampaignPlan) -> RollingStats:
        stats = self._stats.get(plan.name)
        window = timedelta(seconds=plan.abandon_window_s)
        if stats is None or stats.window != window:
            stats = self._stats[plan.name] = RollingStats(window=window)
        return stats

    def originated(self, plan: CampaignPlan, now: datetime) -> None:
        self.stats_for(plan).record(Originated(now))
        self._trunk_starts.append(now)

    def operator_state(self, change: OperatorStateChanged) -> None:
        if change.new in _BUSY:
            self._busy_since.setdefault(change.operator_id, change.at)
        else:
            self._busy_since.pop(change.operator_id, None)

    def snapshot(
        self, plan: CampaignPlan, now: datetime, view: AcdSnapshot,
        abandons: AbandonCounts | None,
    ) -> PacingSnapshot:  # fmt: skip
        queue = view.queue(plan.queue)
        operators = [op for op in view.operators if plan.queue in op.queues]
        free = sum(
            1 for op in operators if op.routable and op.state is OperatorState.AVAILABLE
        )  # fmt: skip
        busy = [op.operator_id for op in operators if op.state in _BUSY]
        inbound_waiting = sum(1 for c in queue.waiting if c.priority < OUTBOUND_PRIORITY)
        mine = [leg for leg in self._by_call.values() if leg.plan.name == plan.name]
        stats = self.stats_for(plan)
        return PacingSnapshot(
            free_operators=max(0, free - inbound_waiting - plan.inbound_reserve),
            ringing=sum(1 for leg in mine if leg.state in UNANSWERED),
            waiting=sum(1 for leg in mine if self._waiting(leg)),
            busy_operators=len(busy),
            busy_elapsed=tuple(now - self._busy_since[op] for op in busy if op in self._busy_since),
            stats=stats.summary(now),
            abandons=abandons,
            campaign_load=Load(
                active=len(mine), started_last_second=stats.started_last_second(now)
            ),
            trunk_load=self._trunk_load(now),
        )

    def _waiting(self, leg: DialedLeg) -> bool:
        """Answered, queued, and no operator connected yet (a customer talking to an
        operator is not waiting, though their leg stays queued until the call ends)."""
        if leg.state is not DialedState.QUEUED:
            return False
        session = self._sessions.get(leg.call_id)
        return session is not None and session.operator_id is None and not session.finished

    def trunk_has_room(self, limits: Limits, now: datetime) -> bool:
        """May one more line start on the trunk now?"""
        load = self._trunk_load(now)
        return (limits.max_concurrent is None or load.active < limits.max_concurrent) and (
            limits.max_per_second is None or load.started_last_second < limits.max_per_second
        )

    def _trunk_load(self, now: datetime) -> Load:
        while self._trunk_starts and now - self._trunk_starts[0] > _SECOND:
            self._trunk_starts.popleft()
        ringing = sum(1 for leg in self._by_call.values() if leg.state in UNANSWERED)
        # Answered outbound calls are sessions too, so nothing is counted twice; inbound
        # calls use the trunk as well.
        return Load(
            active=len(self._sessions) + ringing, started_last_second=len(self._trunk_starts)
        )
