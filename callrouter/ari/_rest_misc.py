"""Recordings, playbacks, applications, endpoints and the Asterisk system resource."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from callrouter.ari._http import NOTHING, RAW, Http, Many, Route, WholeBody, many, one, route
from callrouter.ari._models import (
    Application,
    AsteriskInfo,
    AsteriskPing,
    Endpoint,
    LiveRecording,
    Playback,
    Sound,
    StoredRecording,
)
from callrouter.ari.errors import AriBadRequest, AriNotFound, AriUnprocessable

__all__ = [
    "ApplicationsApi", "AsteriskApi", "EndpointsApi", "PlaybacksApi", "RecordingsApi", "SoundsApi",
]

_LIVE = "/recordings/live/{recordingName}"
_STORED = "/recordings/stored/{recordingName}"
_APP = "/applications/{applicationName}"

LIVE_GET = route("GET", _LIVE, one(LiveRecording))
LIVE_CANCEL = route("DELETE", _LIVE, NOTHING)
LIVE_STOP = route("POST", _LIVE + "/stop", NOTHING)
LIVE_PAUSE = route("POST", _LIVE + "/pause", NOTHING)
LIVE_UNPAUSE = route("DELETE", _LIVE + "/pause", NOTHING)
LIVE_MUTE = route("POST", _LIVE + "/mute", NOTHING)
LIVE_UNMUTE = route("DELETE", _LIVE + "/mute", NOTHING)
STORED_LIST = route("GET", "/recordings/stored", many(StoredRecording))
STORED_GET = route("GET", _STORED, one(StoredRecording))
STORED_FILE = route("GET", _STORED + "/file", RAW)
STORED_DELETE = route("DELETE", _STORED, NOTHING)
PLAYBACK_GET = route("GET", "/playbacks/{playbackId}", one(Playback))
PLAYBACK_STOP = route("DELETE", "/playbacks/{playbackId}", NOTHING)
APP_LIST = route("GET", "/applications", many(Application))
APP_GET = route("GET", _APP, one(Application))
APP_SUBSCRIBE = route("POST", _APP + "/subscription", one(Application),
                      query={"eventSource": Many})
APP_UNSUBSCRIBE = route("DELETE", _APP + "/subscription", one(Application),
                        query={"eventSource": Many})
APP_FILTER = route("PUT", _APP + "/eventFilter", one(Application), body={"filter": WholeBody})
ENDPOINT_LIST = route("GET", "/endpoints", many(Endpoint))
ENDPOINT_GET = route("GET", "/endpoints/{tech}/{resource}", one(Endpoint))
INFO = route("GET", "/asterisk/info", one(AsteriskInfo), query={"only": Many})
PING = route("GET", "/asterisk/ping", one(AsteriskPing))
SOUND_GET = route("GET", "/sounds/{soundId}", one(Sound))


class RecordingsApi:
    """``client.recordings``: live recordings by name, then the stored files."""

    def __init__(self, http: Http) -> None:
        self._http = http

    async def _live(self, route_: Route[None], name: str) -> None:
        await self._http.call(route_, path={"recordingName": name})

    async def get_live(self, name: str) -> LiveRecording:
        return await self._http.call(LIVE_GET, path={"recordingName": name})

    async def stop(self, name: str) -> None:
        """Stop and keep the file (RecordingFinished follows)."""
        await self._live(LIVE_STOP, name)

    async def cancel(self, name: str) -> None:
        """Stop and throw the file away."""
        await self._live(LIVE_CANCEL, name)

    async def pause(self, name: str) -> None:
        await self._live(LIVE_PAUSE, name)

    async def unpause(self, name: str) -> None:
        await self._live(LIVE_UNPAUSE, name)

    async def mute(self, name: str) -> None:
        await self._live(LIVE_MUTE, name)

    async def unmute(self, name: str) -> None:
        await self._live(LIVE_UNMUTE, name)

    async def list_stored(self) -> list[StoredRecording]:
        return await self._http.call(STORED_LIST)

    async def get_stored(self, name: str) -> StoredRecording:
        return await self._http.call(STORED_GET, path={"recordingName": name})

    async def get_stored_file(self, name: str) -> bytes:
        return await self._http.call(STORED_FILE, path={"recordingName": name})

    async def delete_stored(self, name: str) -> None:
        await self._http.call(STORED_DELETE, path={"recordingName": name})


class PlaybacksApi:
    """``client.playbacks``."""

    def __init__(self, http: Http) -> None:
        self._http = http

    async def get(self, playback_id: str) -> Playback:
        return await self._http.call(PLAYBACK_GET, path={"playbackId": playback_id})

    async def stop(self, playback_id: str) -> None:
        await self._http.call(PLAYBACK_STOP, path={"playbackId": playback_id})


class ApplicationsApi:
    """``client.applications``. Subscriptions of our own application are remembered,
    so they can be restored after the events WebSocket reconnects."""

    def __init__(self, http: Http, *, own_app: str) -> None:
        self._http = http
        self._own_app = own_app
        self._sources: set[str] = set()

    @property
    def subscriptions(self) -> frozenset[str]:
        return frozenset(self._sources)

    async def list(self) -> list[Application]:
        return await self._http.call(APP_LIST)

    async def get(self, name: str) -> Application:
        return await self._http.call(APP_GET, path={"applicationName": name})

    async def subscribe(self, name: str, event_source: str | Sequence[str]) -> Application:
        """``event_source``: ``channel:<id>``, ``bridge:<id>``, ``endpoint:<tech>/<res>``,
        ``deviceState:<name>``. A subscribed channel also sends ChannelDestroyed after
        StasisEnd (without one, Asterisk stops at StasisEnd)."""
        sources = [event_source] if isinstance(event_source, str) else list(event_source)
        app = await self._http.call(
            APP_SUBSCRIBE, path={"applicationName": name}, query={"eventSource": sources}
        )
        if name == self._own_app:
            self._sources.update(sources)
        return app

    async def unsubscribe(self, name: str, event_source: str | Sequence[str]) -> Application:
        sources = [event_source] if isinstance(event_source, str) else list(event_source)
        if name == self._own_app:
            self._sources.difference_update(sources)
        return await self._http.call(
            APP_UNSUBSCRIBE, path={"applicationName": name}, query={"eventSource": sources}
        )

    async def filter_events(self, name: str, allowed: Iterable[str]) -> Application:
        """Have Asterisk send ``name`` only these event types (Asterisk 13.26/16.3+)."""
        types = [{"type": event_type} for event_type in sorted(allowed)]
        return await self._http.call(
            APP_FILTER, path={"applicationName": name}, body={"filter": {"allowed": types}}
        )

    async def resubscribe(self) -> None:
        """Restore our subscriptions one by one; a source that is gone is forgotten."""
        for source in sorted(self._sources):
            try:
                await self._http.call(
                    APP_SUBSCRIBE, path={"applicationName": self._own_app},
                    query={"eventSource": [source]},
                )
            except (AriNotFound, AriUnprocessable, AriBadRequest):
                self._sources.discard(source)


class EndpointsApi:
    """``client.endpoints``: whether an operator's phone is registered."""

    def __init__(self, http: Http) -> None:
        self._http = http

    async def list(self) -> list[Endpoint]:
        return await self._http.call(ENDPOINT_LIST)

    async def get(self, tech: str, resource: str) -> Endpoint:
        return await self._http.call(ENDPOINT_GET, path={"tech": tech, "resource": resource})


class AsteriskApi:
    """``client.asterisk``."""

    def __init__(self, http: Http) -> None:
        self._http = http

    async def info(self, *, only: Sequence[str] | None = None) -> AsteriskInfo:
        """``only``: any of build, system, config, status."""
        return await self._http.call(INFO, query={"only": only})

    async def ping(self) -> AsteriskPing:
        return await self._http.call(PING)


class SoundsApi:
    """``client.sounds``: the prompts installed on Asterisk (a missing one plays silence)."""

    def __init__(self, http: Http) -> None:
        self._http = http

    async def get(self, sound_id: str) -> Sound:
        """``AriNotFound`` when no such sound is installed."""
        return await self._http.call(SOUND_GET, path={"soundId": sound_id})
