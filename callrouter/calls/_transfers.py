"""Call control's shell: blind and attended transfers, conference, return to the caller.

Decisions live in pure code: the ACD (``acd/_transfers``) decides the queue side (who is
consulted, the caller's place in a new queue, who is busy), and ``legs.CONSULT`` is the
consult lifecycle; this module only turns them into ARI requests and back.

How each flow uses Asterisk (one mixing bridge per conversation, as Wazo's calld does):
- blind to a queue or an operator: the ACD re-queues or rings; the executor takes the
  caller out of the old bridge, and the next bridge is recorded as the next part;
- blind to a number: the caller leaves Stasis for ``[callrouter-transfer]`` with the
  number as extension (the dialplan dials it through the trunk); outcome ``transferred``;
- attended: the caller leaves the bridge and is held (ARI hold + music on hold, as
  calld holds a transferred call); the consulted party's leg is originated with the
  Stasis arguments ``consult,<call id>`` and, once answered, joins the operator in the
  call's bridge. Complete: the caller comes back and the operator's leg is hung up;
  conference: the caller comes back and everybody stays; cancel: the consulted leg is
  hung up and the caller comes back.
"""

from __future__ import annotations

import math
import re
import uuid
from dataclasses import dataclass
from typing import Literal

import structlog

from callrouter.acd import (
    AcdCommand,
    AcdEvent,
    ConsultCompleted,
    ConsultEnded,
    ConsultReserved,
    ConsultStarted,
    TransferredOut,
    TransferToOperator,
    TransferToQueue,
)
from callrouter.ari import AriClient, AriError, ChannelDestroyed, StasisEnd, StasisStart
from callrouter.calls._clock import Clock
from callrouter.calls._handoffs import Handoffs
from callrouter.calls._journal import CallJournal
from callrouter.calls._quietly import quietly
from callrouter.calls._router import Router
from callrouter.calls._sessions import CallSession, OperatorLeg, SessionRegistry
from callrouter.calls._settings import ReadsSettings, SettingsHolder
from callrouter.errors import Conflict, DomainError, InvalidInput, NotFound
from callrouter.legs import (
    CALLER_HEARS,
    CONSULT,
    ConsultInput,
    ConsultState,
    OperatorLegState,
)

__all__ = ["TRANSFER_CONTEXT", "CallTransfers", "Consult", "TargetKind", "one_target"]

log = structlog.get_logger(__name__)

TargetKind = Literal["queue", "operator", "number"]
# The dialplan context a blind transfer to a number continues in (dialplan/).
TRANSFER_CONTEXT = "callrouter-transfer"
CONSULT_ARG = "consult"
_NUMBER = re.compile(r"^\+?[0-9]{2,20}$")
_In, _St = ConsultInput, ConsultState


@dataclass(slots=True)
class Consult:
    call_id: str
    kind: TargetKind
    target: str
    channel_id: str
    operator_id: str | None  # the consulted operator (None: a number)
    state: ConsultState = ConsultState.DIALING


def one_target(
    queue: str | None, operator_id: str | None, number: str | None
) -> tuple[TargetKind, str]:
    """The one target a transfer or consult names; a number must look like one."""
    given = {"queue": queue, "operator": operator_id, "number": number}
    named = [(kind, value) for kind, value in given.items() if value]
    if len(named) != 1:
        raise InvalidInput("give exactly one of: queue, operator_id, number")
    kind, value = named[0]
    if kind == "number" and not _NUMBER.match(value):
        raise InvalidInput(f"{value!r} is not a phone number (digits, an optional +)")
    return _KINDS[kind], value


_KINDS: dict[str, TargetKind] = {"queue": "queue", "operator": "operator", "number": "number"}


