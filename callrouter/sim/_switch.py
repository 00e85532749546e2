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

from callrouter.sim._base import JsonObj, SimAriError, SimClock, cause_text
from callrouter.sim._events import EventHub
from callrouter.sim._state import Application, Bridge, CallerId, Channel, EndpointScript

RTP_QOS_VARIABLES = {
    "RTPAUDIOQOS": "ssrc=1083595853;themssrc=0;lp=0;rxjitter=0.000000;rxcount=0;"
    "txjitter=0.000000;txcount=100;rlp=0;rtt=0.000000;rxmes=0.000000;txmes=0.000000",
    "RTPAUDIOQOSJITTER": "minrxjitter=000.000000;maxrxjitter=000.000000;"
    "avgrxjitter=000.000000;stdevrxjitter=000.000000;mintxjitter=000.000000;"
    "maxtxjitter=000.000000;avgtxjitter=000.000000;stdevtxjitter=000.000000;",
    "RTPAUDIOQOSLOSS": "  minrxlost=000.000000;  maxrxlost=000.000000;  avgrxlost=000.000000;"
    "  stdevrxlost=000.000000;  mintxlost=000.000000;  maxtxlost=000.000000;"
    "  avgtxlost=000.000000;  stdevtxlost=000.000000;",
    "RTPAUDIOQOSRTT": "     minrtt=000.000000;     maxrtt=000.000000;     avgrtt=000.000000;"
    "     stdevrtt=000.000000;",
    "RTPAUDIOQOSMES": "   minrxmes=000.000000;   maxrxmes=000.000000;   avgrxmes=000.000000;"
    "   stdevrxmes=000.000000;   mintxmes=000.000000;   maxtxmes=000.000000;"
    "   avgtxmes=000.000000;   stdevtxmes=000.000000;",
}

