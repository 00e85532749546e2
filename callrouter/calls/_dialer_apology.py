"""The abandoned customer's apology: checked on Asterisk at start, played when the
queue never saw the call.

A legally required message must never be silence: Asterisk plays nothing for a sound
that is not installed and only logs "File ... does not exist", so every configured
``apology_sound`` is looked up (``GET /sounds/{id}``) when the dialer starts, with one
warning per missing sound naming who uses it. A customer abandoned inside the queue
hears it through the queue's executor (the core's abandon); one whose AMD verdict came
back past the deadline never entered the queue, and hears it from here.
"""

from __future__ import annotations

import contextlib
import uuid

import structlog

from callrouter.ari import AriClient, AriError, AriNotFound, PlaybackFinished
from callrouter.calls._settings import ReadsSettings, SettingsHolder

__all__ = ["Apologies"]

log = structlog.get_logger(__name__)


class Apologies(ReadsSettings):
    def __init__(self, *, ari: AriClient, settings: SettingsHolder) -> None:
        self._ari = ari
        self._holder = settings
        self._playing: dict[str, str] = {}  # playback id -> channel to hang up after

    def sounds_in_use(self) -> dict[str, list[str]]:
        """Each configured apology and who uses it (``dialer``, ``campaign:<name>``)."""
        settings = self._settings
        default = settings.dialer.apology_sound
        wanted: dict[str, list[str]] = {default: ["dialer"]}
        for name, campaign in settings.campaigns.items():
            wanted.setdefault(campaign.apology_sound or default, []).append(f"campaign:{name}")
        return wanted

    async def check(self) -> None:
        for sound, users in self.sounds_in_use().items():
            try:
                await self._ari.sounds.get(sound)
            except AriNotFound:
                log.warning("apology_sound_missing", sound=sound, used_by=users,
                            hint="install the prompt on Asterisk or set apology_sound")  # fmt: skip
            except AriError as exc:
                log.warning("apology_sound_unchecked", sound=sound, error=str(exc))
            else:
                log.info("apology_sound_found", sound=sound)

    async def play_then_hang_up(self, channel_id: str, sound: str, *, call_id: str) -> None:
        playback_id = f"cr-{uuid.uuid4().hex}"
        self._playing[playback_id] = channel_id
        try:
            await self._ari.channels.play(channel_id, [f"sound:{sound}"], playback_id=playback_id)
        except AriError as exc:
            log.warning("outbound_apology_failed", call_id=call_id, error=str(exc))
            self._playing.pop(playback_id, None)
            with contextlib.suppress(AriError):
                await self._ari.channels.hangup(channel_id)
            return
        log.info("outbound_apology_playing", call_id=call_id, sound=sound)

    async def on_playback_finished(self, event: PlaybackFinished) -> None:
        channel = self._playing.pop(event.playback.id, None)
        if channel is not None:
            with contextlib.suppress(AriError):
                await self._ari.channels.hangup(channel)
