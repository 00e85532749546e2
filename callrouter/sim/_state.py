"""The simulated PBX's objects and their ARI JSON shapes.

These classes hold state only; every rule about how they change lives in ``_switch``,
``_dialing`` and ``_media``. ``to_json()`` gives exactly the fields (and the order) that
Asterisk 22 sends, so REST answers and event payloads share one serialisation.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Literal

from callrouter.sim._base import JsonObj, ari_timestamp

Behavior = Literal["answer", "busy", "noanswer", "congestion", "unreachable", "stale", "machine"]
BEHAVIORS: tuple[Behavior, ...] = (
    "answer",
    "busy",
    "noanswer",
    "congestion",
    "unreachable",
    "stale",
    "machine",
)


@dataclass
class CallerId:
    name: str = ""
    number: str = ""

    def to_json(self) -> JsonObj:
        return {"name": self.name, "number": self.number}

    @classmethod
    def parse(cls, text: str | None) -> CallerId:
        """``"Alice" <5551234>``, ``Alice <5551234>`` or a bare number."""
        if not text:
            return cls()
        if "<" in text and text.endswith(">"):
            name, _, number = text[:-1].partition("<")
            return cls(name=name.strip().strip('"'), number=number.strip())
        return cls(number=text.strip())


@dataclass
class Dialplan:
    context: str
    exten: str
    priority: int = 1
    app_name: str = ""
    app_data: str = ""

    def to_json(self) -> JsonObj:
        return {
            "context": self.context,
            "exten": self.exten,
            "priority": self.priority,
            "app_name": self.app_name,
            "app_data": self.app_data,
        }

    def copy(self) -> Dialplan:
        return Dialplan(self.context, self.exten, self.priority, self.app_name, self.app_data)


@dataclass(eq=False)
class Channel:
    id: str
    name: str
    state: str
    caller: CallerId
    connected: CallerId
    dialplan: Dialplan
    creationtime: float
    tech: str
    resource: str
    protocol_id: str = ""
    language: str = "en"
    accountcode: str = ""
    variables: dict[str, str] = field(default_factory=dict)
    # The Stasis application the channel is in, and the args it entered with.
    app: str | None = None
    app_args: list[str] = field(default_factory=list)
    # Apps that keep getting this channel's events outside Stasis: the originator and
    # explicit subscribers. A dialplan channel has none, hence no ChannelDestroyed.
    watchers: set[str] = field(default_factory=set)
    # A PBX thread runs the dialplan on it (inbound calls, Local ";2", originate to an
    # extension). Its end adds a soft ChannelHangupRequest {16}; a channel originated
    # straight into an application never gets one (sip_op_answer_then_bye.jsonl).
    runs_dialplan: bool = True
    # How it came to be, for the channel log: "inbound" (POST /sim/calls), "originate",
    # "create" (POST /channels, /channels/create; both Local halves), "snoop".
    origin: str = "inbound"
    bridge: Bridge | None = None
    # The other half of a Local channel pair (";1" <-> ";2").
    local_peer: Channel | None = None
    # Channel made by POST /channels/create, waiting for POST /dial.
    dialable: bool = False
    dialing: bool = False
    # The channel POST /channels/{id}/dial named as ``caller``: its Dial events carry it.
    dialed_by: Channel | None = None
    dialplan_before_stasis: Dialplan | None = None
    on_hold: bool = False
    moh_class: str | None = None
    muted: str | None = None
    hanging_up: bool = False
    hangup_cause: int | None = None
    snoop_of: str | None = None
    # A snoop channel's directions (none/in/out/both): what the application hears of
    # the snooped channel (spy) and where its own audio goes (whisper).
    snoop_spy: str | None = None
    snoop_whisper: str | None = None
    # DTMF the application sent towards the far end (POST /channels/{id}/dtmf).
    sent_dtmf: str = ""
    # Bridge features of the addChannel that put it in its bridge, until it leaves:
    # absorbDTMF keeps its keys from the other members (ARI still reports them as
    # ChannelDtmfReceived), mute keeps its audio from them.
    absorb_dtmf: bool = False
    bridge_mute: bool = False
    # Keys the far end heard from the other members of its bridge.
    heard_dtmf: str = ""
    timers: list[asyncio.TimerHandle] = field(default_factory=list)

    @property
    def endpoint_key(self) -> str:
        return f"{self.tech}/{self.resource}"

    def to_json(self) -> JsonObj:
        return {
            "id": self.id,
            "name": self.name,
            "state": self.state,
            "protocol_id": self.protocol_id,
            "caller": self.caller.to_json(),
            "connected": self.connected.to_json(),
            "accountcode": self.accountcode,
            "dialplan": self.dialplan.to_json(),
            "creationtime": ari_timestamp(self.creationtime),
            "language": self.language,
        }

    def bridge_peer(self) -> Channel | None:
        """ast_channel_bridge_peer(): the other party of a two-party mixing bridge; a
        Recorder or Announcer in the bridge counts as a party, a holding bridge has none."""
        br = self.bridge
        if br is None or br.is_holding:
            return None
        if len(br.members) + len(br.recorders) + len(br.announcers) != 2:
            return None
        return next((m for m in br.members if m is not self), None)

    def cancel_timers(self) -> None:
        for handle in self.timers:
            handle.cancel()
        self.timers.clear()


@dataclass(eq=False)
class Bridge:
    id: str
    bridge_type: str
    name: str
    creationtime: float
    members: list[Channel] = field(default_factory=list)
    # Recorder/Announcer channels Asterisk puts in a bridge to record or play into it;
    # invisible in ``channels`` but they show in the members' BRIDGEPEER.
    recorders: list[str] = field(default_factory=list)
    announcers: list[str] = field(default_factory=list)
    watchers: set[str] = field(default_factory=set)
    moh_class: str | None = None
    # Apps one of whose channels left by hanging up: they stay subscribed to the bridge
    # (its BridgeDestroyed reaches them, call_control/snoop_supervisor.jsonl).
    kept_by_hangup: set[str] = field(default_factory=set)
    # The Announcer Asterisk adds to a mixing bridge playing music on hold.
    moh_announcer: str | None = None
    variables: dict[str, str] = field(default_factory=dict)
    # A mixing bridge turns softmix with three parties or music, after the event that
    # made it so (call_control/three_way.jsonl, hold_and_moh.jsonl).
    softmix: bool = False

    @property
    def technology(self) -> str:
        if self.is_holding:
            return "holding_bridge"
        return "softmix" if self.softmix else "simple_bridge"

    @property
    def is_holding(self) -> bool:
        return "holding" in self.bridge_type.split(",")

    def to_json(self) -> JsonObj:
        return {
            "id": self.id,
            "technology": self.technology,
            "bridge_type": "holding" if self.is_holding else "mixing",
            "bridge_class": "stasis",
            "creator": "Stasis",
            "name": self.name,
            "channels": [member.id for member in self.members],
            "creationtime": ari_timestamp(self.creationtime),
            "video_mode": "talker",
        }


Target = Channel | Bridge


def target_uri(target: Target) -> str:
    kind = "channel" if isinstance(target, Channel) else "bridge"
    return f"{kind}:{target.id}"


@dataclass(eq=False)
class Playback:
    id: str
    media: list[str]
    target: Target
    language: str
    state: str = "queued"
    index: int = 0
    timer: asyncio.TimerHandle | None = None
    announcer: str | None = None
    # Simulated seconds left of the current item while paused; None while playing.
    item_started: float = 0.0
    item_seconds: float | None = None
    remaining: float | None = None

    def to_json(self) -> JsonObj:
        data: JsonObj = {
            "id": self.id,
            "media_uri": self.media[self.index],
            "target_uri": target_uri(self.target),
            "language": self.language,
            "state": self.state,
        }
        if self.index + 1 < len(self.media) and self.state in ("playing", "continuing"):
            data["next_media_uri"] = self.media[self.index + 1]
        return data


@dataclass(eq=False)
class LiveRecording:
    name: str
    format: str
    target: Target
    if_exists: str
    max_duration: float
    terminate_on: str
    state: str = "queued"
    started_at: float = 0.0
    paused_since: float | None = None
    paused_total: float = 0.0
    muted: bool = False
    duration: int | None = None
    cause: str | None = None
    timer: asyncio.TimerHandle | None = None
    recorder: str | None = None

    def to_json(self) -> JsonObj:
        data: JsonObj = {
            "name": self.name,
            "format": self.format,
            "state": self.state,
            "target_uri": target_uri(self.target),
        }
        if self.duration is not None:
            data["duration"] = self.duration
        if self.cause is not None:
            data["cause"] = self.cause
        return data


@dataclass
class EndpointScript:
    """How the far end behind an endpoint acts when the switch calls it."""

    tech: str
    resource: str
    online: bool = True
    behavior: Behavior = "answer"
    answer_after: float = 0.0
    hangup_after: float | None = None
    amd: bool = False
    # The endpoint's dialplan context, shown by its outgoing channels before they
    # answer (pjsip.conf ``context``); None: the originate's context, else "default".
    context: str | None = None

    @property
    def key(self) -> str:
        return f"{self.tech}/{self.resource}"

    @property
    def reachable(self) -> bool:
        """Whether Asterisk can build a call to it. A PJSIP endpoint whose contact is
        Unavail is offline: originate fails (sip_op_unreachable). Behind a Local
        channel the dialplan runs anyway and only the far end's Dial fails."""
        if self.tech == "Local":
            return True
        return self.online and self.behavior != "unreachable"

    def to_ari_json(self, channel_ids: list[str]) -> JsonObj:
        """The ARI Endpoint object."""
        return {
            "technology": self.tech,
            "resource": self.resource,
            "state": "online" if self.reachable else "offline",
            "channel_ids": channel_ids,
        }

    def to_json(self) -> JsonObj:
        return {
            "technology": self.tech,
            "resource": self.resource,
            "online": self.online,
            "behavior": self.behavior,
            "answer_after": self.answer_after,
            "hangup_after": self.hangup_after,
            "amd": self.amd,
            "context": self.context,
        }


@dataclass(eq=False)
class Application:
    name: str
    channel_ids: list[str] = field(default_factory=list)
    bridge_ids: list[str] = field(default_factory=list)
    endpoint_ids: list[str] = field(default_factory=list)
    device_names: list[str] = field(default_factory=list)
    events_allowed: list[JsonObj] = field(default_factory=list)
    events_disallowed: list[JsonObj] = field(default_factory=list)

    def to_json(self) -> JsonObj:
        return {
            "name": self.name,
            "channel_ids": list(self.channel_ids),
            "bridge_ids": list(self.bridge_ids),
            "endpoint_ids": list(self.endpoint_ids),
            "device_names": list(self.device_names),
            "events_allowed": list(self.events_allowed),
            "events_disallowed": list(self.events_disallowed),
        }
