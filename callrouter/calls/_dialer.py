"""The outbound dialer's shell: pace, originate customers, hand answered ones to the ACD.

Progressive and predictive campaigns dial the customer first. The call is originated
into our application (so a busy or unanswered customer is reported to us whatever
happens); once answered it visits the dialplan's ``callrouter-outbound`` context, where
answering-machine detection runs, and comes back with the verdict. A human is then put into the
campaign's queue as a call with top priority, so the ACD's one dispatcher connects it
to the next free operator of that queue: inbound and outbound share operators with no
second routing brain.

The abandon rule is the regulators': a customer not connected to an operator within
the campaign's ``abandon_after_s`` (2 s) *of answering* is abandoned; the clock starts
at the answer, before AMD. They hear the campaign's ``apology_sound`` (checked to exist
on Asterisk at start), the attempt is ``abandoned``, and every node's pacing counts it
(the attempt's ``answered_at`` and outcome in the database). An AMD verdict that comes
back after the deadline is an abandon too: the customer hears the apology at once.

How many to dial is the pure pacing core's decision (``callrouter.dialer.decide``); this
module only measures (free operators, calls ringing, customers waiting, how long busy
operators have been on their calls, rolling answer rate and handle time, every node's
abandons) and carries it out, woken by operators' state changes as well as by a tick.
Preview campaigns dial nothing by themselves: operators call their leads through
click-to-call.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections import deque
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import structlog

from callrouter.acd import (
    CallArrived,
    CallerHungUp,
    CallRecord,
    OperatorState,
    OperatorStateChanged,
)
from callrouter.ari import AriClient, AriError, PlaybackFinished, StasisStart
from callrouter.calls._dialer_apology import Apologies
from callrouter.calls._dialer_plan import CampaignPlan, DialLead, LeadSource
from callrouter.calls._journal import CallJournal
from callrouter.calls._router import Router
from callrouter.calls._sessions import CallSession, SessionRegistry
from callrouter.calls._settings import ReadsSettings, SettingsHolder
from callrouter.dialer import (
    AbandonCounts,
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
# The tick is a backstop: an operator's state change wakes the pacing at once.
PACE_EVERY_S = 1.0
OUTBOUND_CONTEXT = "callrouter-outbound"
# Before this many calls are handled in the window the measured handle time is biased
# short (only short calls have ended), so nobody is dialled ahead for.
DIAL_AHEAD_MIN_HANDLED = 20
_OUTCOME_BY_CAUSE = {17: "busy", 18: "no_answer", 19: "no_answer", 34: "congestion"}
_BUSY = frozenset({OperatorState.ON_CALL, OperatorState.WRAPUP})


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
    answered_at: datetime | None = None
    """When the customer answered: the abandon clock starts here, not after AMD."""


class OutboundDialer(ReadsSettings):
    def __init__(
        self,
        *,
        ari: AriClient,
        router: Router,
        sessions: SessionRegistry,
        journal: CallJournal,
        sources: Sequence[LeadSource],
        settings: SettingsHolder,
    ) -> None:
        self._ari = ari
        self._router = router
        self._sessions = sessions
        self._journal = journal
        self._sources = list(sources)
        self._holder = settings
        self._legs: dict[str, _Leg] = {}  # by channel id
        self._by_call: dict[str, _Leg] = {}
        self._stats: dict[str, RollingStats] = {}
        self._timers: set[asyncio.Task[None]] = set()
        # Every originate on the trunk, for its calls-per-second limit.
        self._trunk_starts: deque[datetime] = deque()
        # Since when each operator has been on a call (or its wrap-up), to dial ahead.
        self._busy_since: dict[str, datetime] = {}
        self.apologies = Apologies(ari=ari, settings=settings)
        self._wake = asyncio.Event()
        self._no_caller_id: set[str] = set()  # warned about once each
        router.on_final(self._call_finished)
        router.on_operator_state(self._operator_state)

    def owns(self, channel_id: str) -> bool:
        return channel_id in self._legs

    async def run(self) -> None:
        await self.apologies.check()
        while True:
            self._wake.clear()
            try:
                for source in self._sources:
                    for plan in await source.running():
                        if plan.mode is not PacingMode.PREVIEW:
                            await self._pace(source, plan)
            except Exception:
                log.exception("dialer_tick_failed")
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(PACE_EVERY_S):
                    await self._wake.wait()

    def _operator_state(self, change: OperatorStateChanged) -> None:
        if change.new in _BUSY:
            self._busy_since.setdefault(change.operator_id, change.at)
        else:
            self._busy_since.pop(change.operator_id, None)
        if change.new is OperatorState.AVAILABLE:
            self._wake.set()  # an operator is free: pace now, not at the next tick

    def _stats_for(self, plan: CampaignPlan) -> RollingStats:
        stats = self._stats.get(plan.name)
        window = timedelta(seconds=plan.abandon_window_s)
        if stats is None or stats.window != window:
            stats = self._stats[plan.name] = RollingStats(window=window)
        return stats

    def snapshot(
        self, plan: CampaignPlan, now: datetime, abandons: AbandonCounts | None = None
    ) -> PacingSnapshot:
        view = self._router.engine.snapshot(now)
        queue = view.queue(plan.queue)
        mine_ops = [op for op in view.operators if plan.queue in op.queues]
        free = sum(
            1 for op in mine_ops if op.routable and op.state is OperatorState.AVAILABLE
        )  # fmt: skip
        busy = [op.operator_id for op in mine_ops if op.state in _BUSY]
        inbound_waiting = sum(1 for c in queue.waiting if c.priority < OUTBOUND_PRIORITY)
        mine = [leg for leg in self._by_call.values() if leg.plan.name == plan.name]
        stats = self._stats_for(plan)
        return PacingSnapshot(
            free_operators=max(0, free - inbound_waiting - plan.inbound_reserve),
            ringing=sum(1 for leg in mine if leg.state in _UNANSWERED),
            waiting=sum(1 for leg in mine if self._waiting(leg)),
            busy_operators=len(busy),
            busy_elapsed=tuple(
                now - self._busy_since[op] for op in busy if op in self._busy_since
            ),
            stats=stats.summary(now),
            abandons=abandons,
            campaign_load=Load(
                active=len(mine), started_last_second=stats.started_last_second(now)
            ),
            trunk_load=self._trunk_load(now),
        )

    def _waiting(self, leg: _Leg) -> bool:
        """Answered, queued, and no operator connected yet (a customer talking to an
        operator is not waiting, though their leg stays queued until the call ends)."""
        if leg.state is not DialedState.QUEUED:
            return False
        session = self._sessions.get(leg.call_id)
        return session is not None and session.operator_id is None and not session.finished

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
        if not plan.caller_id:
            # Customers are never called as "Anonymous" (unlawful for marketing calls
            # in several countries): no caller ID, no call.
            if plan.name not in self._no_caller_id:
                self._no_caller_id.add(plan.name)
                log.error("dialer_no_caller_id", campaign=plan.name,
                          hint="set dialer.caller_id or the campaign's caller_id")  # fmt: skip
            return
        now = self._router.now()
        config = PacingConfig(
            mode=plan.mode,
            abandon_cap=plan.abandon_cap,
            anticipation=1.0 if plan.dial_ahead else 0.0,
            min_handled_for_anticipation=DIAL_AHEAD_MIN_HANDLED,
            campaign_limits=plan.limits,
            trunk_limits=plan.trunk_limits,
        )
        abandons = await source.abandons(plan, now)
        decision = decide(self.snapshot(plan, now, abandons), config)
        if decision.originate <= 0:
            if "cap" in decision.reason:
                log.info("dialer_braking", campaign=plan.name, reason=decision.reason)
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
        session = self._session(leg)
        self._journal.call_created(session, direction="outbound")
        values: dict[str, object] = {"queue_name": plan.queue}
        if plan.campaign_id is not None:
            values.update(campaign_id=plan.campaign_id, lead_id=lead.lead_id)
        self._journal.call_update(session, **values)
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

    @staticmethod
    def _session(leg: _Leg) -> CallSession:
        # The customer is the "caller" of the queue: operators see their number.
        return CallSession(
            call_id=leg.call_id, caller_channel_id=leg.channel_id, queue=leg.plan.queue,
            caller_number=leg.lead.phone, caller_name=leg.lead.name,
            called_number=leg.lead.phone, created_at=leg.started_at,
            priority=OUTBOUND_PRIORITY, recording_policy=leg.plan.recording,
        )  # fmt: skip

    async def on_stasis_start(self, event: StasisStart) -> None:
        leg = self._legs.get(event.channel.id)
        if leg is None or leg.state not in _UNANSWERED:
            with contextlib.suppress(AriError):
                await self._ari.channels.hangup(event.channel.id)
            return
        if leg.answered_at is None:
            # The customer answered now: the regulators' 2 s run from here.
            leg.answered_at = self._router.now()
            self._journal.call_update(self._session(leg), answered_at=leg.answered_at)
            self._later(self._abandon_if_waiting(leg), f"abandon:{leg.call_id}")
        if event.args[0] == "dialed" and leg.plan.amd:
            # Answered: let the dialplan's AMD() listen, it sends the call back to us.
            leg.state = DIALED_LEG.next(leg.state, DialedInput.ANSWERED_FOR_AMD)
            try:
                await self._ari.channels.continue_in_dialplan(
                    event.channel.id, context=OUTBOUND_CONTEXT, extension="s", priority=1
                )
            except AriError as exc:
                log.warning("amd_unavailable", error=str(exc))
                await self._human(leg)
            return
        amd = await self._amd_status(event) if event.args[0] == "outbound" else ""
        if amd == "MACHINE":
            await self._end_unanswered(leg, "machine", cause=None)
            with contextlib.suppress(AriError):
                await self._ari.channels.hangup(event.channel.id)
            return
        await self._human(leg)

    def _later(self, work: Coroutine[Any, Any, None], name: str) -> None:
        # A timer of its own: sleeping on the call's lane would hold up its ring.
        timer = asyncio.create_task(work, name=name)
        self._timers.add(timer)
        timer.add_done_callback(self._timers.discard)

    def _deadline(self, leg: _Leg) -> datetime:
        assert leg.answered_at is not None
        return leg.answered_at + timedelta(seconds=leg.plan.abandon_after_s)

    async def _human(self, leg: _Leg) -> None:
        """A person answered: into the campaign's queue, ahead of every inbound caller;
        or, past the deadline already (AMD took longer), the apology at once."""
        now = self._router.now()
        leg.state = DIALED_LEG.next(leg.state, DialedInput.HUMAN)
        stats = self._stats_for(leg.plan)
        # Ring plus AMD: how long a line dialled now takes to need an operator.
        stats.record(Answered(now, max(timedelta(0), now - leg.started_at)))
        assert leg.answered_at is not None
        answered_at = leg.answered_at
        self._router.lanes_submit(
            leg.call_id, lambda: leg.source.answered(leg.attempt_id, answered_at)
        )
        if now >= self._deadline(leg):
            log.warning(
                "outbound_amd_past_abandon_limit", call_id=leg.call_id, campaign=leg.plan.name,
                amd_s=round((now - answered_at).total_seconds(), 3),
                limit_s=leg.plan.abandon_after_s,
            )  # fmt: skip
            await self._apologise_unqueued(leg)
            return
        session = self._session(leg)
        self._sessions.add(session)
        self._router.apply(
            CallArrived(leg.call_id, leg.plan.queue, now, OUTBOUND_PRIORITY, leg.lead.phone)
        )

    async def _amd_status(self, event: StasisStart) -> str:
        # Stasis(callrouter,outbound,${AMDSTATUS},...) passes it; ask the channel otherwise.
        if len(event.args) > 1 and event.args[1] and not event.args[1].startswith("$"):
            return event.args[1].upper()
        try:
            return (await self._ari.channels.get_variable(event.channel.id, "AMDSTATUS")).upper()
        except AriError:
            return ""

    async def _abandon_if_waiting(self, leg: _Leg) -> None:
        delay = (self._deadline(leg) - self._router.now()).total_seconds()
        await asyncio.sleep(max(0.0, delay))
        session = self._sessions.get(leg.call_id)
        if session is None or session.finished or session.caller_gone:
            return  # still in AMD (``_human`` decides), or gone
        answered = any(op.state is OperatorLegState.ANSWERED for op in session.legs.values())
        if session.operator_id is not None or answered:
            return
        self._log_abandon(leg)
        self._stats_for(leg.plan).record(Abandoned(self._router.now()))
        session.abandon_message = leg.plan.apology_sound
        self._router.apply(CallerHungUp(leg.call_id, self._router.now()))

    def _log_abandon(self, leg: _Leg) -> None:
        log.warning(
            "outbound_abandoned", call_id=leg.call_id, campaign=leg.plan.name,
            apology=leg.plan.apology_sound, limit_s=leg.plan.abandon_after_s,
        )  # fmt: skip

    async def _apologise_unqueued(self, leg: _Leg) -> None:
        """Abandoned before reaching the queue: the dialer plays the apology itself
        (the queue never saw the call) and hangs up when it ends."""
        self._log_abandon(leg)
        now = self._router.now()
        leg.state = DIALED_LEG.next(leg.state, DialedInput.ENDED)
        self._forget(leg)
        self._stats_for(leg.plan).record(Abandoned(now))
        self._journal.call_update(self._session(leg), outcome="abandoned", ended_at=now)
        await self.apologies.play_then_hang_up(
            leg.channel_id, leg.plan.apology_sound, call_id=leg.call_id
        )
        await leg.source.finished(
            leg.attempt_id, "abandoned", hangup_cause=None, now=now, answered_at=leg.answered_at
        )

    async def on_playback_finished(self, event: PlaybackFinished) -> None:
        await self.apologies.on_playback_finished(event)

    async def channel_gone(self, channel_id: str, cause: int | None) -> None:
        """A customer leg that never reached the queue: busy, no answer, failed, or a
        customer who hung up during AMD."""
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
        values: dict[str, object] = {"outcome": outcome, "ended_at": now}
        if cause is not None:
            values["hangup_cause"] = cause
        if detail:
            values["hangup_cause_txt"] = detail[:500]
        self._journal.call_update(self._session(leg), **values)
        await leg.source.finished(
            leg.attempt_id, outcome, hangup_cause=cause, now=now, answered_at=leg.answered_at
        )

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
        if session is not None and session.abandon_message:
            # The core has decided: the operator rings it now cancels (on the call's
            # lane, after this) were cut short by our abandon, not left unanswered.
            session.finished = True
        if record.outcome == "answered" and record.talk_s is not None:
            queue = self._settings.queues.get(leg.plan.queue)
            wrapup = queue.wrapup_s if queue is not None else 0.0
            self._stats_for(leg.plan).record(
                Handled(self._router.now(), timedelta(seconds=record.talk_s + wrapup))
            )
        self._router.lanes_submit(
            leg.call_id,
            lambda: leg.source.finished(
                leg.attempt_id, outcome, hangup_cause=session.hangup_cause if session else None,
                now=now, operator_id=record.operator_id, wait_s=record.wait_s,
                talk_s=record.talk_s, answered_at=leg.answered_at,
                recording=session.recording_name if session else None,
            ),
        )  # fmt: skip
