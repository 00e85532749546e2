"""Dialing: originate, create and dial to scripted endpoints, the far end's answer,
failure and hangup.

Theory of operation: a call the switch places rings its endpoint's script
(``EndpointScript``): after ``answer_after`` simulated seconds it answers, or it fails
with the script's Q.850 cause; the originate ``timeout`` ends an unanswered call with
cause 19. ``Local/exten@context`` gives two channels as in Asterisk: ";1" is the one
the application originated and ";2" runs the context. If the context is a Stasis
context (``stasis_contexts``, e.g. ``from-pstn`` -> ``Stasis(callrouter,inbound)``),
";2" enters Stasis at once; otherwise ";2" stands for the far end and follows the
script of endpoint ``Local/exten@context``.

What the application sees of a leg it originated to a PJSIP phone (sip/README.md): the
POST answers at once with the channel ``Down``; no ChannelCreated or ChannelDialplan;
``Dial ""``, then on 180 ChannelStateChange Ringing + ``Dial RINGING``, on 200 OK
ChannelStateChange Up, ``Dial ANSWER``, StasisStart. A failure from the far end (486,
timer B) is ChannelHangupRequest {cause, tech_cause}, the final Dial, ChannelDestroyed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from callrouter.sim._base import (
    CAUSE_BUSY,
    CAUSE_CONGESTION,
    CAUSE_NO_ANSWER,
    CAUSE_NO_USER_RESPONSE,
    CAUSE_NORMAL,
    CAUSE_SUBSCRIBER_ABSENT,
    JsonObj,
    SimAriError,
    sip_status,
)
from callrouter.sim._channels import outgoing, split_endpoint
from callrouter.sim._state import CallerId, Channel, Dialplan, EndpointScript
from callrouter.sim._switch import Switch

# The far end's dialplan for ";2" of an answered Local call, as in the captures.
_FAR_END_WAIT = ("Wait", "30")
_DIAL_STATUS = {
    CAUSE_BUSY: "BUSY",
    CAUSE_CONGESTION: "CONGESTION",
    CAUSE_NO_USER_RESPONSE: "NOANSWER",
    CAUSE_NO_ANSWER: "NOANSWER",
    CAUSE_SUBSCRIBER_ABSENT: "CHANUNAVAIL",
}
# Behaviours that end the call with a cause after ``answer_after``. "unreachable" only
# gets this far behind a Local channel: a PJSIP one fails allocation (``reachable``).
_FAILING: dict[str, int] = {
    "busy": CAUSE_BUSY,
    "congestion": CAUSE_CONGESTION,
    "unreachable": CAUSE_SUBSCRIBER_ABSENT,
}
# SIP timer B (64 * T1): how long an INVITE to a contact that went away stays
# unanswered before the transaction fails with 408 (sip_op_unreachable_stale.jsonl).
STALE_INVITE_TIMEOUT_S = 32.0
AMD_VALUES = {"machine": ("MACHINE", "LONGGREETING-2000-1500"), "answer": ("HUMAN", "HUMAN-300-0")}


def _has_caller_id(ch: Channel) -> bool:
    """Originated with ``callerId``: chan_local passes it to ";2" (ChannelCallerId)."""
    return bool(ch.caller.name or ch.caller.number)


@dataclass
class Continuation:
    """What the originated channel does once answered: Stasis or a dialplan location."""

    app: str | None
    app_args: list[str]
    context: str | None
    extension: str | None
    priority: int


class Dialing:
    def __init__(self, *, switch: Switch, stasis_contexts: dict[str, str]) -> None:
        self.switch = switch
        self.stasis_contexts = stasis_contexts
        # Contexts declared missing (DELETE /sim/dialplan/{context}): a channel
        # continued there is hung up.
        self.missing_contexts: set[str] = set()
        self._continuations: dict[str, Continuation] = {}

    def originate(
        self,
        *,
        endpoint: str | None,
        app: str | None,
        app_args: list[str],
        context: str | None,
        extension: str | None,
        priority: int,
        caller_id: str | None,
        timeout: float,
        variables: dict[str, str],
        channel_id: str | None,
        other_channel_id: str | None,
    ) -> JsonObj:
        tech, resource = split_endpoint(endpoint)
        if not app and not extension:
            raise SimAriError(400, "Application or extension must be specified")
        ch = outgoing(
            self.switch,
            tech=tech,
            resource=resource,
            caller=CallerId.parse(caller_id),
            channel_id=channel_id,
            other_channel_id=other_channel_id,
            context=context,
            extension=extension,
            origin="originate",
        )
        ch.variables.update(variables)
        # No PBX runs on it until it answers, and then only for an extension: the dial
        # API runs an application itself (run_dialplan marks the other case).
        ch.runs_dialplan = False
        if app:
            self._watch(ch, app)
        self._continuations[ch.id] = Continuation(app, app_args, context, extension, priority)
        answer = ch.to_json()
        self._start_dial(ch, timeout=timeout, caller=None, originated=True)
        return answer

    def create(
        self,
        *,
        endpoint: str | None,
        app: str | None,
        app_args: list[str],
        variables: dict[str, str],
        channel_id: str | None,
        other_channel_id: str | None,
    ) -> JsonObj:
        tech, resource = split_endpoint(endpoint)
        if not app:
            raise SimAriError(400, "Application must be specified")
        ch = outgoing(
            self.switch,
            tech=tech,
            resource=resource,
            caller=CallerId(),
            channel_id=channel_id,
            other_channel_id=other_channel_id,
            context=None,
            extension=None,
            origin="create",
        )
        ch.variables.update(variables)
        ch.dialable = True
        ch.runs_dialplan = False
        self._watch(ch, app)
        answer = ch.to_json()
        self.switch.enter_stasis(ch, app, app_args)
        return answer

    def dial(self, ch: Channel, *, caller: Channel | None, timeout: float) -> None:
        if not ch.dialable:
            raise SimAriError(409, "Channel cannot be dialed")
        ch.dialable = False
        self._start_dial(ch, timeout=timeout, caller=caller)

    def _watch(self, ch: Channel, app: str) -> None:
        ch.watchers.add(app)
        application = self.switch.hub.applications.get(app)
        if application is not None and ch.id not in application.channel_ids:
            application.channel_ids.append(ch.id)
        if ch.local_peer is not None:
            ch.local_peer.watchers.add(app)

    def _start_dial(
        self, ch: Channel, *, timeout: float, caller: Channel | None, originated: bool = False
    ) -> None:
        far = ch.local_peer
        if far is not None and far.dialplan.context in self.stasis_contexts:
            app, *args = self.stasis_contexts[far.dialplan.context].split(",")
            far.dialplan.priority = 2
            self.switch.enter_stasis(far, app, args)
            return
        script = self.switch.endpoint(ch.tech, ch.resource)
        ch.dialing = True
        ch.dialed_by = caller
        if far is not None and _has_caller_id(ch):
            self._emit_caller_id(far)
            self.switch.emit_channel("ChannelConnectedLine", far)
        self.switch.emit_dial(ch, "")
        if not script.online:
            self._later(ch, 0.0, lambda: self._fail(ch, CAUSE_SUBSCRIBER_ABSENT))
        elif script.behavior in _FAILING:
            cause = _FAILING[script.behavior]
            self._later(ch, script.answer_after, lambda: self._fail(ch, cause, far_end=True))
        elif script.behavior == "stale":
            self._later(ch, STALE_INVITE_TIMEOUT_S, lambda: self._stale(ch, script))
        else:
            # A Local ";1" only rings if its ";2" dialplan runs Ringing(); ours does not.
            ringing = script.answer_after > 0 or script.behavior == "noanswer"
            if ringing and far is None:
                # 180 Ringing; the two events come in either order (sip/README.md).
                self.switch.set_state(ch, "Ringing")
                self.switch.emit_dial(ch, "RINGING")
            if script.behavior != "noanswer":
                self._later(ch, script.answer_after, lambda: self._answered(ch, script))
        if timeout > 0 and originated:
            self._later(ch, timeout, lambda: self._originate_timed_out(ch))
        elif timeout > 0:
            self._later(ch, timeout, lambda: self._fail(ch, CAUSE_NO_ANSWER))

    def _originate_timed_out(self, ch: Channel) -> None:
        """The dial API gives up: no Dial end (there is no caller to publish it for) and
        no hangup request, just ChannelDestroyed 19 (+ tech_cause 480 on PJSIP); a Local
        ";2" is hung up with 19 (real_d_originate_noanswer, sip_op_noanswer_timeout)."""
        if not ch.dialing:
            return
        ch.dialing = False
        self.switch.hangup(ch, cause=CAUSE_NO_ANSWER, request_cause=None, quiet=True)

    def _emit_caller_id(self, ch: Channel) -> None:
        self.switch.emit_channel(
            "ChannelCallerId",
            ch,
            caller_presentation=0,
            caller_presentation_txt="Presentation Allowed, Not Screened",
        )

    def _fail(self, ch: Channel, cause: int, *, far_end: bool = False) -> None:
        """End a dial with ``cause``; ``far_end``: the phone's final response did it,
        which a PJSIP channel reports as ``tech_cause`` in the hangup request too."""
        if not ch.dialing:
            return
        self.switch.hangup(
            ch,
            cause=cause,
            request_cause=cause,
            tech_cause=sip_status(cause) if far_end and ch.tech == "PJSIP" else None,
            dial_status=_DIAL_STATUS.get(cause, "CHANUNAVAIL"),
        )

    def _stale(self, ch: Channel, script: EndpointScript) -> None:
        """The INVITE went to a contact nobody listens on any more. Its qualify OPTIONS
        time out the same way, so the contact is Unavail from now on: the endpoint is
        offline and the next originate fails allocation (GET /endpoints in
        rest_sip_op_unreachable_stale.jsonl)."""
        self._fail(ch, CAUSE_NO_USER_RESPONSE, far_end=True)
        self.switch.set_online(script, online=False)

    def _answered(self, ch: Channel, script: EndpointScript) -> None:
        if not ch.dialing:
            return
        ch.dialing = False
        far = ch.local_peer
        if far is not None:
            far.dialplan.app_name = "Answer"
            self.switch.emit_channel(
                "ChannelDialplan", far, dialplan_app="Answer", dialplan_app_data=""
            )
            self.switch.set_state(far, "Up")
        self.switch.set_state(ch, "Up")
        self.switch.emit_dial(ch, "ANSWER")
        if script.behavior == "machine" or script.amd:
            status, cause = AMD_VALUES["machine" if script.behavior == "machine" else "answer"]
            self.switch.set_variable(ch, "AMDSTATUS", status)
            self.switch.set_variable(ch, "AMDCAUSE", cause)
        self.continue_after_answer(ch)
        if far is not None:
            far.dialplan = Dialplan(far.dialplan.context, far.dialplan.exten, 2, *_FAR_END_WAIT)
            self.switch.emit_channel(
                "ChannelDialplan",
                far,
                dialplan_app=_FAR_END_WAIT[0],
                dialplan_app_data=_FAR_END_WAIT[1],
            )
            if _has_caller_id(ch):
                self._emit_caller_id(far)
        if script.hangup_after is not None:
            self._later(ch, script.hangup_after, lambda: self.far_end_hangup(ch, cause=None))

    def continue_after_answer(self, ch: Channel) -> None:
        cont = self._continuations.pop(ch.id, None)
        if cont is None or ch.app is not None:
            return
        if cont.app:
            self.switch.enter_stasis(ch, cont.app, cont.app_args)
            return
        ch.dialplan = Dialplan(
            cont.context or ch.dialplan.context,
            cont.extension or ch.dialplan.exten,
            cont.priority,
        )
        self.run_dialplan(ch)

    def run_dialplan(self, ch: Channel) -> None:
        """Our one-line dialplan: Stasis contexts enter Stasis, the rest wait."""
        ch.runs_dialplan = True
        app_data = self.stasis_contexts.get(ch.dialplan.context)
        if app_data is not None:
            app, *args = app_data.replace("${EXTEN}", ch.dialplan.exten).split(",")
            self.switch.enter_stasis(ch, app, args)
        else:
            ch.dialplan.app_name, ch.dialplan.app_data = "Wait", "20"

    def far_end_hangup(self, ch: Channel, *, cause: int | None) -> None:
        """The remote party hangs up: a SIP BYE when ``cause`` is None."""
        if ch.hanging_up:
            return
        far = ch.local_peer
        if far is not None and far.app is None and ch.app is not None:
            # A Local half in Stasis is hung up by its other half ending, which Asterisk
            # reports with the cause on both halves.
            far_cause = cause if cause is not None else CAUSE_NORMAL
            self.switch.hangup(far, cause=far_cause, request_cause=far_cause)
            return
        self.switch.hangup(
            ch, cause=cause if cause is not None else CAUSE_NORMAL, request_cause=cause
        )

    def _later(self, ch: Channel, delay: float, action: Callable[[], None]) -> None:
        ch.timers.append(self.switch.clock.later(delay, action))
