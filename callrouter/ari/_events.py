"""WebSocket events as typed models (``ari-spec/events.json``), and their parser.

A class's name is the event's ``type``. Types callrouter does not model arrive as
:class:`UnknownEvent` (type and raw dict) so a newer Asterisk cannot crash us; a frame
that is not JSON, or an event that does not fit its model, is logged once and skipped.
Text fields callrouter may store (Stasis arguments, hangup cause text, variables) are
:data:`~callrouter.text.StorableStr`, as in :mod:`callrouter.ari._models`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
import structlog
from pydantic import ValidationError

from callrouter.ari._models import (
    AriModel,
    Bridge,
    Channel,
    DeviceState,
    Endpoint,
    LiveRecording,
    Playback,
)
from callrouter.text import StorableStr

__all__ = [
    "EVENT_TYPES",
    "AnyEvent",
    "ApplicationRegistered",
    "ApplicationReplaced",
    "ApplicationUnregistered",
    "BridgeCreated",
    "BridgeDestroyed",
    "BridgeMerged",
    "ChannelCallerId",
    "ChannelConnectedLine",
    "ChannelCreated",
    "ChannelDestroyed",
    "ChannelDialplan",
    "ChannelDtmfReceived",
    "ChannelEnteredBridge",
    "ChannelHangupRequest",
    "ChannelHold",
    "ChannelLeftBridge",
    "ChannelStateChange",
    "ChannelTalkingFinished",
    "ChannelTalkingStarted",
    "ChannelUnhold",
    "ChannelUserevent",
    "ChannelVarset",
    "DeviceStateChanged",
    "Dial",
    "EndpointStateChange",
    "Event",
    "PlaybackContinuing",
    "PlaybackFinished",
    "PlaybackStarted",
    "RecordingFailed",
    "RecordingFinished",
    "RecordingStarted",
    "StasisEnd",
    "StasisStart",
    "UnknownEvent",
    "decode_frame",
    "parse_event",
    "peek_type",
    "validate_event",
]

log = structlog.get_logger(__name__)
_SNIPPET = 200


class Event(AriModel):
    """Fields every event has (spec models ``Message`` and ``Event``)."""

    type: str
    application: str
    timestamp: datetime
    asterisk_id: str | None = None


@dataclass(frozen=True, slots=True)
class UnknownEvent:
    """An event type we have no model for, passed on as Asterisk sent it."""

    type: str
    raw: dict[str, Any]


AnyEvent = Event | UnknownEvent


# -- channel life --------------------------------------------------------------------
class _OnChannel(Event):
    channel: Channel


class StasisStart(_OnChannel):
    args: list[StorableStr]
    replace_channel: Channel | None = None


class StasisEnd(_OnChannel):
    pass


class ChannelCreated(_OnChannel):
    pass


class ChannelStateChange(_OnChannel):
    pass


class ChannelConnectedLine(_OnChannel):
    pass


class ChannelUnhold(_OnChannel):
    pass


class ChannelTalkingStarted(_OnChannel):
    pass


class ChannelTalkingFinished(_OnChannel):
    duration: int


class ChannelHold(_OnChannel):
    musicclass: str | None = None


class ChannelHangupRequest(_OnChannel):
    # Absent for a SIP BYE; 0 from the CLI; the AMI Cause otherwise.
    cause: int | None = None
    tech_cause: int | None = None
    soft: bool | None = None


class ChannelDestroyed(_OnChannel):
    cause: int
    cause_txt: StorableStr
    tech_cause: int | None = None


class ChannelDtmfReceived(_OnChannel):
    digit: str
    duration_ms: int


class ChannelDialplan(_OnChannel):
    dialplan_app: StorableStr
    dialplan_app_data: StorableStr


class ChannelCallerId(_OnChannel):
    caller_presentation: int
    caller_presentation_txt: str


class ChannelVarset(Event):
    variable: StorableStr
    value: StorableStr
    channel: Channel | None = None  # None for a global variable


class ChannelUserevent(Event):
    eventname: str
    userevent: dict[str, Any]
    channel: Channel | None = None
    bridge: Bridge | None = None
    endpoint: Endpoint | None = None


class Dial(Event):
    peer: Channel
    dialstatus: StorableStr
    caller: Channel | None = None
    forward: StorableStr | None = None
    forwarded: Channel | None = None
    dialstring: StorableStr | None = None


# -- bridges -------------------------------------------------------------------------
class _OnBridge(Event):
    bridge: Bridge


class BridgeCreated(_OnBridge):
    pass


class BridgeDestroyed(_OnBridge):
    pass


class BridgeMerged(_OnBridge):
    bridge_from: Bridge


class ChannelEnteredBridge(_OnBridge):
    channel: Channel | None = None


class ChannelLeftBridge(_OnBridge):
    channel: Channel


# -- media ---------------------------------------------------------------------------
class _OnPlayback(Event):
    playback: Playback


class PlaybackStarted(_OnPlayback):
    pass


class PlaybackContinuing(_OnPlayback):
    pass


class PlaybackFinished(_OnPlayback):
    pass


class _OnRecording(Event):
    recording: LiveRecording


class RecordingStarted(_OnRecording):
    pass


class RecordingFinished(_OnRecording):
    pass


class RecordingFailed(_OnRecording):
    pass


# -- endpoints, devices, the application ---------------------------------------------
class EndpointStateChange(Event):
    endpoint: Endpoint


class DeviceStateChanged(Event):
    device_state: DeviceState


class ApplicationReplaced(Event):
    """Another WebSocket registered our application name: we no longer get events."""


class ApplicationRegistered(Event):
    pass


class ApplicationUnregistered(Event):
    pass


def _concrete(cls: type[Event]) -> list[type[Event]]:
    found: list[type[Event]] = []
    for sub in cls.__subclasses__():
        if not sub.__name__.startswith("_"):
            found.append(sub)
        found.extend(_concrete(sub))
    return found


EVENT_TYPES: dict[str, type[Event]] = {cls.__name__: cls for cls in _concrete(Event)}


def parse_event(frame: str | bytes) -> AnyEvent | None:
    """One WebSocket text frame as an event; None (and one log line) if unreadable."""
    raw = decode_frame(frame)
    return None if raw is None else validate_event(raw)


def decode_frame(frame: str | bytes) -> dict[str, Any] | None:
    """The frame's JSON object, whose ``type`` is a string; None (one log line) if not.

    Split from :func:`validate_event` so a client can drop the many event types it
    has no handler for (Dial, ChannelVarset, bridge and playback chatter) on their
    ``type`` alone, without paying for a model it would throw away.
    """
    try:
        raw = orjson.loads(frame)
    except orjson.JSONDecodeError:
        # orjson refuses what the json module takes (an escaped lone surrogate in a
        # caller name, which storable text replaces later): ask the json module.
        try:
            raw = json.loads(frame)
        except (ValueError, RecursionError) as exc:  # RecursionError: "[[[[..." too deep
            log.warning("ari_event_malformed", error=str(exc), frame=str(frame)[:_SNIPPET])
            return None
    if not isinstance(raw, dict) or not isinstance(raw.get("type"), str):
        log.warning(
            "ari_event_malformed", error="not an object with a type", frame=str(frame)[:_SNIPPET]
        )
        return None
    return raw


_LEADING_TYPE = re.compile(r'\{\s*"type"\s*:\s*"([A-Za-z]+)"')


def peek_type(frame: str | bytes) -> str | None:
    """The event type of a frame that names it first, as Asterisk's frames do; None
    if it does not (then only decoding tells). Lets a client drop the events it has no
    handler for without decoding them at all."""
    if isinstance(frame, bytes):
        return None
    found = _LEADING_TYPE.match(frame)
    return found.group(1) if found else None


def validate_event(raw: dict[str, Any]) -> AnyEvent | None:
    """A decoded frame as its typed event; None (one log line) if it breaks the model."""
    model = EVENT_TYPES.get(raw["type"])
    if model is None:
        return UnknownEvent(type=raw["type"], raw=raw)
    try:
        return model.model_validate(raw)
    except RecursionError:
        log.warning("ari_event_invalid", type=raw["type"], errors=1, error="nested too deeply")
        return None
    except ValidationError as exc:
        log.warning(
            "ari_event_invalid",
            type=raw["type"],
            errors=exc.error_count(),
            error=str(exc).replace("\n", " ")[: _SNIPPET * 2],
        )
        return None
