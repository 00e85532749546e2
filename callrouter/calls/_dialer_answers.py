"""The dialer's state, and what happens to a customer who answers: answering-machine
detection in the dialplan, then the hand-over to the campaign's queue with the abandon
deadline, which the ACD core keeps (``CallArrived.answer_by``: the core abandons the
customer with the apology if no operator answered by then).
:class:`callrouter.calls._dialer.OutboundDialer` adds the pacing, the originates and the
ends of attempts."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from datetime import datetime, timedelta

import structlog

from callrouter.acd import AnswerDeadlineSet, CallArrived, CallRecord, OperatorStateChanged
from callrouter.ari import AriClient, AriError, StasisStart
from callrouter.calls._dialer_apology import Apologies
from callrouter.calls._dialer_legs import UNANSWERED, DialedLeg, DialedLegs
from callrouter.calls._dialer_plan import LeadSource
from callrouter.calls._journal import CallJournal
from callrouter.calls._router import Router
from callrouter.calls._sessions import CallSession, SessionRegistry
from callrouter.calls._settings import ReadsSettings, SettingsHolder
from callrouter.dialer import OUTBOUND_PRIORITY, Abandoned, Answered
from callrouter.errors import DomainError
from callrouter.legs import DIALED_LEG, DialedInput

__all__ = ["OUTBOUND_CONTEXT", "AnsweredCustomers"]

log = structlog.get_logger(__name__)

OUTBOUND_CONTEXT = "callrouter-outbound"


class AnsweredCustomers(ReadsSettings):
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
        self._book = DialedLegs(sessions)
        self.apologies = Apologies(ari=ari, settings=settings)
        self._wake = asyncio.Event()
        self._no_caller_id: set[str] = set()  # warned about once each
        router.on_final(self._call_finished)
        router.on_operator_state(self._operator_state)

    @staticmethod
    def _session(leg: DialedLeg) -> CallSession:
        # The customer is the "caller" of the queue: operators see their number.
        return CallSession(
            call_id=leg.call_id, caller_channel_id=leg.channel_id, queue=leg.plan.queue,
            caller_number=leg.lead.phone, caller_name=leg.lead.name,
            called_number=leg.lead.phone, created_at=leg.started_at,
            priority=OUTBOUND_PRIORITY, recording_policy=leg.plan.recording,
        )  # fmt: skip

    async def on_stasis_start(self, event: StasisStart) -> None:
        leg = self._book.by_channel(event.channel.id)
        if leg is None or leg.state not in UNANSWERED:
            with contextlib.suppress(AriError):
                await self._ari.channels.hangup(event.channel.id)
            return
        if leg.answered_at is None:
            # The customer answered now: the regulators' 2 s run from here.
            leg.answered_at = self._router.now()
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

    def _deadline(self, leg: DialedLeg) -> datetime:
        assert leg.answered_at is not None
        return leg.answered_at + timedelta(seconds=leg.plan.abandon_after_s)

    async def _human(self, leg: DialedLeg) -> None:
        """A person answered: into the campaign's queue, ahead of every inbound caller,
        with the deadline by which an operator must answer them (the core abandons them
        at once if AMD took that long)."""
        now = self._router.now()
        leg.state = DIALED_LEG.next(leg.state, DialedInput.HUMAN)
        stats = self._book.stats_for(leg.plan)
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
        self._sessions.add(self._session(leg))
        self._router.apply(
            CallArrived(
                leg.call_id,
                leg.plan.queue,
                now,
                OUTBOUND_PRIORITY,
                leg.lead.phone,
                recording=leg.plan.recording,
                answer_by=self._deadline(leg),
                apology_sound=leg.plan.apology_sound,
            )
        )
        # In line first, then the reserved operator freed: the customer is the best call
        # they may take (unless another operator took them already).
        self._release(leg)

    async def _amd_status(self, event: StasisStart) -> str:
        # Stasis(callrouter,outbound,${AMDSTATUS},...) passes it; ask the channel otherwise.
        if len(event.args) > 1 and event.args[1] and not event.args[1].startswith("$"):
            return event.args[1].upper()
        try:
            return (await self._ari.channels.get_variable(event.channel.id, "AMDSTATUS")).upper()
        except AriError:
            return ""

    def _abandoned(self, leg: DialedLeg, session: CallSession | None) -> None:
        """The core abandoned the customer at their deadline (``ANSWER_DEADLINE``)."""
        log.warning(
            "outbound_abandoned", call_id=leg.call_id, campaign=leg.plan.name,
            apology=leg.plan.apology_sound, limit_s=leg.plan.abandon_after_s,
        )  # fmt: skip
        self._book.stats_for(leg.plan).record(Abandoned(self._router.now()))
        if session is not None:
            # The operator rings the core cancels (on the call's lane, after this) were
            # cut short by the abandon, not left unanswered.
            session.finished = True

    def _restore_deadline(self, leg: DialedLeg) -> None:
        """A customer answered before a restart and restored into the queue keeps the
        deadline they had."""
        if leg.answered_at is None or self._sessions.get(leg.call_id) is None:
            return
        with contextlib.suppress(DomainError):  # connected already, or not in the ACD
            self._router.apply(
                AnswerDeadlineSet(
                    leg.call_id, self._deadline(leg), leg.plan.apology_sound, self._router.now()
                )
            )

    def _call_finished(self, record: CallRecord, session: CallSession | None) -> None:
        """The ACD gave an answered customer's call its outcome: the dialer's side."""
        raise NotImplementedError

    def _operator_state(self, change: OperatorStateChanged) -> None:
        """An operator's state changed: the dialer's side (pacing wakes up)."""
        raise NotImplementedError

    def _release(self, leg: DialedLeg) -> None:
        """Give back what was held for the leg: the dialer's side (``_dialer``)."""
        raise NotImplementedError

    async def _end_unanswered(
        self, leg: DialedLeg, outcome: str, *, cause: int | None, detail: str | None = None
    ) -> None:
        """A customer who never reached the queue: the dialer's side (``_dialer``)."""
        raise NotImplementedError
