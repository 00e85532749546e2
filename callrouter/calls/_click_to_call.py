"""Click-to-call (and the dialer's preview mode): the operator's phone rings first, then
the customer is dialled, and the two are bridged when the customer answers.

The operator is taken out of inbound routing for the call by a pause with reason
``outbound`` in the routing core, so the core never offers them an inbound caller
meanwhile and occupancy reports show the time as outbound work.

Compliance holds at the moment of dialling (``DialGate``): the number is checked
against the do-not-call list (and a lead against its calling window and status) before
the operator's phone rings and again right before the customer's leg is originated; a
lead is dialled at its own number; the campaign's caller ID, or ``dialer.caller_id``,
is always presented: with neither, nothing is dialled (never "Anonymous").
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import structlog

from callrouter.acd import OperatorPaused, OperatorState, OperatorUnpaused
from callrouter.ari import AriClient, AriError, ChannelDestroyed, StasisStart
from callrouter.calls._claims import OperatorClaims
from callrouter.calls._clock import Clock
from callrouter.calls._journal import CallJournal
from callrouter.calls._router import Router
from callrouter.calls._sessions import CallSession, recording_part_name
from callrouter.calls._settings import ReadsSettings, SettingsHolder
from callrouter.dialer.store import DialPermit, DialRefused
from callrouter.errors import Conflict, ExternalError, NotFound
from callrouter.legs import CLICK_CALL, ClickInput, ClickState

__all__ = ["OUTBOUND_PAUSE_REASON", "AttemptLog", "ClickToCall", "DialGate"]

log = structlog.get_logger(__name__)

OUTBOUND_PAUSE_REASON = "outbound"
_AWAITING_CAUSE_MAX = 1000
_OUTCOME_BY_CAUSE = {17: "busy", 18: "no_answer", 19: "no_answer", 34: "congestion", 21: "failed"}


class DialGate(Protocol):
    """The rules at the moment of dialling (``callrouter.dialer.store.permit_dial``)."""

    async def permit(
        self, *, number: str | None, lead_id: int | None, default_region: str,
        tenants: Collection[str],
    ) -> DialPermit: ...  # fmt: skip


class AttemptLog(Protocol):
    """Attempts of preview campaigns' leads (``callrouter.dialer.store``)."""

    async def start(self, lead_id: int, call_id: str, operator_id: str) -> int: ...

    async def finish(
        self, attempt_id: int, outcome: str, *, cause: int | None, operator_id: str,
        talk_s: float | None, answered_at: datetime | None = None,
        recording: str | None = None,
    ) -> None: ...  # fmt: skip


@dataclass
class _Click:
    session: CallSession
    operator_id: str
    number: str
    caller_id: str
    operator_channel: str
    lead_id: int | None = None
    customer_channel: str | None = None
    state: ClickState = ClickState.RINGING_OPERATOR
    answered_at: datetime | None = None
    # A preview campaign's lead: its attempt is recorded and rescheduled by the store.
    attempt_id: int | None = None
    attempt_log: AttemptLog | None = None


