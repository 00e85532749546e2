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
import time
import uuid
from datetime import datetime, timedelta

import structlog

from callrouter.acd import (
    ANSWER_DEADLINE,
    RESERVATION_REASON,
    CallRecord,
    OperatorState,
    OperatorStateChanged,
    OperatorUnpaused,
)
from callrouter.ari import AriError
from callrouter.calls._dialer_answers import AnsweredCustomers
from callrouter.calls._dialer_legs import UNANSWERED, DialedLeg
from callrouter.calls._dialer_plan import CampaignPlan, DialLead, LeadSource, pacing_config
from callrouter.calls._sessions import CallSession
from callrouter.dialer import (
    OUTBOUND_PRIORITY,
    AbandonCounts,
    Handled,
    PacingMode,
    PacingSnapshot,
    Unanswered,
    decide,
)
from callrouter.dialer.store import outcome_of_call
from callrouter.legs import DIALED_LEG, DialedInput
from callrouter.store import DB_ERRORS

__all__ = ["OUTBOUND_PRIORITY", "OutboundDialer"]

log = structlog.get_logger(__name__)

# The tick is a backstop: an operator's state change wakes the pacing at once.
PACE_EVERY_S = 0.25
# How soon a campaign started while nothing ran begins dialling, at the latest.
IDLE_RECHECK_S = 2.0
EXPIRE_CLAIMS_EVERY_S = 60.0
_OUTCOME_BY_CAUSE = {17: "busy", 18: "no_answer", 19: "no_answer", 34: "congestion"}


