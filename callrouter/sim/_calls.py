"""Call flows: inbound calls, originate and dial to scripted endpoints, the far end.

Theory of operation: a call the switch places rings its endpoint's script
(``EndpointScript``): after ``answer_after`` simulated seconds it answers, or it fails
with the script's Q.850 cause; the originate ``timeout`` ends an unanswered call with
cause 19. ``Local/exten@context`` gives two channels as in Asterisk: ";1" is the one
the application originated and ";2" runs the context. If the context is a Stasis
context (``stasis_contexts``, e.g. ``from-pstn`` -> ``Stasis(callrouter,inbound)``),
";2" enters Stasis at once; otherwise ";2" stands for the far end and follows the
script of endpoint ``Local/exten@context``.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from callrouter.sim._base import (
    CAUSE_BUSY,
    CAUSE_CONGESTION,
    CAUSE_NO_ANSWER,
    CAUSE_NORMAL,
    CAUSE_SUBSCRIBER_ABSENT,
    JsonObj,
    SimAriError,
)
from callrouter.sim._channels import new_channel, outgoing, split_endpoint
from callrouter.sim._state import CallerId, Channel, Dialplan, EndpointScript
from callrouter.sim._switch import Switch

DEFAULT_STASIS_CONTEXTS: dict[str, str] = {"from-pstn": "callrouter,inbound"}
# The far end's dialplan for ";2" of an answered Local call, as in the captures.
_FAR_END_WAIT = ("Wait", "30")
_DIAL_STATUS = {
    CAUSE_BUSY: "BUSY",
    CAUSE_CONGESTION: "CONGESTION",
    CAUSE_NO_ANSWER: "NOANSWER",
    CAUSE_SUBSCRIBER_ABSENT: "CHANUNAVAIL",
}
_FAILING: dict[str, int] = {
    "busy": CAUSE_BUSY,
    "congestion": CAUSE_CONGESTION,
    "unreachable": CAUSE_SUBSCRIBER_ABSENT,
}
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


class CallFlows:
    def __init__(self, *, switch: Switch, stasis_contexts: dict[str, str]) -> None:
        self.switch = switch
        self.stasis_contexts = stasis_contexts
        self._continuations: dict[str, Continuation] = {}

    # -- inbound -----------------------------------------------------------------
    def place_inbound(
        self,
        *,
        caller: CallerId,
        exten: str,
        context: str,
        app: str,
        args: list[str],
        endpoint: str,
        channel_name: str | None,
        variables: dict[str, str],
        hangup_after: float | None,
    ) -> Channel:
        if not self.switch.hub.is_registered(app):
            raise SimAriError(409, f"Stasis application '{app}' is not registered")
        tech, _, resource = endpoint.partition("/")
        suffix = self.switch.next_name_suffix(tech)
        default_name = f"Local/{resource}-{suffix};2" if tech == "Local" else f"{endpoint}-{suffix}"
        ch = new_channel(
            self.switch,
            tech=tech,
            resource=resource,
            name=channel_name or default_name,
            state="Ring",
            caller=caller,
            dialplan=Dialplan(context, exten, 2),
        )
        if tech != "Local":
            ch.protocol_id = f"{uuid.uuid4().hex}@127.0.0.1"
            ch.connected = CallerId()
        ch.variables.update(variables)
        self.switch.endpoint(tech, resource)
        self.switch.enter_stasis(ch, app, args)
        if hangup_after is not None:
            self._later(ch, hangup_after, lambda: self.far_end_hangup(ch, cause=None))
        return ch

    # -- originate / create / dial -----------------------------------------------
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
        )
        ch.variables.update(variables)
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
        )
        ch.variables.update(variables)
        ch.dialable = True
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
        if far is not None and _has_caller_id(ch):
            self._emit_caller_id(far)
            self.switch.emit_channel("ChannelConnectedLine", far)
        self.switch.emit_dial(ch, "", caller=caller)
        if not script.online:
            self._later(ch, 0.0, lambda: self._fail(ch, CAUSE_SUBSCRIBER_ABSENT, caller))
        elif script.behavior in _FAILING:
            cause = _FAILING[script.behavior]
            self._later(ch, script.answer_after, lambda: self._fail(ch, cause, caller))
        else:
            # A Local ";1" only rings if its ";2" dialplan runs Ringing(); ours does not.
            ringing = script.answer_after > 0 or script.behavior == "noanswer"
            if ringing and far is None:
                self.switch.set_state(ch, "Ringing")
            if script.behavior != "noanswer":
                self._later(ch, script.answer_after, lambda: self._answered(ch, script, caller))
        if timeout > 0 and originated:
            self._later(ch, timeout, lambda: self._originate_timed_out(ch))
        elif timeout > 0:
            self._later(ch, timeout, lambda: self._fail(ch, CAUSE_NO_ANSWER, caller))

    def _originate_timed_out(self, ch: Channel) -> None:
        """The dial API gives up: no Dial end (there is no caller to publish it for) and
        no hangup request, just ChannelDestroyed 19; a Local ";2" is hung up with 19
        (real_d_originate_noanswer.jsonl)."""
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

    def _fail(self, ch: Channel, cause: int, caller: Channel | None) -> None:
        if not ch.dialing:
            return
        ch.dialing = False
        self.switch.emit_dial(ch, _DIAL_STATUS.get(cause, "CHANUNAVAIL"), caller=caller)
        self.switch.hangup(ch, cause=cause, request_cause=cause)

    def _answered(self, ch: Channel, script: EndpointScript, caller: Channel | None) -> None:
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
        self.switch.emit_dial(ch, "ANSWER", caller=caller)
        if script.behavior == "machine" or script.amd:
            status, cause = AMD_VALUES["machine" if script.behavior == "machine" else "answer"]
            self.switch.set_variable(ch, "AMDSTATUS", status)
            self.switch.set_variable(ch, "AMDCAUSE", cause)
        self._continue_after_answer(ch)
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

    def _continue_after_answer(self, ch: Channel) -> None:
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
        app_data = self.stasis_contexts.get(ch.dialplan.context)
        if app_data is not None:
            app, *args = app_data.split(",")
            self.switch.enter_stasis(ch, app, args)
        else:
            ch.dialplan.app_name, ch.dialplan.app_data = "Wait", "20"

    # -- answering, the far end --------------------------------------------------
    def answer(self, ch: Channel) -> None:
        self.switch.set_state(ch, "Up")
        peer = ch.local_peer
        if peer is not None and peer.state != "Up":
            self.switch.set_state(peer, "Up")
            self._continue_after_answer(peer)

    def far_end_hangup(self, ch: Channel, *, cause: int | None) -> None:
        """The remote party hangs up: a SIP BYE when ``cause`` is None."""
        if ch.hanging_up:
            return
        far = ch.local_peer
        if far is not None and far.app is None and ch.app is not None:
            # Our Local ";1" is hung up by its ";2" ending, which Asterisk reports with
            # the cause on ";2" and on ";1" alike.
            far_cause = cause if cause is not None else CAUSE_NORMAL
            self.switch.hangup(far, cause=far_cause, request_cause=far_cause)
            return
        self.switch.hangup(
            ch, cause=cause if cause is not None else CAUSE_NORMAL, request_cause=cause
        )

    def far_end_dtmf(self, ch: Channel, digits: str, *, duration_ms: int, gap: float) -> None:
        for index, digit in enumerate(digits):
            self._later(ch, gap * index, functools.partial(self._dtmf, ch, digit, duration_ms))

    def _dtmf(self, ch: Channel, digit: str, duration_ms: int) -> None:
        self.switch.emit_channel("ChannelDtmfReceived", ch, digit=digit, duration_ms=duration_ms)
        self.switch.listener.dtmf_received(ch, digit)

    def _later(self, ch: Channel, delay: float, action: Callable[[], None]) -> None:
        ch.timers.append(self.switch.clock.later(delay, action))

    # -- leaving Stasis ----------------------------------------------------------
    def continue_in_dialplan(
        self, ch: Channel, *, context: str | None, extension: str | None, priority: int | None
    ) -> None:
        self.switch.leave_stasis(ch)
        ch.dialplan.context = context or ch.dialplan.context
        ch.dialplan.exten = extension or ch.dialplan.exten
        ch.dialplan.priority = priority if priority is not None else ch.dialplan.priority + 1
        self.run_dialplan(ch)

    def move(self, ch: Channel, *, app: str, args: list[str]) -> None:
        if not self.switch.hub.is_registered(app):
            self.switch.emit_channel("ApplicationMoveFailed", ch, destination=app, args=args)
            return
        self.switch.emit_channel("StasisEnd", ch)
        ch.app = None
        self.switch.enter_stasis(ch, app, args)

    def snoop(self, spied: Channel, *, app: str, args: list[str], snoop_id: str | None) -> Channel:
        self.switch.check_new_channel_id(snoop_id)
        suffix = self.switch.next_name_suffix("Snoop")
        ch = new_channel(
            self.switch,
            tech="Snoop",
            resource=spied.id,
            name=f"Snoop/{spied.id}-{suffix}",
            state="Up",
            caller=CallerId(),
            dialplan=Dialplan("default", "s", 1),
            channel_id=snoop_id,
        )
        ch.snoop_of = spied.id
        self._watch(ch, app)
        self.switch.enter_stasis(ch, app, args)
        return ch