class ClickToCall(ReadsSettings):
    def __init__(
        self,
        *,
        ari: AriClient,
        router: Router,
        journal: CallJournal,
        settings: SettingsHolder,
        clock: Clock,
        gate: DialGate,
        attempts: AttemptLog | None = None,
        claims: OperatorClaims | None = None,
    ) -> None:
        self._gate = gate
        self._attempts = attempts
        self._claims = claims
        self._ari = ari
        self._router = router
        self._journal = journal
        self._holder = settings
        self._clock = clock
        self._calls: dict[str, _Click] = {}
        self._by_channel: dict[str, str] = {}
        # Channels whose StasisEnd ended a call before Asterisk said why: their
        # ChannelDestroyed brings the hangup cause for the call's row.
        self._awaiting_cause: dict[str, CallSession] = {}

    def owns(self, channel_id: str) -> bool:
        return channel_id in self._by_channel or channel_id in self._awaiting_cause

    async def start(
        self,
        *,
        operator_id: str,
        number: str | None,
        caller_id: str | None,
        campaign_id: int | None = None,
        lead_id: int | None = None,
        follow_up: tuple[AttemptLog, int] | None = None,
    ) -> str:
        """``lead_id``: a preview campaign's lead (``number`` may be left out: the lead's
        own is dialled); ``follow_up``: another log of this call's attempt (a callback
        reserved for this operator) and its key. ``DialRefused`` when the rules forbid
        the call now."""
        operator = self._settings.operators.get(operator_id)
        if operator is None:
            raise NotFound(f"no operator {operator_id!r}")
        view = self._router.engine.snapshot().operator(operator_id)
        if view.state is not OperatorState.AVAILABLE or not view.online:
            raise Conflict(f"operator {operator_id!r} is {view.state.value}, not available")
        permit = await self._permit(number, lead_id, operator_id)
        presented = caller_id or permit.caller_id or self._settings.dialer.caller_id
        if not presented:
            raise DialRefused(
                "no caller ID to present: set dialer.caller_id (or the campaign's caller_id);"
                " customers are never called as Anonymous"
            )
        number = permit.phone
        campaign_id = permit.campaign_id or campaign_id
        refused = self._router.apply(
            OperatorPaused(operator_id, self._router.now(), OUTBOUND_PAUSE_REASON)
        )
        if refused:
            raise Conflict(refused)
        if self._claims is not None and not await self._claims.claim(operator_id):
            self._router.apply(OperatorUnpaused(operator_id, self._router.now()))
            raise Conflict(f"operator {operator_id!r} is busy on another node")
        call_id = str(uuid.uuid4())
        operator_channel = f"cr-{uuid.uuid4().hex}"
        session = CallSession(
            call_id=call_id,
            caller_channel_id=operator_channel,
            queue=permit.queue or "",
            caller_number=presented,
            caller_name=operator.name,
            called_number=number,
            created_at=self._router.now(),
        )
        click = _Click(session, operator_id, number, presented, operator_channel, lead_id)
        self._calls[call_id] = click
        self._by_channel[operator_channel] = call_id
        self._journal.call_created(session, direction="outbound")
        self._journal.call_update(session, operator_id=operator_id)
        if lead_id is not None and self._attempts is not None:
            follow_up = (self._attempts, lead_id)
            self._journal.call_update(session, campaign_id=campaign_id, lead_id=lead_id)
        if follow_up is not None:
            click.attempt_log, key = follow_up
            click.attempt_id = await click.attempt_log.start(key, call_id, operator_id)
        # The CRM hears of an outbound call as of any other: a screen pop as the
        # operator's phone rings, then answered and ended.
        self._journal.crm.offered(session, operator_id, self._router.now())
        try:
            await self._ari.channels.originate(
                endpoint=operator.endpoint,
                channel_id=operator_channel,
                app=self._ari.app,
                app_args=f"click,{call_id},operator",
                caller_id=f"<{number}>",
                timeout=self._settings.dialer.ring_timeout_s,
            )
        except AriError as exc:
            self._finish(click, "failed", cause_txt=f"operator phone unreachable: {exc}")
            raise ExternalError(f"could not ring operator {operator_id}: {exc}") from exc
        return call_id

    async def on_stasis_start(self, event: StasisStart) -> None:
        call_id = event.args[1] if len(event.args) > 2 else ""
        click = self._calls.get(call_id)
        answered = (
            ClickInput.OPERATOR_ANSWERED if event.args[2] == "operator"
            else ClickInput.CUSTOMER_ANSWERED
        )  # fmt: skip
        if click is None or not CLICK_CALL.allows(click.state, answered):
            await self._hangup(event.channel.id)
            return
        click.state = CLICK_CALL.next(click.state, answered)
        if answered is ClickInput.OPERATOR_ANSWERED:
            await self._dial_customer(click)
        else:
            await self._connect(click)

    async def _permit(
        self, number: str | None, lead_id: int | None, operator_id: str
    ) -> DialPermit:
        # A number typed by hand is called for whichever client the operator serves:
        # each of their tenants' do-not-call lists applies (a lead's, its campaign's).
        return await self._gate.permit(
            number=number, lead_id=lead_id, default_region=self._settings.dialer.default_region,
            tenants=self._settings.tenants_of_operator(operator_id),
        )  # fmt: skip

    async def _dial_customer(self, click: _Click) -> None:
        try:
            # Again at the very moment of dialling: the list may have changed while the
            # operator's phone rang.
            await self._permit(click.number, click.lead_id, click.operator_id)
        except (DialRefused, NotFound) as exc:
            log.warning("click_to_call_refused", call_id=click.session.call_id, reason=str(exc))
            await self._hangup(click.operator_channel)
            self._finish(click, "failed", cause_txt=str(exc))
            return
        with contextlib.suppress(AriError):  # ringback is a courtesy
            await self._ari.channels.ring(click.operator_channel)
        channel = f"cr-{uuid.uuid4().hex}"
        click.customer_channel = channel
        self._by_channel[channel] = click.session.call_id
        click.session.caller_channel_id = channel
        self._journal.call_update(click.session, channel_id=channel)
        try:
            await self._ari.channels.originate(
                endpoint=self._settings.dialer.trunk.format(number=click.number),
                channel_id=channel,
                app=self._ari.app,
                app_args=f"click,{click.session.call_id},customer",
                caller_id=click.caller_id,
                timeout=self._settings.dialer.ring_timeout_s,
            )
        except AriError as exc:
            await self._hangup(click.operator_channel)
            self._finish(click, "unreachable", cause_txt=str(exc))

    async def _connect(self, click: _Click) -> None:
        assert click.customer_channel is not None
        now = self._router.now()
        click.answered_at = now
        bridge_id = f"cr-{click.session.call_id}"
        click.session.bridge_id = bridge_id
        try:
            await self._ari.bridges.create(type="mixing", bridge_id=bridge_id)
            await self._ari.channels.ring_stop(click.operator_channel)
            await self._ari.bridges.add_channel(
                bridge_id, [click.operator_channel, click.customer_channel]
            )
        except AriError as exc:
            log.warning("click_to_call_connect_failed", error=str(exc))
            return
        self._journal.call_update(click.session, answered_at=now)
        self._journal.event(
            click.session, now, "CONNECT", operator_id=click.operator_id,
            holdtime=0, bridged_channel=click.customer_channel, ringtime=0,
        )  # fmt: skip
        self._journal.crm.answered(click.session, click.operator_id, now)
        await self._record(click)

    async def _record(self, click: _Click) -> None:
        if click.session.bridge_id is None:
            return
        fmt = self._settings.recording.format
        tenant = self._journal.tenant(click.session)
        name = recording_part_name(click.session.call_id, 1, tenant=tenant)
        try:
            await self._ari.bridges.record(
                click.session.bridge_id, name=name, format=fmt, if_exists="overwrite"
            )
        except AriError as exc:
            self._journal.call_update(click.session, recording_error=str(exc)[:500])
            return
        click.session.recording_name = name
        self._journal.recording_started(click.session, name, fmt, self._router.now())

    async def channel_gone(self, channel_id: str, cause: int | None) -> None:
        late = self._awaiting_cause.pop(channel_id, None)
        if late is not None:
            if cause is not None:
                self._journal.call_update(late, hangup_cause=cause)
            return
        call_id = self._by_channel.pop(channel_id, None)
        click = self._calls.get(call_id or "")
        if click is None or CLICK_CALL.final(click.state):
            return
        if click.state is ClickState.TALKING:
            other = (
                click.customer_channel
                if channel_id == click.operator_channel
                else click.operator_channel
            )
            if other:
                await self._hangup(other)
            if click.session.bridge_id:
                with contextlib.suppress(AriError):
                    await self._ari.bridges.destroy(click.session.bridge_id)
            by_operator = channel_id == click.operator_channel
            if cause is None:
                self._awaiting_cause[channel_id] = click.session
                if len(self._awaiting_cause) > _AWAITING_CAUSE_MAX:  # a destroy never came
                    self._awaiting_cause.pop(next(iter(self._awaiting_cause)))
            self._finish(click, "answered", cause=cause, ended_by_operator=by_operator)
            return
        if channel_id == click.operator_channel:
            if click.customer_channel:
                await self._hangup(click.customer_channel)
            self._finish(click, "failed", cause=cause, cause_txt="operator hung up before connect")
            return
        await self._hangup(click.operator_channel)
        outcome = _OUTCOME_BY_CAUSE.get(cause or 0, "unreachable")
        self._finish(click, outcome, cause=cause)

    async def on_channel_destroyed(self, event: ChannelDestroyed) -> None:
        await self.channel_gone(event.channel.id, event.cause)

    def _finish(
        self, click: _Click, outcome: str, *, cause: int | None = None,
        cause_txt: str | None = None, ended_by_operator: bool = False,
    ) -> None:  # fmt: skip
        if CLICK_CALL.final(click.state):
            return  # finished already: one final row
        click.state = CLICK_CALL.next(click.state, ClickInput.ENDED)
        now = self._router.now()
        values: dict[str, object] = {"outcome": outcome, "ended_at": now}
        if click.answered_at is not None:
            talk = (now - click.answered_at).total_seconds()
            values["talk_s"] = round(talk, 3)
            # queue_log readers count an outbound call by its COMPLETE line too.
            verb = "COMPLETEAGENT" if ended_by_operator else "COMPLETECALLER"
            self._journal.event(
                click.session, now, verb, operator_id=click.operator_id, holdtime=0,
                calltime=round(talk), origposition=1,
            )  # fmt: skip
        if cause is not None:
            values["hangup_cause"] = cause
        if cause_txt:
            values["hangup_cause_txt"] = cause_txt[:500]
        self._journal.call_update(click.session, **values)
        self._journal.crm.ended_outbound(
            click.session, outcome=outcome, operator_id=click.operator_id,
            talk_s=float(values.get("talk_s", 0.0)),  # type: ignore[arg-type]
            hangup_cause=cause, ended_at=now,
        )  # fmt: skip
        for channel in (click.operator_channel, click.customer_channel):
            if channel:
                self._by_channel.pop(channel, None)
        self._calls.pop(click.session.call_id, None)
        view = self._router.engine.snapshot().operator(click.operator_id)
        if view.pause_reason == OUTBOUND_PAUSE_REASON:
            self._router.apply(OperatorUnpaused(click.operator_id, now))
        if click.attempt_id is not None and click.attempt_log is not None:
            attempts, attempt_id = click.attempt_log, click.attempt_id
            self._router.lanes_submit(
                click.session.call_id,
                lambda: attempts.finish(
                    attempt_id, outcome, cause=cause, operator_id=click.operator_id,
                    talk_s=values.get("talk_s"),  # type: ignore[arg-type]
                    answered_at=click.answered_at, recording=click.session.recording_name,
                ),
            )  # fmt: skip

    async def _hangup(self, channel_id: str) -> None:
        try:
            await self._ari.channels.hangup(channel_id)
        except AriError as exc:
            log.info("hangup_refused", channel=channel_id, error=str(exc))
