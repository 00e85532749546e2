"""The abandoned customer's apology, checked on Asterisk at start.

A legally required message must never be silence: Asterisk plays nothing for a sound
that is not installed and only logs "File ... does not exist", so every configured
``apology_sound`` is looked up (``GET /sounds/{id}``) when the dialer starts, with one
warning per missing sound naming who uses it. The customer hears it through the
queue's executor when the ACD core abandons them (``AbandonCaller``).
"""

from __future__ import annotations

import structlog

from callrouter.ari import AriClient, AriError, AriNotFound
from callrouter.calls._settings import ReadsSettings, SettingsHolder

__all__ = ["Apologies"]

log = structlog.get_logger(__name__)


class Apologies(ReadsSettings):
    def __init__(self, *, ari: AriClient, settings: SettingsHolder) -> None:
        self._ari = ari
        self._holder = settings

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
