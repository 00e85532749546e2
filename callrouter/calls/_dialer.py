"""The outbound dialer's shell: pace, originate customers, hand answered ones to the ACD.

Progressive and predictive campaigns dial the customer first. The call is originated
into our application (so a busy or unanswered customer is reported to us whatever
happens); once answered it visits the dialplan's ``callrouter-outbound`` context, where
answering-machine detection runs, and comes back with the verdict. A human is then put into the
campaign's queue as a call with top priority, so the ACD's one dispatcher connects it
to the next free operator of that queue: inbound and outbound share operators with no
second routing brain. A customer not connected within ``dialer.abandon_after_s`` is an
abandoned call: they hear a message and the attempt is logged as abandoned, which the
pacing's abandon cap counts.

How many to dial is the pure pacing core's decision (``callrouter.dialer.decide``); this
module only measures (free operators, calls ringing, rolling answer and abandon rates)
and carries it out. Preview campaigns dial nothing by themselves: operators call their
leads through click-to-call.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog

from callrouter.acd import CallArrived, CallerHungUp, CallRecord, OperatorState
from callrouter.ari import AriClient, AriError, StasisStart
from callrouter.calls._dialer_plan import CampaignPlan, DialLead, LeadSource
from callrouter.calls._journal import CallJournal
from callrouter.calls._router import Router
from callrouter.calls._sessions import CallSession, SessionRegistry
from callrouter.dialer import (
    Abandoned,
    Answered,
    Handled,
    Load,
    Originated,
    PacingConfig,
    PacingMode,
    PacingSnapshot,
    RollingStats,
    Unanswered,
    decide,
)
from callrouter.legs import DIALED_LEG, DialedInput, DialedState, OperatorLegState

__all__ = ["OUTBOUND_PRIORITY", "OutboundDialer"]

log = structlog.get_logger(__name__)

# Answered customers outrank every inbound caller: each second they wait counts
# towards an abandoned call.
OUTBOUND_PRIORITY = 1_000_000
PACE_EVERY_S = 1.0
OUTBOUND_CONTEXT = "callrouter-outbound"
_OUTCOME_BY_CAUSE = {17: "busy", 18: "no_answer", 19: "no_answer", 34: "congestion"}


# A customer leg not answered by a person yet: it may still become a call.
_UNANSWERED = frozenset({DialedState.RINGING, DialedState.AMD})

@dataclass
class _Leg:
    source: LeadSource
    plan: CampaignPlan
    lead: DialLead
    attempt_id: int
    call_id: str
    channel_id: str
    started_at: datetime
    state: DialedState = DialedState.RINGING


class OutboundDialer:
    def __init__(
        self,
        *,
        ari: AriClient,
        router: Router,
        sessions: SessionRegistry,
        journal: CallJournal,
        sources: Sequence[LeadSource],
        abandon_after_s: float,
        abandon_sound: str = "sorry-youre-having-problems",
    ) -> None:
        self._ari = ari
        self._router = router
        self._sessions = sessions
        self._journal = journal
        self._sources = list(sources)
        self._abandon_after_s = abandon_after_s
        self._abandon_sound = abandon_sound
        self._legs: dict[str, _Leg] = {}  # by channel id
        self._by_call: dict[str, _Leg] = {}
        self._stats: dict[str, RollingStats] = {}
        self._timers: set[asyncio.Task[None]] = set()
        # Every originate on the trunk, for its calls-per-second limit.
        self._trunk_starts: deque[datetime] = deque()
        router.on_final(self._call_finished)

    def owns(self, channel_id: str) -> bool:
        return channel_id in self._legs

    async def run(self) -> None:
        while True:
            try:
                for source in self._sources:
                    for plan in await source.running():
                        if plan.mode is not PacingMode.PREVIEW:
                            await self._pace(source, plan)
            except Exception:
                log.exception("dialer_tick_failed")
            await asyncio.sleep(PACE_EVERY_S)

    def _stats_for(self, plan: CampaignPlan) -> RollingStats:
        return self._stats.setdefault(plan.name, RollingStats())

    def snapshot(self, plan: CampaignPlan, now: datetime) -> PacingSnapshot:
        view = self._router.engine.snapshot(now)
        queue = view.queue(plan.queue)
        free = sum(
            1 for op in view.operators
            if plan.queue in op.queues and op.routable and op.state is OperatorState.AVAILABLE
        )  # fmt: skip
        inbound_waiting = sum(1 for c in queue.waiting if c.priority < OUTBOUND_PRIORITY)
        mine = [leg for leg in self._by_call.values() if leg.plan.name == plan.name]
        stats = self._stats_for(plan)
        return PacingSnapshot(
            free_operators=max(0, free - inbound_waiting - plan.inbound_reserve),
            ringing=sum(1 for leg in mine if leg.state in _UNANSWERED),
            waiting=sum(1 for leg in mine if leg.state is DialedState.QUEUED),
            stats=stats.summary(now),
            campaign_load=Load(
                active=len(mine), started_last_second=stats.started_last_second(now)
            ),
            trunk_load=self._trunk_load(now),
        )

    def _trunk_load(self, now: datetime) -> Load:
        while self._trunk_starts and now - self._trunk_starts[0] > timedelta(seconds=1):
            self._trunk_starts.popleft()
        ringing = sum(1 for leg in self._by_call.values() if leg.state in _UNANSWERED)
        # Answered outbound calls are sessions too, so nothing is counted twice; inbound
        # calls use the trunk as well.
        return Load(
            active=len(self._sessions) + ringing, started_last_second=len(self._trunk_starts)
        )

    async def _pace(self, source: LeadSource, plan: CampaignPlan) -> None:
        now = self._router.now()
        config = PacingConfig(
            mode=plan.mode,
            abandon_cap=plan.abandon_cap,
            campaign_limits=plan.limits,
            trunk_limits=plan.trunk_limits,
        )
        decision = decide(self.snapshot(plan, now), config)
        if decision.originate <= 0:
            return
        for lead in await source.claim(plan, now, decision.originate):
            await self._dial(source, plan, lead)

    async def _dial(self, source: LeadSource, plan: CampaignPlan, lead: DialLead) -> None:
        now = self._router.now()
        call_id = str(uuid.uuid4())
        channel_id = f"cr-{uuid.uuid4().hex}"
        attempt_id = await source.started(plan, lead, call_id, now)
        leg = _Leg(source, plan, lead, attempt_id, call_id, channel_id, now)
        self._legs[channel_id] = leg
        self._by_call[call_id] = leg
        session = CallSession(
            call_id=call_id, caller_channel_id=channel_id, queue=plan.queue,
            caller_number=lead.phone, caller_name=lead.name, called_number=lead.phone,
            created_at=now, priority=OUTBOUND_PRIORITY,
        )  # fmt: skip
        self._journal.call_created(session, direction="outbound")
        if plan.campaign_id is not None:
            self._journal.call_update(session, campaign_id=plan.campaign_id, lead_id=lead.lead_id)
        self._stats_for(plan).record(Originated(self._router.now()))
        self._trunk_starts.append(now)
        try:
            # Originated into our application, so its ChannelDestroyed (busy, no
            # answer, ...) reaches us even if it fails at once; once answered it visits
            # the dialplan for answering-machine detection and comes back.
            await self._ari.channels.originate(
                endpoint=plan.trunk.format(number=lead.phone),
                channel_id=channel_id,
                app=self._ari.app,
                app_args=f"dialed,{call_id}",
                caller_id=plan.caller_id or None,
                timeout=plan.ring_timeout_s,
                variables={
                    "CR_CAMPAIGN": plan.name,
                    "CR_LEAD": str(lead.lead_id),
                    "CR_CALL_ID": call_id,
                    "CR_AMD": "1" if plan.amd else "0",
                    # Read by the sample [callrouter-trunk] when dialling via Local/.
                    "CR_OUTBOUND_CID": plan.caller_id,
                },
            )
        except AriError as exc:
            log.warning("outbound_originate_failed", lead=lead.lead_id, error=str(exc))
            await self._end_unanswered(leg, "unreachable", cause=None, detail=str(exc))

    async def on_stasis_start(self, event: StasisStart) -> None:
        leg = self._legs.get(event.channel.id)
        if leg is None or leg.state not in _UNANSWERED:
            with contextlib.suppress(AriError):
                await self._ari.channels.hangup(event.channel.id)
            return
        if event.args[0] == "dialed" and leg.plan.amd:
            # Answered: let the dialplan's AMD() listen, it sends the call back to us.
            leg.state = DIALED_LEG.next(leg.state, DialedInput.ANSWERED_FOR_AMD)
            try:
                await self._ari.channels.continue_in_dialplan(
                    event.channel.id, context=OUTBOUND_CONTEXT, extension="s", priority=1
                )
            except AriError as exc:
                log.warning("amd_unavailable", error=str(exc))
                await self._queue_human(leg)
            return
        amd = await self._amd_status(event) if event.args[0] == "outbound" else ""
        if amd == "MACHINE":
            await self._end_unanswered(leg, "machine", cause=None)
            with contextlib.suppress(AriError):
                await self._ari.channels.hangup(event.channel.id)
            return
        await self._queue_human(leg)

    async def _queue_human(self, leg: _Leg) -> None:
        """A person answered: into the campaign's queue, ahead of every inbound caller."""
        now = self._router.now()
        leg.state = DIALED_LEG.next(leg.state, DialedInput.HUMAN)
        self._stats_for(leg.plan).record(Answered(now, max(timedelta(0), now - leg.started_at)))
        session = CallSession(
            call_id=leg.call_id, caller_channel_id=leg.channel_id, queue=leg.plan.queue,
            caller_number=leg.lead.phone, caller_name=leg.lead.name,
            called_number=leg.lead.phone, created_at=leg.started_at,
            priority=OUTBOUND_PRIORITY, recording_policy=leg.plan.recording,
        )  # fmt: skip
        self._sessions.add(session)
        self._router.apply(
            CallArrived(leg.call_id, leg.plan.queue, now, OUTBOUND_PRIORITY, leg.lead.phone)
        )
        # A timer of its own: sleeping on the call's lane would hold up its ring.
        timer = asyncio.create_task(self._abandon_if_waiting(leg), name=f"abandon:{leg.call_id}")
        self._timers.add(timer)
        timer.add_done_callback(self._timers.discard)

    async def _amd_status(self, event: StasisStart) -> str:
        # Stasis(callrouter,outbound,${AMDSTATUS},...) passes it; ask the channel otherwise.
        if len(event.args) > 1 and event.args[1] and not event.args[1].startswith("$"):
            return event.args[1].upper()
        try:
            return (await self._ari.channels.get_variable(event.channel.id, "AMDSTATUS")).upper()
        except AriError:
            return ""

    async def _abandon_if_waiting(self, leg: _Leg) -> None:
        await asyncio.sleep(self._abandon_after_s)
        session = self._sessions.get(leg.call_id)
        if session is None or session.finished or session.caller_gone:
            return
        answered = any(op.state is OperatorLegState.ANSWERED for op in session.legs.values())
        if session.operator_id is not None or answered:
            return
        log.warning("outbound_abandoned", call_id=leg.call_id, campaign=leg.plan.name)
        self._stats_for(leg.plan).record(Abandoned(self._router.now()))
        session.abandon_message = self._abandon_sound
        self._router.apply(CallerHungUp(leg.call_id, self._router.now()))

    async def channel_gone(self, channel_id: str, cause: int | None) -> None:
        """A customer leg that never reached the queue: busy, no answer, failed."""
        leg = self._legs.get(channel_id)
        if leg is None or leg.state not in _UNANSWERED:
            return
        await self._end_unanswered(
            leg, _OUTCOME_BY_CAUSE.get(cause or 0, "unreachable"), cause=cause
        )

    async def _end_unanswered(
        self, leg: _Leg, outcome: str, *, cause: int | None, detail: str | None = None
    ) -> None:
        leg.state = DIALED_LEG.next(leg.state, DialedInput.ENDED)
        now = self._router.now()
        self._forget(leg)
        self._stats_for(leg.plan).record(Unanswered(now))
        session = CallSession(
            call_id=leg.call_id, caller_channel_id=leg.channel_id, queue=leg.plan.queue,
            caller_number=leg.lead.phone, caller_name=leg.lead.name,
            called_number=leg.lead.phone, created_at=leg.started_at,
        )  # fmt: skip
        values: dict[str, object] = {"outcome": outcome, "ended_at": now}
        if cause is not None:
            values["hangup_cause"] = cause
        if detail:
            values["hangup_cause_txt"] = detail[:500]
        self._journal.call_update(session, **values)
        await leg.source.finished(leg.attempt_id, outcome, hangup_cause=cause, now=now)

    def _forget(self, leg: _Leg) -> None:
        self._legs.pop(leg.channel_id, None)
        self._by_call.pop(leg.call_id, None)

    def _call_finished(self, record: CallRecord, session: CallSession | None) -> None:
        """The ACD gave an answered customer's call its outcome."""
        leg = self._by_call.get(record.call_id)
        if leg is None or DIALED_LEG.final(leg.state):
            return
        leg.state = DIALED_LEG.next(leg.state, DialedInput.ENDED)
        self._forget(leg)
        now = record.ended_at or self._router.now()
        outcome = "connected" if record.outcome == "answered" else "abandoned"
        if record.outcome == "answered" and record.talk_s is not None:
            self._stats_for(leg.plan).record(
                Handled(self._router.now(), timedelta(seconds=record.talk_s))
            )
        self._router.lanes_submit(
            leg.call_id,
            lambda: leg.source.finished(
                leg.attempt_id, outcome, hangup_cause=session.hangup_cause if session else None,
                now=now, operator_id=record.operator_id, wait_s=record.wait_s,
                talk_s=record.talk_s,
            ),
        )  # fmt: skip
