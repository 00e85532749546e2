"""Carry out the routing core's commands against Asterisk, one call's commands in order.

Every method here runs on the call's serial lane (see ``_serial``). Asterisk answering
404 or 422 for a channel that just hung up is an everyday race, not a crash: the
channel's own events tell the core what happened, so such errors are logged and dropped.
A failure that the core must hear about (an operator's phone that cannot be reached) is
posted to the inbox (``_inbox``) as an event; the executor never calls the core.
"""

from __future__ import annotations

import asyncio
import math
import re
import uuid

import structlog

from callrouter.acd import (
    CancelRing,
    ConnectCall,
    OfferFailed,
    RingOperator,
)
from callrouter.ari import AriError, AriHttpError
from callrouter.calls._caller_actions import CallerActions
from callrouter.calls._sessions import (
    CallSession,
    OperatorLeg,
    end_recording_part,
    recording_part_name,
)
from callrouter.legs import OPERATOR_LEG, OperatorLegInput

__all__ = ["CommandExecutor"]

log = structlog.get_logger(__name__)

# Asterisk's own originate timeout is set past the core's ring timeout: the core
# decides when ringing stops (and cancels the leg), Asterisk's is only a backstop.
RING_TIMEOUT_BACKSTOP_S = 10
_CALLER_ID_UNSAFE = re.compile(r'["<>\\\r\n]')


def _bridge_id(call_id: str) -> str:
    # Named after the call: a restart finds it (409 on create) and uses it.
    return f"cr-{call_id}"


def _caller_id(name: str, number: str) -> str:
    # Asterisk parses callerId as `"name" <number>`: quotes or brackets inside the name
    # would make it misparse, so they are dropped here (the database keeps them).
    clean_name = _CALLER_ID_UNSAFE.sub("", name).strip()
    clean_number = _CALLER_ID_UNSAFE.sub("", number).strip()
    return f'"{clean_name}" <{clean_number}>' if clean_name else f"<{clean_number}>"


