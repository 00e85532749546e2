"""``/channels``: originate, answer, play, bridge-free channel control."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

from callrouter.ari._http import NOTHING, Http, Many, many, one, route
from callrouter.ari._models import Channel, LiveRecording, Playback, Variable

__all__ = ["ChannelsApi", "HangupReason", "IfExists", "SnoopDirection", "TerminateOn"]

HangupReason = Literal[
    "normal", "busy", "congestion", "no_answer", "timeout", "rejected", "unallocated",
    "normal_unspecified", "number_incomplete", "codec_mismatch", "interworking", "failure",
    "answered_elsewhere",
]
SnoopDirection = Literal["none", "both", "out", "in"]
IfExists = Literal["fail", "overwrite", "append"]
TerminateOn = Literal["none", "any", "*", "#"]

_ORIGINATE_QUERY = {
    "endpoint": str, "extension": str, "context": str, "priority": int, "label": str,
    "app": str, "appArgs": str, "callerId": str, "timeout": int, "otherChannelId": str,
    "originator": str, "formats": str,
}
_VARIABLES = {"variables": dict}
_ID = "/channels/{channelId}"

LIST = route("GET", "/channels", many(Channel))
GET = route("GET", _ID, one(Channel))
ORIGINATE = route("POST", "/channels", one(Channel),
                  query={**_ORIGINATE_QUERY, "channelId": str}, body=_VARIABLES)
ORIGINATE_WITH_ID = route("POST", _ID, one(Channel), query=_ORIGINATE_QUERY, body=_VARIABLES)
CREATE = route("POST", "/channels/create", one(Channel), query={
    "endpoint": str, "app": str, "appArgs": str, "channelId": str, "otherChannelId": str,
    "originator": str, "formats": str,
}, body=_VARIABLES)
HANGUP = route("DELETE", _ID, NOTHING, query={"reason": HangupReason, "reason_code": str})
ANSWER = route("POST", _ID + "/answer", NOTHING)
RING = route("POST", _ID + "/ring", NOTHING)
RING_STOP = route("DELETE", _ID + "/ring", NOTHING)
HOLD = route("POST", _ID + "/hold", NOTHING)
UNHOLD = route("DELETE", _ID + "/hold", NOTHING)
MOH_START = route("POST", _ID + "/moh", NOTHING, query={"mohClass": str})
MOH_STOP = route("DELETE", _ID + "/moh", NOTHING)
PLAY = route("POST", _ID + "/play", one(Playback), query={
    "media": Many, "lang": str, "offsetms": int, "skipms": int, "playbackId": str,
})
RECORD = route("POST", _ID + "/record", one(LiveRecording), query={
    "name": str, "format": str, "maxDurationSeconds": int, "maxSilenceSeconds": int,
    "ifExists": IfExists, "beep": bool, "terminateOn": TerminateOn,
})
DIAL = route("POST", _ID + "/dial", NOTHING, query={"caller": str, "timeout": int})
GET_VAR = route("GET", _ID + "/variable", one(Variable), query={"variable": str})
SET_VAR = route("POST", _ID + "/variable", NOTHING, query={"variable": str, "value": str})
REDIRECT = route("POST", _ID + "/redirect", NOTHING, query={"endpoint": str})
CONTINUE = route("POST", _ID + "/continue", NOTHING, query={
    "context": str, "extension": str, "priority": int, "label": str,
})
SNOOP = route("POST", _ID + "/snoop", one(Channel), query={
    "spy": SnoopDirection, "whisper": SnoopDirection, "app": str, "appArgs": str,
    "snoopId": str,
})
DTMF = route("POST", _ID + "/dtmf", NOTHING, query={
    "dtmf": str, "before": int, "between": int, "duration": int, "after": int,
})


class ChannelsApi:
    """``client.channels``. Every method that names a channel raises ``AriNotFound``
    once it has hung up: an everyday race, for the caller to catch."""

    def __init__(self, http: Http) -> None:
        self._http = http

    async def list(self) -> list[Channel]:
        return await self._http.call(LIST)

    async def get(self, channel_id: str) -> Channel:
        return await self._http.call(GET, path={"channelId": channel_id})

    async def originate(
        self,
        *,
        endpoint: str,
        channel_id: str | None = None,
        app: str | None = None,
        app_args: str | None = None,
        extension: str | None = None,
        context: str | None = None,
        priority: int | None = None,
        label: str | None = None,
        caller_id: str | None = None,
        timeout: int | None = None,  # noqa: ASYNC109 - Asterisk's ring timeout, in seconds
        variables: Mapping[str, str] | None = None,
        other_channel_id: str | None = None,
        originator: str | None = None,
        formats: str | None = None,
    ) -> Channel:
        """Dial ``endpoint`` into ``app`` (or a dialplan extension). With ``channel_id``
        the new channel gets that id (``POST /channels/{channelId}``), so events about
        it can be recognised before this call returns."""
        query: dict[str, object] = {
            "endpoint": endpoint, "app": app, "appArgs": app_args, "extension": extension,
            "context": context, "priority": priority, "label": label,
            "callerId": caller_id, "timeout": timeout, "otherChannelId": other_channel_id,
            "originator": originator, "formats": formats,
        }
        body = {"variables": variables}
        if channel_id is None:
            return await self._http.call(ORIGINATE, query=query, body=body)
        return await self._http.call(
            ORIGINATE_WITH_ID, path={"channelId": channel_id}, query=query, body=body
        )

    async def create(
        self,
        *,
        endpoint: str,
        app: str,
        app_args: str | None = None,
        channel_id: str | None = None,
        other_channel_id: str | None = None,
        originator: str | None = None,
        formats: str | None = None,
        variables: Mapping[str, str] | None = None,
    ) -> Channel:
        """A channel that is not dialled until :meth:`dial`."""
        return await self._http.call(CREATE, query={
            "endpoint": endpoint, "app": app, "appArgs": app_args, "channelId": channel_id,
            "otherChannelId": other_channel_id, "originator": originator,
            "formats": formats,
        }, body={"variables": variables})

    async def hangup(
        self,
        channel_id: str,
        *,
        reason: HangupReason | None = None,
        reason_code: str | None = None,
    ) -> None:
        await self._http.call(
            HANGUP, path={"channelId": channel_id},
            query={"reason": reason, "reason_code": reason_code},
        )

    async def answer(self, channel_id: str) -> None:
        await self._http.call(ANSWER, path={"channelId": channel_id})

    async def ring(self, channel_id: str) -> None:
        await self._http.call(RING, path={"channelId": channel_id})

    async def ring_stop(self, channel_id: str) -> None:
        await self._http.call(RING_STOP, path={"channelId": channel_id})

    async def hold(self, channel_id: str) -> None:
        await self._http.call(HOLD, path={"channelId": channel_id})

    async def unhold(self, channel_id: str) -> None:
        await self._http.call(UNHOLD, path={"channelId": channel_id})

    async def start_moh(self, channel_id: str, *, moh_class: str | None = None) -> None:
        await self._http.call(
            MOH_START, path={"channelId": channel_id}, query={"mohClass": moh_class}
        )

    async def stop_moh(self, channel_id: str) -> None:
        await self._http.call(MOH_STOP, path={"channelId": channel_id})

    async def play(
        self,
        channel_id: str,
        media: str | Sequence[str],
        *,
        playback_id: str | None = None,
        lang: str | None = None,
        offsetms: int | None = None,
        skipms: int | None = None,
    ) -> Playback:
        """Play ``sound:...`` (several play in turn); ``playback_id`` names the playback
        so its PlaybackFinished can be matched before this call returns."""
        return await self._http.call(PLAY, path={"channelId": channel_id}, query={
            "media": media, "playbackId": playback_id, "lang": lang,
            "offsetms": offsetms, "skipms": skipms,
        })

    async def record(
        self,
        channel_id: str,
        *,
        name: str,
        format: str = "wav",
        max_duration_seconds: int | None = None,
        max_silence_seconds: int | None = None,
        if_exists: IfExists | None = None,
        beep: bool | None = None,
        terminate_on: TerminateOn | None = None,
    ) -> LiveRecording:
        return await self._http.call(RECORD, path={"channelId": channel_id}, query={
            "name": name, "format": format, "maxDurationSeconds": max_duration_seconds,
            "maxSilenceSeconds": max_silence_seconds, "ifExists": if_exists,
            "beep": beep, "terminateOn": terminate_on,
        })

    async def dial(
        self,
        channel_id: str,
        *,
        caller: str | None = None,
        timeout: int | None = None,  # noqa: ASYNC109 - Asterisk's ring timeout, in seconds
    ) -> None:
        await self._http.call(
            DIAL, path={"channelId": channel_id}, query={"caller": caller, "timeout": timeout}
        )

    async def get_variable(self, channel_id: str, variable: str) -> str:
        found = await self._http.call(
            GET_VAR, path={"channelId": channel_id}, query={"variable": variable}
        )
        return found.value

    async def set_variable(self, channel_id: str, variable: str, value: str) -> None:
        await self._http.call(
            SET_VAR, path={"channelId": channel_id},
            query={"variable": variable, "value": value},
        )

    async def redirect(self, channel_id: str, *, endpoint: str) -> None:
        await self._http.call(
            REDIRECT, path={"channelId": channel_id}, query={"endpoint": endpoint}
        )

    async def continue_in_dialplan(
        self,
        channel_id: str,
        *,
        context: str | None = None,
        extension: str | None = None,
        priority: int | None = None,
        label: str | None = None,
    ) -> None:
        await self._http.call(CONTINUE, path={"channelId": channel_id}, query={
            "context": context, "extension": extension, "priority": priority,
            "label": label,
        })

    async def snoop(
        self,
        channel_id: str,
        *,
        app: str,
        spy: SnoopDirection | None = None,
        whisper: SnoopDirection | None = None,
        app_args: str | None = None,
        snoop_id: str | None = None,
    ) -> Channel:
        """A channel that listens to (``spy``) and/or talks into (``whisper``) another:
        supervisors' monitor and coaching."""
        return await self._http.call(SNOOP, path={"channelId": channel_id}, query={
            "app": app, "spy": spy, "whisper": whisper, "appArgs": app_args,
            "snoopId": snoop_id,
        })

    async def send_dtmf(
        self,
        channel_id: str,
        dtmf: str,
        *,
        before: int | None = None,
        between: int | None = None,
        duration: int | None = None,
        after: int | None = None,
    ) -> None:
        await self._http.call(DTMF, path={"channelId": channel_id}, query={
            "dtmf": dtmf, "before": before, "between": between, "duration": duration,
            "after": after,
        })
