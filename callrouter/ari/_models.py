"""ARI resources as typed, immutable values, field for field from ``ari-spec/*.json``.

Fields the spec marks required are required here, so an answer that lacks one fails
loudly at the boundary; fields it marks optional (or leaves unmarked) default to None.
Unknown fields are kept (``extra="allow"``): each Asterisk release adds a few, and a
newer Asterisk must not break an older callrouter. Class names are the spec's model
names; the contract test matches them one to one.

Text that callrouter stores (caller ID, channel name, dialplan location) is
:data:`~callrouter.text.StorableStr`: a NUL in a caller name must not cost the call its
row, so it becomes U+FFFD here, at the edge (:mod:`callrouter.text`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from callrouter.text import StorableStr

__all__ = [
    "Application",
    "AriModel",
    "AsteriskInfo",
    "AsteriskPing",
    "Bridge",
    "BuildInfo",
    "CallerID",
    "Channel",
    "ConfigInfo",
    "DeviceState",
    "DialplanCEP",
    "Endpoint",
    "FormatLangPair",
    "LiveRecording",
    "Playback",
    "SetId",
    "Sound",
    "StatusInfo",
    "StoredRecording",
    "SystemInfo",
    "Variable",
]


class AriModel(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)


class CallerID(AriModel):
    name: StorableStr
    number: StorableStr


class DialplanCEP(AriModel):
    context: StorableStr
    exten: StorableStr
    priority: int
    app_name: StorableStr
    app_data: StorableStr


class Channel(AriModel):
    id: str
    name: StorableStr
    state: str
    protocol_id: StorableStr
    caller: CallerID
    connected: CallerID
    accountcode: StorableStr
    dialplan: DialplanCEP
    creationtime: datetime
    language: str
    channelvars: dict[str, Any] | None = None
    caller_rdnis: StorableStr | None = None
    tenantid: str | None = None


class Bridge(AriModel):
    id: str
    technology: str
    bridge_type: str
    bridge_class: str
    creator: str
    name: str
    channels: list[str]
    creationtime: datetime
    video_mode: str | None = None
    video_source_id: str | None = None
    bridgevars: dict[str, Any] | None = None


class Playback(AriModel):
    id: str
    media_uri: str
    target_uri: str
    state: str
    next_media_uri: str | None = None
    language: str | None = None


class LiveRecording(AriModel):
    name: str
    format: str
    target_uri: str
    state: str
    duration: int | None = None
    talking_duration: int | None = None
    silence_duration: int | None = None
    cause: str | None = None


class StoredRecording(AriModel):
    name: str
    format: str


class Endpoint(AriModel):
    technology: str
    resource: str
    channel_ids: list[str]
    state: str | None = None


class Application(AriModel):
    name: str
    channel_ids: list[str]
    bridge_ids: list[str]
    endpoint_ids: list[str]
    device_names: list[str]
    events_allowed: list[dict[str, Any]]
    events_disallowed: list[dict[str, Any]]


class DeviceState(AriModel):
    name: str
    state: str


class Variable(AriModel):
    value: StorableStr


class BuildInfo(AriModel):
    os: str
    kernel: str
    options: str
    machine: str
    date: str
    user: str


class SystemInfo(AriModel):
    version: str
    entity_id: str


class SetId(AriModel):
    user: str
    group: str


class ConfigInfo(AriModel):
    name: str
    default_language: str
    setid: SetId
    max_channels: int | None = None
    max_open_files: int | None = None
    max_load: float | None = None


class StatusInfo(AriModel):
    startup_time: datetime
    last_reload_time: datetime


class AsteriskInfo(AriModel):
    build: BuildInfo | None = None
    system: SystemInfo | None = None
    config: ConfigInfo | None = None
    status: StatusInfo | None = None


class FormatLangPair(AriModel):
    language: str
    format: str


class Sound(AriModel):
    id: str
    text: str | None = None
    formats: list[FormatLangPair] = []


class AsteriskPing(AriModel):
    asterisk_id: str
    ping: str
    timestamp: str
