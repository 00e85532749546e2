"""``/bridges``: where a caller meets an operator, waits on hold, or is recorded."""

from __future__ import annotations

from collections.abc import Sequence

from callrouter.ari._http import NOTHING, Http, Many, many, one, route
from callrouter.ari._models import Bridge, LiveRecording, Playback
from callrouter.ari._rest_channels import IfExists, TerminateOn

__all__ = ["BridgesApi"]

_ID = "/bridges/{bridgeId}"
_CREATE_QUERY = {"type": str, "name": str}
_PLAY_QUERY = {
    "media": Many, "lang": str, "offsetms": int, "skipms": int, "playbackId": str,
    "announcer_format": str,
}

LIST = route("GET", "/bridges", many(Bridge))
GET = route("GET", _ID, one(Bridge))
CREATE = route("POST", "/bridges", one(Bridge), query={**_CREATE_QUERY, "bridgeId": str})
CREATE_WITH_ID = route("POST", _ID, one(Bridge), query=_CREATE_QUERY)
DESTROY = route("DELETE", _ID, NOTHING)
ADD_CHANNEL = route("POST", _ID + "/addChannel", NOTHING, query={
    "channel": Many, "role": str, "absorbDTMF": bool, "mute": bool,
    "inhibitConnectedLineUpdates": bool,
})
REMOVE_CHANNEL = route("POST", _ID + "/removeChannel", NOTHING, query={"channel": Many})
MOH_START = route("POST", _ID + "/moh", NOTHING, query={"mohClass": str})
MOH_STOP = route("DELETE", _ID + "/moh", NOTHING)
PLAY = route("POST", _ID + "/play", one(Playback), query=_PLAY_QUERY)
RECORD = route("POST", _ID + "/record", one(LiveRecording), query={
    "name": str, "format": str, "recorder_format": str, "maxDurationSeconds": int,
    "maxSilenceSeconds": int, "ifExists": IfExists, "beep": bool, "terminateOn": TerminateOn,
})



class BridgesApi:
    """``client.bridges``."""

    def __init__(self, http: Http) -> None:
        self._http = http

    async def list(self) -> list[Bridge]:
        return await self._http.call(LIST)

    async def get(self, bridge_id: str) -> Bridge:
        return await self._http.call(GET, path={"bridgeId": bridge_id})

    async def create(
        self,
        *,
        type: str = "mixing",
        name: str | None = None,
        bridge_id: str | None = None,
    ) -> Bridge:
        """``type`` is comma-separated features ("mixing", "holding", "mixing,dtmf_events").
        With ``bridge_id``, ``POST /bridges/{bridgeId}``: a second create with the
        same id is ``AriConflict`` rather than a second bridge."""
        query = {"type": type, "name": name}
        if bridge_id is None:
            return await self._http.call(CREATE, query=query)
        return await self._http.call(CREATE_WITH_ID, path={"bridgeId": bridge_id}, query=query)

    async def destroy(self, bridge_id: str) -> None:
        await self._http.call(DESTROY, path={"bridgeId": bridge_id})

    async def add_channel(
        self,
        bridge_id: str,
        channel: str | Sequence[str],
        *,
        role: str | None = None,
        absorb_dtmf: bool | None = None,
        mute: bool | None = None,
        inhibit_connected_line_updates: bool | None = None,
    ) -> None:
        """Note Asterisk's codes: an unknown channel is 400 (not 404), a channel that
        is not in Stasis is 422."""
        await self._http.call(ADD_CHANNEL, path={"bridgeId": bridge_id}, query={
            "channel": channel, "role": role, "absorbDTMF": absorb_dtmf, "mute": mute,
            "inhibitConnectedLineUpdates": inhibit_connected_line_updates,
        })

    async def remove_channel(self, bridge_id: str, channel: str | Sequence[str]) -> None:
        await self._http.call(
            REMOVE_CHANNEL, path={"bridgeId": bridge_id}, query={"channel": channel}
        )

    async def start_moh(self, bridge_id: str, *, moh_class: str | None = None) -> None:
        await self._http.call(
            MOH_START, path={"bridgeId": bridge_id}, query={"mohClass": moh_class}
        )

    async def stop_moh(self, bridge_id: str) -> None:
        await self._http.call(MOH_STOP, path={"bridgeId": bridge_id})

    async def play(
        self,
        bridge_id: str,
        media: str | Sequence[str],
        *,
        playback_id: str | None = None,
        lang: str | None = None,
        offsetms: int | None = None,
        skipms: int | None = None,
        announcer_format: str | None = None,
    ) -> Playback:
        return await self._http.call(PLAY, path={"bridgeId": bridge_id}, query={
            "media": media, "playbackId": playback_id, "lang": lang,
            "offsetms": offsetms, "skipms": skipms, "announcer_format": announcer_format,
        })

    async def record(
        self,
        bridge_id: str,
        *,
        name: str,
        format: str = "wav",
        recorder_format: str | None = None,
        max_duration_seconds: int | None = None,
        max_silence_seconds: int | None = None,
        if_exists: IfExists | None = None,
        beep: bool | None = None,
        terminate_on: TerminateOn | None = None,
    ) -> LiveRecording:
        """``name`` is required: Asterisk answers 500 "Error parsing request" without it."""
        return await self._http.call(RECORD, path={"bridgeId": bridge_id}, query={
            "name": name, "format": format, "recorder_format": recorder_format,
            "maxDurationSeconds": max_duration_seconds,
            "maxSilenceSeconds": max_silence_seconds, "ifExists": if_exists,
            "beep": beep, "terminateOn": terminate_on,
        })