class OutboundDialer(AnsweredCustomers):
    def owns(self, channel_id: str) -> bool:
        return self._book.by_channel(channel_id) is not None

    async def run(self) -> None:
        await self.apologies.check()
        try:
            await self.recover()
        except Exception:
            # A database hiccup must not stop dialling; expiry settles what is left.
            log.exception("dialer_recovery_failed")
        expire_at = self._router.now()
        # A source with nothing running is asked again only every IDLE_RECHECK_S, not on
        # every tick and every operator freed: an idle dialer cost a read transaction
        # per source four times a second (bench/bench_routing.py at a low rate).
        # Wall time, not the router's clock: a polling cadence, and a test's clock may stand.
        idle_until: dict[int, float] = {}
        while True:
            self._wake.clear()
            try:
                now = self._router.now()
                for index, source in enumerate(self._sources):
                    if now >= expire_at:
                        await source.expire_claims(now)
                    if time.monotonic() < idle_until.get(index, 0.0):
                        continue
                    plans = await source.running()
                    if plans:
                        idle_until.pop(index, None)
                    else:
                        idle_until[index] = time.monotonic() + IDLE_RECHECK_S
                    for plan in plans:
                        if plan.mode is not PacingMode.PREVIEW:
                            await self._pace(source, plan)
                        elif now >= expire_at:
                            await source.finish_if_done(plan)  # nobody paces previews
                if now >= expire_at:
                    expire_at = now + timedelta(seconds=EXPIRE_CLAIMS_EVERY_S)
            except DB_ERRORS as exc:
                # PostgreSQL away: one line, not a traceback four times a second.
                log.warning("dialer_tick_db_unavailable", error=str(exc))
            except Exception:
                log.exception("dialer_tick_failed")
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(PACE_EVERY_S):
                    await self._wake.wait()

    async def recover(self) -> None:
        """After a start (recovery has restored the calls Asterisk still holds): every
        attempt this node left open is re-attached to its channel if Asterisk still has
        it, else closed with its call row's outcome or ``lost`` (the lead rescheduled by
        its retry rules); then the leads this node claimed and never dialled go back."""
        now = self._router.now()
        try:
            channels = {channel.id: channel for channel in await self._ari.channels.list()}
        except AriError as exc:
            log.warning("dialer_recovery_postponed", error=str(exc))
            return
        for source in self._sources:
            for attempt in await source.open_attempts():
                plan = await source.plan_named(attempt.campaign)
                leg = self._book.reattach(source, plan, attempt, channels, now) if plan else None
                if leg is not None:
                    log.info("attempt_reattached", attempt=attempt.id, call_id=leg.call_id,
                             state=str(leg.state))  # fmt: skip
                    self._restore_deadline(leg)
                else:
                    outcome = outcome_of_call(attempt.call_outcome)
                    log.warning("attempt_closed_after_restart", attempt=attempt.id,
                                lead=attempt.lead_id, outcome=str(outcome))  # fmt: skip
                    await source.finished(
                        attempt.id, outcome, hangup_cause=None, now=now,
                        answered_at=attempt.answered_at,
                    )  # fmt: skip
            released = await source.release_claims(now)
            if released:
                log.info("lead_claims_released", count=released)

    def _operator_state(self, change: OperatorStateChanged) -> None:
        self._book.operator_state(change)
        if change.new is OperatorState.AVAILABLE:
            self._wake.set()  # an operator is free: pace now, not at the next tick

    def snapshot(
        self, plan: CampaignPlan, now: datetime, abandons: AbandonCounts | None = None
    ) -> PacingSnapshot:
        return self._book.snapshot(plan, now, self._router.engine.snapshot(now), abandons)

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
        abandons = await source.abandons(plan, now)
        decision = decide(self.snapshot(plan, now, abandons), pacing_config(plan))
        if decision.originate <= 0:
            if "cap" in decision.reason:
                log.info("dialer_braking", campaign=plan.name, reason=decision.reason)
            return
        claimed = await source.claim(plan, now, decision.originate)
        for lead in claimed:
            await self._dial(source, plan, lead)
        if not claimed and not any(leg.plan.name == plan.name for leg in self._book.legs()):
            await source.finish_if_done(plan)

    def trunk_has_room(self, plan: CampaignPlan) -> bool:
        return self._book.trunk_has_room(plan.trunk_limits, self._router.now())

    async def dial_reserved(
        self, source: LeadSource, plan: CampaignPlan, lead: DialLead, operator_id: str
    ) -> None:
        """Dial a callback's customer for whom the routing core reserved ``operator_id``
        (paused, see ``acd/_callback_places``): the operator is released once the customer
        is in the queue, so they take them, or once the customer was not reached."""
        await self._dial(source, plan, lead, reserved_operator=operator_id)

    def release_reservation(self, operator_id: str) -> None:
        """Back to routing, if still paused for the reservation (not since paused by
        someone, or logged out)."""
        view = next(
            (o for o in self._router.engine.snapshot().operators if o.operator_id == operator_id),
            None,
        )
        if (
            view is not None
            and view.state is OperatorState.PAUSED
            and view.pause_reason == RESERVATION_REASON
        ):
            self._router.apply(OperatorUnpaused(operator_id, self._router.now()))

    def _release(self, leg: DialedLeg) -> None:
        if leg.reserved_operator is not None:
            operator_id, leg.reserved_operator = leg.reserved_operator, None
            self.release_reservation(operator_id)

    async def _dial(
        self, source: LeadSource, plan: CampaignPlan, lead: DialLead,
        reserved_operator: str | None = None,
    ) -> None:  # fmt: skip
        now = self._router.now()
        call_id = str(uuid.uuid4())
        channel_id = f"cr-{uuid.uuid4().hex}"
        leg = DialedLeg(source, plan, lead, 0, call_id, channel_id, now)
        leg.reserved_operator = reserved_operator
        try:
            leg.attempt_id = await source.started(plan, lead, call_id, now)
        except BaseException:
            self._release(leg)
            raise
        self._book.add(leg)
        session = self._session(leg)
        self._journal.call_created(session, direction="outbound")
        values: dict[str, object] = {"queue_name": plan.queue}
        if plan.campaign_id is not None:
            values.update(campaign_id=plan.campaign_id, lead_id=lead.lead_id)
        self._journal.call_update(session, **values)
        self._book.originated(plan, self._router.now())
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

    async def channel_gone(self, channel_id: str, cause: int | None) -> None:
        """A customer leg that never reached the queue: busy, no answer, failed, or a
        customer who hung up during AMD."""
        leg = self._book.by_channel(channel_id)
        if leg is None or leg.state not in UNANSWERED:
            return
        await self._end_unanswered(
            leg, _OUTCOME_BY_CAUSE.get(cause or 0, "unreachable"), cause=cause
        )

    async def _end_unanswered(
        self, leg: DialedLeg, outcome: str, *, cause: int | None, detail: str | None = None
    ) -> None:
        leg.state = DIALED_LEG.next(leg.state, DialedInput.ENDED)
        now = self._router.now()
        self._book.forget(leg)
        self._release(leg)
        self._book.stats_for(leg.plan).record(Unanswered(now))
        values: dict[str, object] = {"outcome": outcome, "ended_at": now}
        if cause is not None:
            values["hangup_cause"] = cause
        if detail:
            values["hangup_cause_txt"] = detail[:500]
        self._journal.call_update(self._session(leg), **values)
        await leg.source.finished(
            leg.attempt_id, outcome, hangup_cause=cause, now=now, answered_at=leg.answered_at
        )

    def _call_finished(self, record: CallRecord, session: CallSession | None) -> None:
        """The ACD gave an answered customer's call its outcome."""
        leg = self._book.by_call(record.call_id)
        if leg is None or DIALED_LEG.final(leg.state):
            return
        leg.state = DIALED_LEG.next(leg.state, DialedInput.ENDED)
        self._book.forget(leg)
        now = record.ended_at or self._router.now()
        outcome = "connected" if record.outcome == "answered" else "abandoned"
        if record.reason == ANSWER_DEADLINE:
            self._abandoned(leg, session)
        if record.outcome == "answered" and record.talk_s is not None:
            queue = self._settings.queues.get(leg.plan.queue)
            wrapup = queue.wrapup_s if queue is not None else 0.0
            self._book.stats_for(leg.plan).record(
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