class CallTransfers(ReadsSettings):
    def __init__(
        self,
        *,
        ari: AriClient,
        router: Router,
        sessions: SessionRegistry,
        journal: CallJournal,
        settings: SettingsHolder,
        clock: Clock,
    ) -> None:
        self._ari = ari
        self._router = router
        self._sessions = sessions
        self._journal = journal
        self._holder = settings
        self._clock = clock
        self._consults: dict[str, Consult] = {}  # by call id
        self._by_channel: dict[str, Consult] = {}
        self._handoffs = Handoffs(ari=ari, journal=journal, settings=settings, clock=clock)

    def subscribe(self) -> None:
        """Before ``StasisHandlers.subscribe``: an operator hanging up mid-consult hands
        the call over here before the routing handlers see the hangup."""
        self._ari.on(StasisStart, self.on_stasis_start)
        self._ari.on(StasisEnd, self.on_channel_end)
        self._ari.on(ChannelDestroyed, self.on_channel_end)

    def consult_of(self, call_id: str) -> Consult | None:
        return self._consults.get(call_id)

    def channel_ids(self) -> set[str]:
        """The consulted parties' legs under way."""
        return set(self._by_channel)

    def consulted_operators(self) -> set[str]:
        return {c.operator_id for c in self._consults.values() if c.operator_id is not None}

    # -- blind ---------------------------------------------------------------------

    async def blind(
        self, call_id: str, *, kind: TargetKind, target: str, reason: str | None,
        note: str | None,
    ) -> None:  # fmt: skip
        session = self._live(call_id)
        if call_id in self._consults:
            raise Conflict(f"call {call_id} is under consultation; complete or cancel it first")
        self._check_target(kind, target)
        previous_note = session.transfer_note
        session.transfer_note = self._note(session, reason, note)
        at = self._router.now()
        event: AcdEvent
        if kind == "queue":
            event = TransferToQueue(call_id, target, at)
        elif kind == "operator":
            event = TransferToOperator(call_id, target, at)
        else:
            event = TransferredOut(call_id, target, at)
            session.caller_gone = True  # the dialplan owns the caller from here on
        refused = self._router.apply(event)
        if refused is not None:
            session.transfer_note = previous_note
            if kind == "number":
                session.caller_gone = False
            raise Conflict(refused)
        self._journal.crm.transferred(session, kind="blind", to_kind=kind, to=target, at=at)
        if kind == "number":
            await self._to_dialplan(session, target)

    async def _to_dialplan(self, session: CallSession, number: str) -> None:
        channel = session.caller_channel_id
        await quietly("moh stop", self._ari.channels.stop_moh(channel))
        await quietly(
            "set number", self._ari.channels.set_variable(channel, "CR_TRANSFER_NUMBER", number)
        )
        await quietly(
            "continue",
            self._ari.channels.continue_in_dialplan(
                channel, context=TRANSFER_CONTEXT, extension=number, priority=1
            ),
        )

    # -- attended ------------------------------------------------------------------

    async def consult(
        self, call_id: str, *, kind: TargetKind, target: str, reason: str | None,
        note: str | None,
    ) -> Consult:  # fmt: skip
        session = self._connected(call_id)
        if call_id in self._consults:
            raise Conflict(f"call {call_id} is already under consultation")
        self._check_target(kind, target)
        CONSULT.next(_St.TALKING, _In.CONSULT)
        policy = self._settings.queues.get(session.queue)
        timeout_s = policy.ring_timeout_s if policy is not None else 15.0
        operator_id: str | None = None
        if kind == "number":
            endpoint = self._settings.dialer.trunk.format(number=target)
        else:
            reserved = self._reserve(
                ConsultStarted(
                    call_id, self._router.now(),
                    queue=target if kind == "queue" else None,
                    operator_id=target if kind == "operator" else None,
                )
            )  # fmt: skip
            operator_id, endpoint, timeout_s = (
                reserved.operator_id, reserved.endpoint, reserved.timeout_s,
            )  # fmt: skip
        consult = Consult(call_id, kind, target, f"cr-consult-{uuid.uuid4().hex}", operator_id)
        self._consults[call_id] = consult
        self._by_channel[consult.channel_id] = consult
        session.transfer_note = self._note(session, reason, note)
        if operator_id is not None:
            # The consulted operator's screen pop, with the first operator's note, as
            # their phone rings (before the ring, as for any offer: see _actions).
            self._journal.crm.offered(session, operator_id, self._router.now())
        await self._hold_caller(session)
        try:
            await self._ari.channels.originate(
                endpoint=endpoint,
                channel_id=consult.channel_id,
                app=self._ari.app,
                app_args=f"{CONSULT_ARG},{call_id}",
                caller_id=f'"{session.caller_name}" <{session.caller_number}>'
                if session.caller_name
                else f"<{session.caller_number}>",
                # No core timer watches a consult leg: Asterisk's own timeout is the
                # ring timeout, and its ChannelDestroyed (19) returns the operator.
                timeout=math.ceil(timeout_s),
                variables={"CR_CALL_ID": call_id, "CR_CONSULT": "1"},
            )
        except AriError as exc:
            log.warning("consult_unreachable", call_id=call_id, error=str(exc))
            await self._end(consult, _In.NO_ANSWER)
            raise Conflict(f"the consulted party cannot be reached: {exc}") from exc
        return consult

    def _reserve(self, event: ConsultStarted) -> ConsultReserved:
        """The core picks and reserves the consulted operator; the rest of its commands
        (the reservation's state change) go the usual way."""
        try:
            commands: list[AcdCommand] = self._router.engine.handle(event)
        except DomainError as exc:
            raise Conflict(exc.message) from exc
        [reserved] = [c for c in commands if isinstance(c, ConsultReserved)]
        self._router.dispatch([c for c in commands if not isinstance(c, ConsultReserved)])
        return reserved

    async def complete(self, call_id: str) -> None:
        consult = self._consult(call_id, _In.COMPLETE)
        session = self._connected(call_id)
        old_leg = self._take_over(session, consult, _In.COMPLETE)
        if old_leg is not None:
            await quietly("hangup operator", self._ari.channels.hangup(old_leg))

    async def conference(self, call_id: str) -> None:
        consult = self._consult(call_id, _In.CONFERENCE)
        session = self._connected(call_id)
        consult.state = CONSULT.next(consult.state, _In.CONFERENCE)
        self._journal.crm.transferred(
            session, kind="conference", to_kind=consult.kind, to=consult.target,
            at=self._router.now(),
        )  # fmt: skip
        await self._unhold_caller(session)

    async def cancel(self, call_id: str) -> None:
        consult = self._consult(call_id, _In.CANCEL)
        await self._end(consult, _In.CANCEL)
        await quietly("hangup consult", self._ari.channels.hangup(consult.channel_id))

    # -- ARI events ------------------------------------------------------------------

    async def on_stasis_start(self, event: StasisStart) -> None:
        if not event.args or event.args[0] != CONSULT_ARG:
            return
        consult = self._by_channel.get(event.channel.id)
        if consult is None or not CONSULT.allows(consult.state, _In.ANSWERED):
            await quietly("hangup stray", self._ari.channels.hangup(event.channel.id))
            return
        consult.state = CONSULT.next(consult.state, _In.ANSWERED)
        session = self._sessions.get(consult.call_id)
        if session is None or session.bridge_id is None:
            return
        # A consulted operator may take the call over and press feature codes: their
        # keys are absorbed as the first operator's are (_actions). An outside party is
        # no operator: their keys are no codes and pass as they would on any call.
        join = self._ari.bridges.add_channel(
            session.bridge_id, consult.channel_id, absorb_dtmf=consult.operator_id is not None
        )
        await quietly("bridge consult", join)

    async def on_channel_end(self, event: StasisEnd | ChannelDestroyed) -> None:
        channel = event.channel.id
        if await self._handoffs.channel_gone(channel):
            return
        consult = self._by_channel.get(channel)
        if consult is not None:
            gone = _In.NO_ANSWER if consult.state is _St.DIALING else _In.TARGET_HUNGUP
            if CONSULT.allows(consult.state, gone):
                await self._end(consult, gone)
            return
        session = self._sessions.by_caller_channel(channel)
        if session is not None and (consult := self._consults.get(session.call_id)):
            self._forget(consult, CONSULT.next(consult.state, _In.CALLER_HUNGUP))
            await quietly("hangup consult", self._ari.channels.hangup(consult.channel_id))
            return
        leg = self._sessions.leg(channel)
        if leg is None or leg.state is not OperatorLegState.ANSWERED:
            return
        session = self._sessions.get(leg.call_id)
        consult = self._consults.get(leg.call_id)
        if session is None or consult is None or session.operator_id != leg.operator_id:
            return
        if consult.state is _St.DIALING:
            # Nobody to hand the caller to yet: the call ends as the operator left.
            self._forget(consult, CONSULT.next(consult.state, _In.OPERATOR_HUNGUP))
            await quietly("hangup consult", self._ari.channels.hangup(consult.channel_id))
            return
        self._take_over(session, consult, _In.OPERATOR_HUNGUP)

    # -- moves -------------------------------------------------------------------------

    def _take_over(self, session: CallSession, consult: Consult, how: ConsultInput) -> str | None:
        """The consulted party gets the caller. Synchronous up to the ARI requests, so
        the routing handlers never see the first operator's hangup as the call's end.
        Returns the first operator's channel, to hang up."""
        new_state = CONSULT.next(consult.state, how)
        caller_held = CALLER_HEARS[consult.state] == "music"
        old_leg = session.legs.get(session.operator_id or "")
        at = self._router.now()
        self._forget(consult, new_state)
        if consult.operator_id is not None:
            refused = self._router.apply(ConsultCompleted(consult.call_id, consult.operator_id, at))
            if refused is not None:
                log.error("consult_takeover_refused", call_id=consult.call_id, reason=refused)
                return None
            if old_leg is not None:
                self._sessions.drop_leg(old_leg)
            self._sessions.add_leg(
                OperatorLeg(
                    channel_id=consult.channel_id, operator_id=consult.operator_id,
                    call_id=consult.call_id, state=OperatorLegState.ANSWERED,
                )
            )  # fmt: skip
            session.operator_id = consult.operator_id
            self._journal.crm.transferred(
                session, kind="attended", to_kind=consult.kind, to=consult.target, at=at
            )
            if caller_held:
                self._router.lanes_submit(session.call_id, lambda: self._unhold_caller(session))
            return old_leg.channel_id if old_leg is not None else None
        # An outside number: callrouter lets the call go, the two parties stay bridged
        # (on the call's lane, before the executor's finish takes the old bridge down).
        self._router.lanes_submit(
            session.call_id, lambda: self._handoffs.hand_off(session, consult.channel_id)
        )
        session.caller_gone = True
        self._journal.crm.transferred(
            session, kind="attended", to_kind="number", to=consult.target, at=at
        )
        self._router.apply(TransferredOut(consult.call_id, consult.target, at, attended=True))
        return None

    async def _end(self, consult: Consult, how: ConsultInput) -> None:
        """No transfer after all: the operator is back with the caller."""
        held = CALLER_HEARS[consult.state] == "music"
        self._forget(consult, CONSULT.next(consult.state, how))
        if consult.operator_id is not None:
            self._router.apply(
                ConsultEnded(consult.call_id, consult.operator_id, self._router.now())
            )
        session = self._sessions.get(consult.call_id)
        if session is not None and held and not session.caller_gone:
            await self._unhold_caller(session)

    def _forget(self, consult: Consult, state: ConsultState) -> None:
        consult.state = state
        self._consults.pop(consult.call_id, None)
        self._by_channel.pop(consult.channel_id, None)

    async def _hold_caller(self, session: CallSession) -> None:
        channel = session.caller_channel_id
        if session.bridge_id is not None:
            await quietly(
                "leave bridge", self._ari.bridges.remove_channel(session.bridge_id, channel)
            )
        await quietly("hold", self._ari.channels.hold(channel))
        await quietly("moh", self._ari.channels.start_moh(channel, moh_class=session.moh_class))

    async def _unhold_caller(self, session: CallSession) -> None:
        channel = session.caller_channel_id
        await quietly("moh stop", self._ari.channels.stop_moh(channel))
        await quietly("unhold", self._ari.channels.unhold(channel))
        if session.bridge_id is not None:
            await quietly(
                "rejoin bridge", self._ari.bridges.add_channel(session.bridge_id, channel)
            )

    # -- checks ------------------------------------------------------------------------

    def _live(self, call_id: str) -> CallSession:
        session = self._sessions.get(call_id)
        if session is None or session.finished or session.caller_gone:
            raise NotFound(f"no live call {call_id}")
        return session

    def _connected(self, call_id: str) -> CallSession:
        session = self._live(call_id)
        if session.bridge_id is None or session.operator_id is None:
            raise Conflict(f"call {call_id} is not connected to an operator")
        return session

    def _consult(self, call_id: str, step: ConsultInput) -> Consult:
        consult = self._consults.get(call_id)
        if consult is None:
            raise Conflict(f"call {call_id} has no consultation under way")
        if not CONSULT.allows(consult.state, step):
            raise Conflict(f"cannot {step} a consultation that is {consult.state}")
        return consult

    def _check_target(self, kind: TargetKind, target: str) -> None:
        if kind == "queue" and target not in self._settings.queues:
            raise NotFound(f"no queue {target!r}")
        if kind == "operator" and target not in self._settings.operators:
            raise NotFound(f"no operator {target!r}")

    @staticmethod
    def _note(session: CallSession, reason: str | None, note: str | None) -> dict[str, object]:
        return {"from_operator": session.operator_id, "reason": reason, "note": note}