# The PBX thread's own soft hangup reports the softhangup flag, not a Q.850 cause:
# AST_SOFTHANGUP_APPUNLOAD (16) whatever the channel's hangup cause (real_d_*.jsonl).
SOFTHANGUP_APPUNLOAD = 16
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

    def application_json(self, app: Application) -> JsonObj:
        """GET /applications: Stasis and watched channels, watched bridges included."""
        data = app.to_json()
        data["channel_ids"] = [
            ch.id
            for ch in self.channels.values()
            if ch.app == app.name or app.name in ch.watchers or ch.id in app.channel_ids
        ]
        data["bridge_ids"] = [
            br.id
            for br in self.bridges.values()
            if app.name in br.watchers or br.id in app.bridge_ids
        ]
        return data

    def emit_channel(self, event_type: str, ch: Channel, **fields: Any) -> None:
        self.hub.emit(event_type, self.channel_apps(ch), **fields, channel=ch.to_json())

    # -- channel transitions -----------------------------------------------------
    def add_channel(self, ch: Channel) -> None:
        self.channels[ch.id] = ch

    def set_state(self, ch: Channel, state: str) -> None:
        if ch.state != state:
            ch.state = state
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
        self.emit_channel("StasisStart", ch, args=list(args))

    def leave_stasis(self, ch: Channel) -> None:
        if ch.app is None:
            return
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
    ) -> None:
        """Tear a channel down in Asterisk's order.

        ``request_cause`` is what ChannelHangupRequest reports: ``None`` for a SIP BYE
        (no ``cause`` field at all), SOFTHANGUP_EXPLICIT with ``soft`` for ARI DELETE, the
        Q.850 cause for AMI/CLI/far-end hangups. ``cause`` goes into ChannelDestroyed.
        ``quiet``: hung up without a request, as the dial API does with an originated
        channel that was never answered (no ChannelHangupRequest at all).
        """
        if ch.hanging_up:
            return
        ch.hanging_up = True
        ch.cancel_timers()
        if ch.tech == "PJSIP" and ch.state == "Up":
            # chan_pjsip stores the RTP quality report on the channel as it hangs up.
            for name, value in RTP_QOS_VARIABLES.items():
                self.set_variable(ch, name, value)
        request: dict[str, Any] = {}
        if request_cause is not None:
            request["cause"] = request_cause
        if soft:
            request["soft"] = True
        if not quiet:
            self.emit_channel("ChannelHangupRequest", ch, **request)
        if ch.dialing:
            ch.dialing = False
            self.emit_dial(ch, "CANCEL")
        self.listener.channel_gone(ch)
        if ch.bridge is not None:
            self.leave_bridge(ch)
        self.leave_stasis(ch)
        if not soft and not quiet:
            # The channel's own soft hangup once its PBX thread notices the request.
            self.emit_channel("ChannelHangupRequest", ch, cause=SOFTHANGUP_APPUNLOAD, soft=True)
        ch.hangup_cause = cause
        self.emit_channel("ChannelDestroyed", ch, cause=cause, cause_txt=cause_text(cause))
        del self.channels[ch.id]
        for app in self.hub.applications.values():
            if ch.id in app.channel_ids:
                app.channel_ids.remove(ch.id)
        dependants = [c for c in self.channels.values() if c.snoop_of == ch.id]
        if ch.local_peer is not None:
            dependants.append(ch.local_peer)
        for other in dependants:
            self.hangup(other, cause=cause, request_cause=cause)

    def emit_dial(self, peer: Channel, status: str, *, caller: Channel | None = None) -> None:
        fields: dict[str, Any] = {}
        apps = self.channel_apps(peer)
        if caller is not None:
            fields["caller"] = caller.to_json()
            apps |= self.channel_apps(caller)
        fields.update(
            dialstatus=status,
            forward="",
            dialstring=peer.resource,
            peer=peer.to_json(),
        )
        self.hub.emit("Dial", apps, **fields)

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
        for member in list(br.members):
            self.leave_bridge(member)
        self.listener.bridge_gone(br)
        self.hub.emit("BridgeDestroyed", self.bridge_apps(br), bridge=br.to_json())
        del self.bridges[br.id]
        for app in self.hub.applications.values():
            if br.id in app.bridge_ids:
                app.bridge_ids.remove(br.id)

    def join_bridge(self, br: Bridge, ch: Channel) -> None:
        # Adding a channel to the bridge it is in makes it leave and enter again.
        if ch.bridge is not None:
            self.leave_bridge(ch, moved=True)
        br.members.append(ch)
        ch.bridge = br
        if ch.app is not None:
            br.watchers.add(ch.app)
        apps = self.channel_apps(ch) | self.bridge_apps(br)
        self.hub.emit("ChannelEnteredBridge", apps, bridge=br.to_json(), channel=ch.to_json())
        self.update_bridgepeers(br)
        if not br.is_holding and len(br.members) == 2:
            other = br.members[0]
            ch.connected = CallerId(other.caller.name, other.caller.number)
            other.connected = CallerId(ch.caller.name, ch.caller.number)
            self.emit_channel("ChannelConnectedLine", ch)
            self.emit_channel("ChannelConnectedLine", other)

    def leave_bridge(self, ch: Channel, *, moved: bool = False) -> None:
        """``moved``: taken out by ARI (removeChannel, addChannel elsewhere) rather than
        hung up or kicked by the bridge's destruction; the channel's application then
        stops watching the bridge unless another of its channels is still in it or it
        subscribed explicitly (no BridgeDestroyed later, real_e_errors.jsonl)."""
        br = ch.bridge
        if br is None:
            return
        if ch.bridgepeer:
            ch.bridgepeer = ""
            self.set_variable(ch, "BRIDGEPEER", "")
        br.members.remove(ch)
        ch.bridge = None
        apps = self.channel_apps(ch) | self.bridge_apps(br)
        self.hub.emit("ChannelLeftBridge", apps, bridge=br.to_json(), channel=ch.to_json())
        if moved and ch.app is not None:
            self._unwatch_bridge(br, ch.app)
        self.update_bridgepeers(br)

    def _unwatch_bridge(self, br: Bridge, app: str) -> None:
        application = self.hub.applications.get(app)
        if application is not None and br.id in application.bridge_ids:
            return
        if any(member.app == app for member in br.members):
            return
        br.watchers.discard(app)

    def update_bridgepeers(self, br: Bridge) -> None:
        """Refresh BRIDGEPEER on each member, which Asterisk sets in mixing bridges."""
        if br.is_holding:
            return
        for member in br.members:
            peers = [
                *reversed(br.recorders),
                *(m.name for m in br.members if m is not member),
                *br.announcers,
            ]
            value = ",".join(peers)
            if value and value != member.bridgepeer:
                member.bridgepeer = value
                self.set_variable(member, "BRIDGEPEER", value)

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
