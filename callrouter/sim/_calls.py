"""Call flows: inbound calls, answering, the far end's keys, leaving Stasis.

Dialing (originate, create, dial and how scripted endpoints answer or fail) lives in
``_dialing``; ``CallFlows`` adds what happens to calls that are already up.

An inbound call is what the dialplan's ``Stasis()`` hands over: a channel running the
dialplan, so the application sees it only while it is in Stasis (no ChannelDestroyed
unless subscribed; captures hangup.jsonl, sip_caller_bye_in_stasis*.jsonl). On
``Local/...`` it is the ";2" half; its ";1" (the side that placed the call, in the
captures a CLI ``channel originate``) exists too and is listed by ``GET /channels``,
but no application watches it.
"""

from __future__ import annotations

import functools
import uuid

from callrouter.sim._base import SimAriError
from callrouter.sim._channels import new_channel
from callrouter.sim._dialing import Dialing
from callrouter.sim._state import CallerId, Channel, Dialplan

DEFAULT_STASIS_CONTEXTS: dict[str, str] = {"from-pstn": "callrouter,inbound"}
# Q.850 1: what a channel sent to an extension that does not exist ends with.
CAUSE_UNALLOCATED = 1


class CallFlows(Dialing):
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
        channel_id: str | None = None,
        other_channel_id: str | None = None,
    ) -> Channel:
        if not self.switch.hub.is_registered(app):
            raise SimAriError(409, f"Stasis application '{app}' is not registered")
        for wanted in (channel_id, other_channel_id):
            self.switch.check_new_channel_id(wanted)
        tech, _, resource = endpoint.partition("/")
        suffix = self.switch.next_name_suffix(tech)
        placer: Channel | None = None
        if tech == "Local":
            # Allocated first, as ast_request() makes ";1" before ";2".
            placer = new_channel(
                self.switch,
                tech=tech,
                resource=resource,
                name=f"Local/{resource}-{suffix};1",
                state="Down",
                caller=caller,
                dialplan=Dialplan(context, exten, 1, "AppDial2", "(Outgoing Line)"),
                channel_id=other_channel_id,
            )
        default_name = f"Local/{resource}-{suffix};2" if placer else f"{endpoint}-{suffix}"
        ch = new_channel(
            self.switch,
            tech=tech,
            resource=resource,
            name=channel_name or default_name,
            state="Ring",
            caller=caller,
            dialplan=Dialplan(context, exten, 2),
            channel_id=channel_id,
        )
        if placer is not None:
            placer.local_peer, ch.local_peer = ch, placer
        else:
            ch.protocol_id = f"{uuid.uuid4().hex}@127.0.0.1"
            ch.connected = CallerId()
        ch.variables.update(variables)
        self.switch.endpoint(tech, resource)
        self.switch.enter_stasis(ch, app, args)
        if hangup_after is not None:
            self._later(ch, hangup_after, lambda: self.far_end_hangup(ch, cause=None))
        return ch

    # -- answering, the far end --------------------------------------------------
    def answer(self, ch: Channel) -> None:
        self.switch.set_state(ch, "Up")
        peer = ch.local_peer
        if peer is not None and peer.state != "Up":
            self.switch.set_state(peer, "Up")
            self.continue_after_answer(peer)

    def far_end_dtmf(self, ch: Channel, digits: str, *, duration_ms: int, gap: float) -> None:
        for index, digit in enumerate(digits):
            self._later(ch, gap * index, functools.partial(self._dtmf, ch, digit, duration_ms))

    def _dtmf(self, ch: Channel, digit: str, duration_ms: int) -> None:
        self.switch.emit_channel("ChannelDtmfReceived", ch, digit=digit, duration_ms=duration_ms)
        self.switch.listener.dtmf_received(ch, digit)
        self.switch.pass_dtmf(ch, digit)

    # -- leaving Stasis ----------------------------------------------------------
    def continue_in_dialplan(
        self, ch: Channel, *, context: str | None, extension: str | None, priority: int | None
    ) -> None:
        if ch.bridge is not None:
            # Out of the bridge first, then out of Stasis (call_control/blind_transfer).
            self.switch.leave_bridge(ch, moved=True)
        self.switch.leave_stasis(ch)
        ch.dialplan.context = context or ch.dialplan.context
        ch.dialplan.exten = extension or ch.dialplan.exten
        ch.dialplan.priority = priority if priority is not None else ch.dialplan.priority + 1
        if ch.dialplan.context in self.missing_contexts:
            # No such extension: the PBX hangs the channel up, and no application
            # watches a dialplan channel any more: no event at all.
            self.switch.hangup(ch, cause=CAUSE_UNALLOCATED, request_cause=None, quiet=True)
            return
        self.run_dialplan(ch)

    def move(self, ch: Channel, *, app: str, args: list[str]) -> None:
        if not self.switch.hub.is_registered(app):
            self.switch.emit_channel("ApplicationMoveFailed", ch, destination=app, args=args)
            return
        self.switch.log.stasis_end(ch)
        self.switch.emit_channel("StasisEnd", ch)
        ch.app = None
        self.switch.enter_stasis(ch, app, args)
