"""ARI events -> domain events for the routing core.

The table of contents of what callrouter reacts to is :meth:`StasisHandlers.subscribe`.
Each handler runs in its channel's order (the ARI client's dispatcher guarantees it)
and translates; decisions stay in the core.

Channels enter our application three ways, told apart by the Stasis arguments:
``inbound,<queue or DID>`` from the dialplan, ``operator,<call id>,<operator>`` for the
legs we originate to operators (StasisStart means the operator answered), and
``outbound,...`` for the dialer's customer legs.
"""

from __future__ import annotations

import asyncpg
import structlog

from callrouter.acd import (
    CallbackRequested,
    CallCompleted,
    CallerHungUp,
    OfferAnswered,
    OfferFailed,
    OperatorEndpointOffline,
    OperatorEndpointOnline,
    offer_failure_for_cause,
)
from callrouter.ari import (
    AriClient,
    AriError,
    ChannelDestroyed,
    ChannelDtmfReceived,
    ChannelHangupRequest,
    EndpointStateChange,
    PlaybackFinished,
    RecordingFailed,
    RecordingFinished,
    StasisEnd,
    StasisStart,
)
from callrouter.calls._actions import CommandExecutor
from callrouter.calls._arrivals import InboundArrivals
from callrouter.calls._click_to_call import ClickToCall
from callrouter.calls._dialer import OutboundDialer
from callrouter.calls._journal import CallJournal
from callrouter.calls._router import Router
from callrouter.calls._sessions import SessionRegistry
from callrouter.calls._settings import Derived, ReadsSettings, SettingsHolder
from callrouter.legs import OPERATOR_LEG, OperatorLegInput, OperatorLegState

__all__ = ["StasisHandlers"]

log = structlog.get_logger(__name__)

NORMAL_CLEARING = 16
# Stasis arguments of the legs call control originates (calls/_transfers, _monitoring).
CALL_CONTROL_KINDS = frozenset({"consult", "snoop"})


