"""After an attended transfer to a number: callrouter lets the call go (outcome
``transferred``) but the caller and the outside party, both in its application, stay
bridged and recorded as the call's next part until one of them hangs up, which hangs
the other up."""

from __future__ import annotations

from callrouter.ari import AriClient, AriError
from callrouter.calls._clock import Clock
from callrouter.calls._journal import CallJournal
from callrouter.calls._quietly import quietly
from callrouter.calls._sessions import CallSession, recording_part_name
from callrouter.calls._settings import ReadsSettings, SettingsHolder

__all__ = ["Handoffs"]


class Handoffs(ReadsSettings):
    def __init__(
        self, *, ari: AriClient, journal: CallJournal, settings: SettingsHolder, clock: Clock
    ) -> None:
        self._ari = ari
        self._journal = journal
        self._holder = settings
        self._clock = clock
        self._pairs: dict[str, tuple[str, str]] = {}  # channel -> (other, their bridge)

    async def hand_off(self, session: CallSession, outside: str) -> None:
        """Move the caller (held) and ``outside`` from the call's bridge to their own."""
        caller, bridge_id = session.caller_channel_id, f"cr-{session.call_id}-out"
        self._pairs[caller] = (outside, bridge_id)
        self._pairs[outside] = (caller, bridge_id)
        if session.bridge_id is not None:
            await quietly(
                "leave bridge",
                self._ari.bridges.remove_channel(session.bridge_id, [caller, outside]),
            )
        await quietly("moh stop", self._ari.channels.stop_moh(caller))
        await quietly("unhold", self._ari.channels.unhold(caller))
        made = self._ari.bridges.create(type="mixing", name="callrouter-out", bridge_id=bridge_id)
        await quietly("bridge", made)
        await quietly("bridge", self._ari.bridges.add_channel(bridge_id, [caller, outside]))
        if session.recording_parts > 0:
            await self._record(session, bridge_id)

    async def _record(self, session: CallSession, bridge_id: str) -> None:
        tenant = self._journal.tenant(session)
        name = recording_part_name(session.call_id, session.recording_parts + 1, tenant=tenant)
        fmt = self._settings.recording.format
        try:
            await self._ari.bridges.record(bridge_id, name=name, format=fmt, if_exists="overwrite")
        except AriError as exc:
            self._journal.call_update(session, recording_error=str(exc)[:500])
            return
        session.recording_parts += 1
        self._journal.recording_started(session, name, fmt, self._clock.now())

    async def channel_gone(self, channel: str) -> bool:
        """One side hung up: the other follows. False if the channel is not ours."""
        pair = self._pairs.pop(channel, None)
        if pair is None:
            return False
        other, bridge_id = pair
        self._pairs.pop(other, None)
        await quietly("hangup other", self._ari.channels.hangup(other))
        await quietly("destroy bridge", self._ari.bridges.destroy(bridge_id))
        return True
