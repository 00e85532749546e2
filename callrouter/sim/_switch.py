"""The switch: registries of channels and bridges, and the transitions every call shares.

Rules:
- Every state change that Asterisk reports is made here, and emits its event here, so
  the order of events for one channel is fixed in one place (see ``hangup``).
- Events are routed by ``channel_apps`` / ``bridge_apps``: a dialplan channel is seen by
  its Stasis app only while in Stasis; channels the app originated or subscribed to stay
  visible until ChannelDestroyed (captures: hangup.jsonl vs hangup_subscribed.jsonl).
- Lookups raise ``SimAriError`` with Asterisk's own answers, so REST handlers stay thin.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any, Protocol

from callrouter.sim._base import (
    RTP_QOS_VARIABLES,
    JsonObj,
    SimAriError,
    SimClock,
    cause_text,
    sip_status,
)
from callrouter.sim._channel_log import ChannelLog
from callrouter.sim._events import EventHub
from callrouter.sim._state import Application, Bridge, CallerId, Channel, EndpointScript

# The PBX thread's own soft hangup reports the softhangup flag, not a Q.850 cause:
# AST_SOFTHANGUP_APPUNLOAD (16) whatever the channel's hangup cause (real_d_*.jsonl).
SOFTHANGUP_APPUNLOAD = 16
# What a mixing bridge sets on its members, cleared (if set) as each one leaves.
_BRIDGE_PEER_VARIABLES = ("BRIDGEPEER", "BRIDGEPVTCALLID")
# Technologies whose channels share core_unreal's name counter, as in Asterisk.
_UNREAL_TECHS = ("Local", "Recorder", "Announcer", "Snoop")


class SwitchListener(Protocol):
    """What owns media on channels and bridges must hear when they go away."""

    def channel_gone(self, ch: Channel) -> None: ...

    def bridge_gone(self, br: Bridge) -> None: ...

    def dtmf_received(self, ch: Channel, digit: str) -> None: ...


class _NoListener:
    def channel_gone(self, ch: Channel) -> None:
        del ch

    def bridge_gone(self, br: Bridge) -> None:
        del br

    def dtmf_received(self, ch: Channel, digit: str) -> None:
        del ch, digit


class Switch:
    def __init__(self, *, clock: SimClock, hub: EventHub) -> None:
        self.clock = clock
        self.hub = hub
        self.listener: SwitchListener = _NoListener()
        self.channels: dict[str, Channel] = {}
        self.bridges: dict[str, Bridge] = {}
        self.endpoints: dict[str, EndpointScript] = {}
        self.log = ChannelLog(clock=clock)
        self._uniqueid_seq = itertools.count()
        self._name_seqs: dict[str, Iterator[int]] = {}

    # -- identifiers -------------------------------------------------------------
    def new_channel_id(self) -> str:
        return f"{int(self.clock.now())}.{next(self._uniqueid_seq)}"

    def next_name_suffix(self, tech: str) -> str:
        counter_key = "unreal" if tech in _UNREAL_TECHS else tech
        counter = self._name_seqs.setdefault(counter_key, itertools.count())
        return f"{next(counter):08x}"

    def check_new_channel_id(self, channel_id: str | None) -> None:
        if channel_id and channel_id in self.channels:
            raise SimAriError(409, "Channel with given unique ID already exists")

    # -- lookups -----------------------------------------------------------------
    def channel(self, channel_id: str) -> Channel:
        try:
            return self.channels[channel_id]
        except KeyError:
            raise SimAriError(404, "Channel not found") from None

    def stasis_channel(self, channel_id: str) -> Channel:
        ch = self.channel(channel_id)
        if ch.app is None:
            raise SimAriError(409, "Channel not in Stasis application")
        return ch

    def bridge(self, bridge_id: str, *, reason: str = "Not Found") -> Bridge:
        try:
            return self.bridges[bridge_id]
        except KeyError:
            raise SimAriError(404, "Bridge not found", reason=reason) from None

    def application(self, name: str) -> Application:
        try:
            return self.hub.applications[name]
        except KeyError:
            raise SimAriError(404, "Application not found") from None

    def endpoint(self, tech: str, resource: str) -> EndpointScript:
        """The script for an endpoint; unscripted endpoints answer at once."""
        key = f"{tech}/{resource}"
        script = self.endpoints.get(key)
        if script is None:
            script = EndpointScript(tech=tech, resource=resource)
            self.endpoints[key] = script
        return script

    # -- routing -----------------------------------------------------------------
    def channel_apps(self, ch: Channel) -> set[str]:
        apps = set(ch.watchers)
        if ch.app is not None:
            apps.add(ch.app)
        for app in self.hub.applications.values():
            if ch.endpoint_key in app.endpoint_ids or ch.tech in app.endpoint_ids:
                apps.add(app.name)
        return apps

    def bridge_apps(self, br: Bridge) -> set[str]:
        return set(br.watchers)

    def emit_channel(self, event_type: str, ch: Channel, **fields: Any) -> None:
        self.hub.emit(event_type, self.channel_apps(ch), **fields, channel=ch.to_json())

    # -- channel transitions -----------------------------------------------------
    def add_channel(self, ch: Channel) -> None:
        self.channels[ch.id] = ch
        self.log.created(ch)

    def set_state(self, ch: Channel, state: str) -> None:
        if ch.state != state:
            ch.state = state
            self.log.state(ch, state)
            self.emit_channel("ChannelStateChange", ch)

    def set_variable(self, ch: Channel, name: str, value: str) -> None:
        ch.variables[name] = value
        self.emit_channel("ChannelVarset", ch, variable=name, value=value)

    def enter_stasis(self, ch: Channel, app: str, args: list[str]) -> None:
        # Reaches the originating app only: a dialplan channel is not watched yet.
        self.set_variable(ch, "STASISSTATUS", "")
        ch.dialplan_before_stasis = ch.dialplan.copy()
        ch.dialplan.app_name = "Stasis"
        ch.dialplan.app_data = ",".join([app, *args])
        ch.app = app
        ch.app_args = list(args)
        self.log.stasis_start(ch, app, args)
        self.emit_channel("StasisStart", ch, args=list(args))

    def leave_stasis(self, ch: Channel) -> None:
        if ch.app is None:
            return
        self.log.stasis_end(ch)
        self.emit_channel("StasisEnd", ch)
        ch.app = None
        if ch.dialplan_before_stasis is not None:
            ch.dialplan = ch.dialplan_before_stasis
            ch.dialplan_before_stasis = None
        self.set_variable(ch, "STASISSTATUS", "SUCCESS")

    def hangup(
        self,
        ch: Channel,
        *,
        cause: int,
        request_cause: int | None,
        soft: bool = False,
        quiet: bool = False,
        tech_cause: int | None = None,
        dial_status: str = "NOANSWER",
    ) -> None:
        """Tear a channel down in Asterisk's order.

        ``request_cause`` is what ChannelHangupRequest reports: ``None`` for a SIP BYE
        (no ``cause`` field at all), SOFTHANGUP_EXPLICIT with ``soft`` for ARI DELETE, the
        Q.850 cause for AMI/CLI/far-end hangups. ``cause`` goes into ChannelDestroyed.
        ``tech_cause``: the far end's SIP final response that ended the call (486, 408),
        in both events; otherwise a PJSIP channel's ChannelDestroyed reports the status
        its own CANCEL carried for ``cause`` (hangup_cause2sip), if any.
        ``quiet``: hung up without a request, as the dial API does with an originated
        channel that was never answered (no ChannelHangupRequest and no Dial end).
        ``dial_status``: the Dial event ending a dial still in progress; NOANSWER also
        when ARI cancels it (sip_op_noanswer_cancel*.jsonl: never CANCEL).
        """
        if ch.hanging_up:
            return
        ch.hanging_up = True
        ch.cancel_timers()
        if ch.tech == "PJSIP" and ch.state == "Up":
            self._store_rtp_report(ch)
        request: dict[str, Any] = {}
        if request_cause is not None:
            request["cause"] = request_cause
        if tech_cause is not None:
            request["tech_cause"] = tech_cause
        if soft:
            request["soft"] = True
        if not quiet:
            self.log.hangup_request(ch, request)
            self.emit_channel("ChannelHangupRequest", ch, **request)
            if ch.dialing:
                self.emit_dial(ch, dial_status)
        ch.dialing = False
        self.listener.channel_gone(ch)
        if ch.bridge is not None:
            self.leave_bridge(ch)
        self.leave_stasis(ch)
        if not soft and not quiet and ch.runs_dialplan:
            # The channel's own soft hangup once its PBX thread notices the request.
            self.emit_channel("ChannelHangupRequest", ch, cause=SOFTHANGUP_APPUNLOAD, soft=True)
        self._destroy(ch, cause, tech_cause)

    def _destroy(self, ch: Channel, cause: int, tech_cause: int | None) -> None:
        ch.hangup_cause = cause
        if tech_cause is None and ch.tech == "PJSIP":
            tech_cause = sip_status(cause)
        destroyed: dict[str, Any] = {"cause": cause, "cause_txt": cause_text(cause)}
        if tech_cause is not None:
            destroyed["tech_cause"] = tech_cause
        self.emit_channel("ChannelDestroyed", ch, **destroyed)
        self.log.destroyed(ch, cause=cause, tech_cause=tech_cause)
        del self.channels[ch.id]
        for app in self.hub.applications.values():
            if ch.id in app.channel_ids:
                app.channel_ids.remove(ch.id)
        # A snoop dies with the channel it snoops on, without a hangup request: its
        # application sees only StasisEnd (call_control/snoop_directions.jsonl).
        for snoop in [c for c in self.channels.values() if c.snoop_of == ch.id]:
            self.hangup(snoop, cause=cause, request_cause=None, quiet=True)
        if ch.local_peer is not None:
            self.hangup(ch.local_peer, cause=cause, request_cause=cause)

    def _store_rtp_report(self, ch: Channel) -> None:
        """chan_pjsip stores the RTP quality report on the channel as it hangs up, and
        the ``…BRIDGED`` copy on its bridge peer (sip_op_answer_then_bye.jsonl)."""
        peer = ch.bridge_peer()
        for name, value in RTP_QOS_VARIABLES.items():
            self.set_variable(ch, name, value)
            if peer is not None:
                self.set_variable(peer, name + "BRIDGED", value)

    def emit_dial(self, peer: Channel, status: str) -> None:
        # An originated leg's Dial has no ``caller``: the dial API has none to name.
        fields: dict[str, Any] = {}
        apps = self.channel_apps(peer)
        if peer.dialed_by is not None:
            fields["caller"] = peer.dialed_by.to_json()
            apps |= self.channel_apps(peer.dialed_by)
        fields.update(
            dialstatus=status,
            forward="",
            dialstring=peer.resource,
            peer=peer.to_json(),
        )
        self.log.dial(peer, status)
        self.hub.emit("Dial", apps, **fields)

    # -- endpoints ---------------------------------------------------------------
    def endpoint_json(self, script: EndpointScript) -> JsonObj:
        ids = [ch.id for ch in self.channels.values() if ch.endpoint_key == script.key]
        return script.to_ari_json(ids)

    def set_online(self, script: EndpointScript, *, online: bool) -> None:
        was_reachable = script.reachable
        script.online = online
        self.endpoint_changed(script, was_reachable=was_reachable)

    def endpoint_changed(self, script: EndpointScript, *, was_reachable: bool) -> None:
        """Apps watching an endpoint hear EndpointStateChange when it goes on/offline."""
        if was_reachable != script.reachable and script.tech != "Local":
            watchers = [
                app.name
                for app in self.hub.applications.values()
                if script.key in app.endpoint_ids or script.tech in app.endpoint_ids
            ]
            self.hub.emit("EndpointStateChange", watchers, endpoint=self.endpoint_json(script))

    # -- bridges -----------------------------------------------------------------
    def check_new_bridge_id(self, bridge_id: str) -> None:
        if bridge_id in self.bridges:
            raise SimAriError(409, f"Bridge with id '{bridge_id}' already exists")

    def create_bridge(self, *, bridge_id: str, bridge_type: str, name: str) -> Bridge:
        self.check_new_bridge_id(bridge_id)
        br = Bridge(id=bridge_id, bridge_type=bridge_type, name=name, creationtime=self.clock.now())
        self.bridges[bridge_id] = br
        # Nobody watches a bridge yet: only subscribeAll apps hear of its creation.
        self.hub.emit("BridgeCreated", (), bridge=br.to_json())
        return br

    def destroy_bridge(self, br: Bridge) -> None:
        # Its channels are put out as by a move: only an application subscribed to the
        # bridge, or one of whose channels left it by hanging up, hears BridgeDestroyed
        # (call_control/move_between_bridges.jsonl).
        for member in list(br.members):
            self.leave_bridge(member, moved=True)
        self.listener.bridge_gone(br)
        self.hub.emit("BridgeDestroyed", self.bridge_apps(br), bridge=br.to_json())
        del self.bridges[br.id]
        for app in self.hub.applications.values():
            if br.id in app.bridge_ids:
                app.bridge_ids.remove(br.id)

    def join_bridge(
        self, br: Bridge, ch: Channel, *, absorb_dtmf: bool = False, mute: bool = False
    ) -> None:
        # Adding a channel to the bridge it is in makes it leave and enter again.
        if ch.bridge is not None:
            self.leave_bridge(ch, moved=True)
        br.members.append(ch)
        ch.bridge = br
        ch.absorb_dtmf, ch.bridge_mute = absorb_dtmf, mute
        if ch.app is not None:
            br.watchers.add(ch.app)
        apps = self.channel_apps(ch) | self.bridge_apps(br)
        self.log.entered_bridge(ch, br)
        self.hub.emit("ChannelEnteredBridge", apps, bridge=br.to_json(), channel=ch.to_json())
        self.update_bridgepeers(br)
        if not br.is_holding and len(br.members) == 2:
            self._connect_lines(ch, br.members[0])
        self._mix_for(br)

    def pass_dtmf(self, ch: Channel, digit: str) -> None:
        """A key pressed on ``ch``'s phone reaches the other members of its mixing
        bridge, unless ``ch`` joined it with absorbDTMF (a holding bridge passes none)."""
        br = ch.bridge
        if br is None or br.is_holding or ch.absorb_dtmf:
            return
        for member in br.members:
            if member is not ch:
                member.heard_dtmf += digit

    def _connect_lines(self, first: Channel, second: Channel) -> None:
        """Two parties left in a mixing bridge learn who they talk to; a party whose
        connected line does not change hears nothing (call_control/snoop_supervisor)."""
        changed = []
        for ch, other in ((first, second), (second, first)):
            line = CallerId(other.caller.name, other.caller.number)
            if line != ch.connected:
                changed.append(ch)
            ch.connected = line
        for ch in changed:
            self.emit_channel("ChannelConnectedLine", ch)

    @staticmethod
    def _mix_for(br: Bridge) -> None:
        # After the event that changed the head count (call_control/three_way.jsonl).
        br.softmix = len(br.members) >= 3 or br.moh_announcer is not None

    def leave_bridge(self, ch: Channel, *, moved: bool = False) -> None:
        """``moved``: taken out by ARI (removeChannel, addChannel elsewhere) rather than
        hung up or kicked by the bridge's destruction; the channel's application then
        stops watching the bridge unless another of its channels is still in it or it
        subscribed explicitly (no BridgeDestroyed later, real_e_errors.jsonl)."""
        br = ch.bridge
        if br is None:
            return
        for name in _BRIDGE_PEER_VARIABLES:
            if ch.variables.get(name):
                self.set_variable(ch, name, "")
        br.members.remove(ch)
        ch.bridge = None
        ch.absorb_dtmf = ch.bridge_mute = False  # features last one stay in one bridge
        apps = self.channel_apps(ch) | self.bridge_apps(br)
        self.log.left_bridge(ch, br)
        self.hub.emit("ChannelLeftBridge", apps, bridge=br.to_json(), channel=ch.to_json())
        if moved and ch.app is not None:
            self._unwatch_bridge(br, ch.app)
        elif ch.app is not None:
            br.kept_by_hangup.add(ch.app)
        self.update_bridgepeers(br)
        if br.softmix and not br.is_holding and len(br.members) == 2:
            self._connect_lines(*br.members)  # three became two
        self._mix_for(br)

    def _unwatch_bridge(self, br: Bridge, app: str) -> None:
        application = self.hub.applications.get(app)
        if application is not None and br.id in application.bridge_ids:
            return
        if app in br.kept_by_hangup:
            return
        if any(member.app == app for member in br.members):
            return
        br.watchers.discard(app)

    def update_bridgepeers(self, br: Bridge) -> None:
        """Refresh BRIDGEPEER on each member, which Asterisk sets in mixing bridges, and
        BRIDGEPVTCALLID (the peer's SIP Call-ID) when there are two parties."""
        if br.is_holding:
            return
        for member in br.members:
            others = [m.name for m in br.members if m is not member]
            if member is not br.members[-1]:
                others.reverse()  # the latest to join first (call_control/three_way.jsonl)
            peers = [
                *([br.moh_announcer] if br.moh_announcer else []),
                *reversed(br.recorders),
                *others,
                *br.announcers,
            ]
            value = ",".join(peers)
            if value and value != member.variables.get("BRIDGEPEER"):
                self.set_variable(member, "BRIDGEPEER", value)
            peer = member.bridge_peer()
            call_id = peer.protocol_id if peer is not None and peer.tech == "PJSIP" else ""
            if call_id and call_id != member.variables.get("BRIDGEPVTCALLID"):
                self.set_variable(member, "BRIDGEPVTCALLID", call_id)

    def add_helper_channel(self, br: Bridge, tech: str) -> str:
        """Put a Recorder/Announcer pseudo-channel in a bridge; returns its name."""
        name = f"{tech}/ARI-{self.next_name_suffix(tech)};2"
        (br.recorders if tech == "Recorder" else br.announcers).append(name)
        self.update_bridgepeers(br)
        return name

    def remove_helper_channel(self, br: Bridge, name: str) -> None:
        for helpers in (br.recorders, br.announcers):
            if name in helpers:
                helpers.remove(name)
        self.update_bridgepeers(br)