class CommandExecutor(CallerActions):
    """Carries out every command: the caller's side (``_caller_actions``) and the
    operator's, below."""

    # -- the operator's side ------------------------------------------------------------

    async def _RingOperator(self, cmd: RingOperator, session: CallSession | None) -> None:
        if session is None:
            return
        if self._claims is not None and not await self._claims.claim(cmd.operator_id):
            log.info("operator_claimed_elsewhere", operator=cmd.operator_id)
            self._post(OfferFailed(cmd.call_id, cmd.operator_id, "busy", self._clock.now()))
            return
        channel_id = f"cr-{uuid.uuid4().hex}"
        leg = OperatorLeg(channel_id=channel_id, operator_id=cmd.operator_id, call_id=cmd.call_id)
        self._sessions.add_leg(leg)
        # The screen pop is published before the ring, not after: a kill during the
        # originate must not leave a ring the CRM never heard of. It carries the card:
        # a caller routed before their lookup finished (calls/_arrivals.py) waits for
        # the rest of it here, bounded, and only when a CRM is there to hear of it.
        lookup = session.card_lookup
        if lookup is not None and not lookup.done() and self._journal.crm.publishes:
            await asyncio.shield(lookup)
        self._journal.crm.offered(session, cmd.operator_id, self._clock.now())
        ring = self._ari.channels.originate(
            endpoint=cmd.endpoint,
            channel_id=channel_id,
            app=self._ari.app,
            app_args=f"operator,{cmd.call_id},{cmd.operator_id}",
            caller_id=_caller_id(session.caller_name, session.caller_number),
            timeout=math.ceil(cmd.timeout_s) + RING_TIMEOUT_BACKSTOP_S,
            variables={"CR_CALL_ID": cmd.call_id, "CR_QUEUE": session.queue},
        )
        try:
            await ring  # first, and alone: nothing of this call goes out before the ring
        except AriError as exc:
            log.warning("operator_unreachable", operator=cmd.operator_id, error=str(exc))
            self._sessions.drop_leg(leg)
            self._post(OfferFailed(cmd.call_id, cmd.operator_id, "unreachable", self._clock.now()))
            return
        if session.bridge_id is None and not session.bridge_prepared:
            # The bridge is made while the phone rings, not after the answer.
            session.bridge_prepared = True
            await self._prepare_bridge(session)  # never raises: else the connect makes it

    async def _CancelRing(self, cmd: CancelRing, session: CallSession | None) -> None:
        leg = session.legs.get(cmd.operator_id) if session else None
        if leg is None or not OPERATOR_LEG.allows(leg.state, OperatorLegInput.CANCEL):
            return
        leg.state = OPERATOR_LEG.next(leg.state, OperatorLegInput.CANCEL)
        if session is not None and not session.finished and session.operator_id is None:
            self._journal.event(
                session, self._clock.now(), "RINGNOANSWER", operator_id=cmd.operator_id
            )
        await self._quietly(
            "cancel ring", self._ari.channels.hangup(leg.channel_id, reason="normal")
        )

    async def _ConnectCall(self, cmd: ConnectCall, session: CallSession | None) -> None:
        if session is None:
            return
        leg = session.legs.get(cmd.operator_id)
        if leg is None:
            log.error("connect_without_leg", operator=cmd.operator_id)
            return
        session.operator_id = cmd.operator_id
        session.recording_policy = cmd.recording  # the core's decision, for on-demand too
        bridge_id = _bridge_id(session.call_id)
        now = self._clock.now()
        try:
            if not session.bridge_prepared:
                await self._create_bridge(bridge_id, session.call_id)
            session.bridge_id = bridge_id
            session.bridge_prepared = False
            # absorbDTMF: the operator's feature codes (``_bridge_features``) reach us
            # as events but not the caller's ear. One request on purpose (one round
            # trip to the bridge), so the caller's keys are absorbed too: nobody acts
            # on them once the call is bridged (the callback key is for waiting).
            join = self._ari.bridges.add_channel(
                bridge_id, [session.caller_channel_id, leg.channel_id], absorb_dtmf=True
            )
            if session.on_hold:
                # Independent of the join: both in flight at once.
                session.on_hold = False
                await asyncio.gather(
                    join,
                    self._quietly(
                        "moh stop", self._ari.channels.stop_moh(session.caller_channel_id)
                    ),
                )
            else:
                await join
            session.bridged = True
        except AriError as exc:
            # Either side hung up in the meantime; its StasisEnd ends the call in the core.
            log.warning("connect_failed", operator=cmd.operator_id, error=str(exc))
            return
        self._journal.event(
            session,
            now,
            "CONNECT",
            operator_id=cmd.operator_id,
            holdtime=round(cmd.waited_s),
            bridged_channel=leg.channel_id,
            ringtime=0,
        )
        self._journal.crm.answered(session, cmd.operator_id, now)
        await self._start_recording(session)

    async def _prepare_bridge(self, session: CallSession) -> None:
        try:
            await self._create_bridge(_bridge_id(session.call_id), session.call_id)
        except AriError as exc:
            session.bridge_prepared = False  # the connect makes it, then
            log.info("bridge_not_prepared", error=str(exc))

    async def _create_bridge(self, bridge_id: str, call_id: str) -> None:
        try:
            await self._ari.bridges.create(
                type="mixing", name=f"callrouter-{call_id[:8]}", bridge_id=bridge_id
            )
        except AriHttpError as exc:
            # Made before a crash, whose restart connects the call again: use it.
            if exc.status != 409:
                raise

    async def _start_recording(self, session: CallSession, *, on_demand: bool = False) -> None:
        policy = session.recording_policy or "always"  # set from the core's ConnectCall
        wanted = policy == "always" or (on_demand and policy == "on_demand")
        if not wanted or session.bridge_id is None or session.recording_name is not None:
            return
        fmt = self._settings.recording.format
        # One recording per bridge the caller is in (a transfer starts the next part).
        name = recording_part_name(
            session.call_id, session.recording_parts + 1, tenant=self._journal.tenant(session)
        )
        try:
            await self._ari.bridges.record(
                session.bridge_id,
                name=name,
                format=fmt,
                if_exists="overwrite",
                max_duration_seconds=self._settings.recording.max_duration_s or None,
            )
        except AriError as exc:
            # A recording that fails must never drop the call: note it and carry on.
            log.error("recording_failed_to_start", error=str(exc))
            self._journal.call_update(session, recording_error=str(exc)[:500])
            return
        session.recording_name = name
        session.recording_parts += 1
        self.recordings[name] = session.call_id
        self._journal.recording_started(session, name, fmt, self._clock.now())

    async def start_recording_on_demand(self, session: CallSession) -> None:
        """``on_demand`` queues and campaigns record only when asked (HTTP API)."""
        await self._start_recording(session, on_demand=True)

    async def _unbridge(self, session: CallSession, *, keep_new_legs: bool = False) -> None:
        """Take the caller out of its bridge. ``keep_new_legs`` (a transfer): only the
        connected operator's leg goes; the new queue's legs, rung first (see Router),
        stay, whether still ringing or already answered and about to be connected."""
        for leg in list(session.legs.values()):
            if keep_new_legs and leg.operator_id != session.operator_id:
                continue
            await self._quietly("hangup operator", self._ari.channels.hangup(leg.channel_id))
            self._sessions.drop_leg(leg)
        if session.bridge_id is not None or session.bridge_prepared:
            bridge_id = session.bridge_id or _bridge_id(session.call_id)
            await self._quietly("destroy bridge", self._ari.bridges.destroy(bridge_id))
        session.bridge_id = None
        session.bridge_prepared = False
        session.operator_id = None
        end_recording_part(session)  # the bridge took its recording with it

    async def finish(self, call_id: str) -> None:
        """The core gave the call its outcome: release whatever Asterisk still holds."""
        session = self._sessions.get(call_id)
        if session is None:
            return
        session.finished = True
        await self._unbridge(session)
        message_pending = any(c == call_id and t == "hangup" for c, _, t in self.playbacks.values())
        if not session.caller_gone and not message_pending:
            await self._hangup_caller(session)
        self._sessions.remove(call_id)