class StasisHandlers(ReadsSettings):
    def __init__(
        self,
        *,
        ari: AriClient,
        router: Router,
        sessions: SessionRegistry,
        executor: CommandExecutor,
        journal: CallJournal,
        pool: asyncpg.Pool,
        settings: SettingsHolder,
        clicks: ClickToCall | None = None,
        dialer: OutboundDialer | None = None,
    ) -> None:
        self._ari = ari
        self._router = router
        self._sessions = sessions
        self._executor = executor
        self._journal = journal
        self._pool = pool
        self._holder = settings
        self._clicks = clicks
        self.dialer = dialer
        self._arrivals = InboundArrivals(
            router=router, sessions=sessions, journal=journal, pool=pool, settings=settings
        )
        self._operators_by_endpoint = Derived(
            settings,
            lambda s: {op.endpoint.lower(): op_id for op_id, op in s.operators.items()},
        )

    def subscribe(self) -> None:
        """Everything callrouter reacts to, registered before the WebSocket connects."""
        self._ari.on(StasisStart, self.on_stasis_start)
        self._ari.on(StasisEnd, self.on_stasis_end)
        self._ari.on(ChannelHangupRequest, self.on_hangup_request)
        self._ari.on(ChannelDestroyed, self.on_channel_destroyed)
        self._ari.on(ChannelDtmfReceived, self.on_dtmf)
        self._ari.on(PlaybackFinished, self.on_playback_finished)
        self._ari.on(RecordingFinished, self.on_recording_finished)
        self._ari.on(RecordingFailed, self.on_recording_failed)
        self._ari.on(EndpointStateChange, self.on_endpoint_state)

    # -- channels entering and leaving ------------------------------------------------

    async def on_stasis_start(self, event: StasisStart) -> None:
        kind = event.args[0] if event.args else ""
        if kind == "inbound":
            await self._inbound(event)
        elif kind == "operator":
            self._operator_answered(event)
        elif kind in ("dialed", "outbound") and self.dialer is not None:
            await self.dialer.on_stasis_start(event)
        elif kind == "click" and self._clicks is not None:
            await self._clicks.on_stasis_start(event)
        elif kind in CALL_CONTROL_KINDS:
            return  # consult and snoop legs: call control subscribes its own StasisStart
        else:
            log.warning("stasis_unknown_arguments", channel=event.channel.id, args=event.args)
            await self._hangup(event.channel.id)

    def queue_for(self, target: str, exten: str) -> str | None:
        return self._arrivals.queue_for(target, exten)

    async def _inbound(self, event: StasisStart) -> None:
        channel = event.channel
        if self._sessions.by_caller_channel(channel.id) is not None:
            return  # seen before a reconnect: already ours
        target = event.args[1] if len(event.args) > 1 else ""
        if await self._arrivals.arrive(channel, target) is None:
            await self._hangup(channel.id, reason="unallocated")

    def _operator_answered(self, event: StasisStart) -> None:
        leg = self._sessions.leg(event.channel.id)
        if leg is None or not OPERATOR_LEG.allows(leg.state, OperatorLegInput.ANSWER):
            log.info("operator_leg_not_wanted", channel=event.channel.id)
            self._executor_hangup_later(event.channel.id)
            return
        leg.state = OPERATOR_LEG.next(leg.state, OperatorLegInput.ANSWER)
        self._router.apply(OfferAnswered(leg.call_id, leg.operator_id, self._router.now()))

    def _executor_hangup_later(self, channel_id: str) -> None:
        self._router.lanes_submit(channel_id, lambda: self._hangup(channel_id))

    async def on_stasis_end(self, event: StasisEnd) -> None:
        if self._clicks is not None and self._clicks.owns(event.channel.id):
            await self._clicks.channel_gone(event.channel.id, None)
            return
        self.channel_gone(event.channel.id)

    async def _dialer_leg_gone(self, channel_id: str, cause: int | None) -> bool:
        """A dialled customer who never reached the queue (busy, no answer, ...)."""
        if self.dialer is None or not self.dialer.owns(channel_id):
            return False
        if self._sessions.by_caller_channel(channel_id) is not None:
            return False  # answered and queued: handled as any caller
        await self.dialer.channel_gone(channel_id, cause)
        return True

    async def on_channel_destroyed(self, event: ChannelDestroyed) -> None:
        if self._clicks is not None and self._clicks.owns(event.channel.id):
            await self._clicks.channel_gone(event.channel.id, event.cause)
            return
        if await self._dialer_leg_gone(event.channel.id, event.cause):
            return
        leg = self._sessions.leg(event.channel.id)
        if leg is not None and leg.state is OperatorLegState.RINGING:
            # Never answered: busy, rejected or unreachable, by Asterisk's cause.
            self._sessions.drop_leg(leg)
            reason = offer_failure_for_cause(event.cause)
            session = self._sessions.get(leg.call_id)
            if session is not None:
                self._journal.event(
                    session, self._router.now(), "RINGNOANSWER",
                    operator_id=leg.operator_id, cause=event.cause,
                )  # fmt: skip
            self._router.apply(
                OfferFailed(leg.call_id, leg.operator_id, reason, self._router.now())
            )
            return
        session = self._sessions.by_caller_channel(event.channel.id)
        if session is None:
            # The call's row was finished before Asterisk destroyed the channel (it often
            # is): the cause still belongs on it.
            self._journal.late_hangup_cause(event.channel.id, event.cause)
        elif session.hangup_cause is None:
            session.hangup_cause = event.cause
        self.channel_gone(event.channel.id)

    def channel_gone(self, channel_id: str) -> None:
        """A channel left our application (hangup, or a hangup missed during a gap)."""
        now = self._router.now()
        session = self._sessions.by_caller_channel(channel_id)
        if session is not None:
            if session.caller_gone or session.finished:
                return
            session.caller_gone = True
            if session.operator_id is not None:
                session.ended_by = "caller"
                self._router.apply(CallCompleted(session.call_id, now))
            else:
                self._router.apply(CallerHungUp(session.call_id, now))
            return
        leg = self._sessions.leg(channel_id)
        if leg is None:
            return
        previous = leg.state
        if not OPERATOR_LEG.allows(previous, OperatorLegInput.HANGUP):
            return  # its hangup was handled already (StasisEnd, then ChannelDestroyed)
        leg.state = OPERATOR_LEG.next(previous, OperatorLegInput.HANGUP)
        self._sessions.drop_leg(leg)
        session = self._sessions.get(leg.call_id)
        if session is None or session.finished:
            return
        if previous is OperatorLegState.ANSWERED and session.operator_id == leg.operator_id:
            session.ended_by = "operator"
            self._router.apply(CallCompleted(session.call_id, now))
        elif previous is OperatorLegState.ANSWERED:
            # Answered, but the core had not connected it yet (ring-all race lost).
            self._router.apply(OfferFailed(leg.call_id, leg.operator_id, "rejected", now))
        elif previous is OperatorLegState.RINGING:
            self._router.apply(OfferFailed(leg.call_id, leg.operator_id, "unreachable", now))

    async def on_hangup_request(self, event: ChannelHangupRequest) -> None:
        session = self._sessions.by_caller_channel(event.channel.id)
        if session is None or event.soft:
            return  # a soft request's cause is a flag (32: our DELETE), not a Q.850 code
        # A SIP BYE's request carries no cause at all; Asterisk's ChannelDestroyed for
        # it, when it comes, says 16 Normal Clearing (ari-captures/sip).
        session.hangup_cause = event.cause if event.cause is not None else NORMAL_CLEARING

    # -- keys, media, endpoints -----------------------------------------------------------

    async def on_dtmf(self, event: ChannelDtmfReceived) -> None:
        session = self._sessions.by_caller_channel(event.channel.id)
        if session is None or session.operator_id is not None or session.finished:
            return
        queue = self._settings.queues.get(session.queue)
        if queue is not None and queue.callback_key and event.digit == queue.callback_key:
            session.exit_key = event.digit  # logged with the call's exit (EXITWITHKEY)
            self._router.apply(CallbackRequested(session.call_id, self._router.now()))

    async def on_playback_finished(self, event: PlaybackFinished) -> None:
        entry = self._executor.playbacks.get(event.playback.id)
        if entry is not None:
            self._router.lanes_submit(
                entry[0], lambda: self._executor.playback_finished(event.playback.id)
            )

    async def on_recording_finished(self, event: RecordingFinished) -> None:
        name = event.recording.name
        self._executor.recordings.pop(name, None)
        duration = float(event.recording.duration) if event.recording.duration is not None else None
        self._journal.recording_changed(
            name, "done", ended_at=self._router.now(), duration_s=duration
        )

    async def on_recording_failed(self, event: RecordingFailed) -> None:
        name = event.recording.name
        self._executor.recordings.pop(name, None)
        cause = event.recording.cause or "recording failed"
        self._journal.recording_changed(name, "failed", ended_at=self._router.now(), error=cause)

    async def on_endpoint_state(self, event: EndpointStateChange) -> None:
        endpoint = f"{event.endpoint.technology}/{event.endpoint.resource}".lower()
        operator_id = self._operators_by_endpoint.get().get(endpoint)
        if operator_id is None:
            return
        online = (event.endpoint.state or "online") != "offline"
        change = OperatorEndpointOnline if online else OperatorEndpointOffline
        self._router.apply(change(operator_id, self._router.now()))

    async def _hangup(self, channel_id: str, *, reason: str = "normal") -> None:
        try:
            await self._ari.channels.hangup(channel_id, reason=reason)  # type: ignore[arg-type]
        except AriError as exc:
            log.info("hangup_refused", channel=channel_id, error=str(exc))
