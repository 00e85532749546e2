"""Playbacks and recordings on channels and bridges.

A target plays one playback at a time; later ones wait in its queue (state ``queued``),
as Asterisk queues them on the channel's control thread. Mixing bridges get an
Announcer or Recorder helper channel for each playback or recording, which is why the
members' BRIDGEPEER changes around these events (flow1.jsonl). Every duration here is
in simulated seconds; files are written when a recording ends.

A recording's name may hold folders (``acme/callrouter-<id>``), as Asterisk's does: the
file goes to that folder under the recordings directory (made when needed), the stored
recordings list every folder's files by their relative names, and a name whose folders
would leave the directory is refused (400 to record, 404 to look up), as Asterisk
refuses it (``ast_safe_mkdir`` and ``realpath`` in res_stasis_recording and stored.c).
"""

from __future__ import annotations

from pathlib import Path

from callrouter.sim import _wav
from callrouter.sim._base import JsonObj, SimAriError
from callrouter.sim._state import (
    Bridge,
    Channel,
    LiveRecording,
    Playback,
    Target,
    target_uri,
)
from callrouter.sim._switch import Switch

DEFAULT_SOUND_SECONDS = 2.0
SOUND_SECONDS: dict[str, float] = {
    "hello-world": 1.5,
    "beep": 0.25,
    "silence/1": 1.0,
    "demo-congrats": 9.0,
    "queue-thankyou": 2.0,
    "queue-holdtime": 2.0,
    "pls-hold-while-try": 2.5,
    "vm-goodbye": 1.0,
    # The dialer's default apology: in Asterisk's core sounds (2.0 s there).
    "sorry-youre-having-problems": 2.0,
}
# Spoken digits, numbers and characters: roughly this long each.
SECONDS_PER_SAYABLE = 0.6
IF_EXISTS = ("fail", "overwrite", "append")
TERMINATE_ON = ("none", "any", "*", "#")
PLAYBACK_OPERATIONS = ("restart", "pause", "unpause", "reverse", "forward")


class Media:
    def __init__(self, *, switch: Switch, recordings_dir: Path) -> None:
        self.switch = switch
        self.recordings_dir = recordings_dir
        self.sound_seconds = dict(SOUND_SECONDS)
        self.playbacks: dict[str, Playback] = {}
        self.live: dict[str, LiveRecording] = {}
        self._counter = 0

    def _apps(self, target: Target) -> set[str]:
        if isinstance(target, Channel):
            return self.switch.channel_apps(target)
        return self.switch.bridge_apps(target)

    # -- playbacks ---------------------------------------------------------------
    def play(
        self, target: Target, media: list[str], *, playback_id: str | None, lang: str | None
    ) -> JsonObj:
        if not media:
            raise SimAriError(400, "media is required")
        if playback_id is None:
            self._counter += 1
            playback_id = f"{int(self.switch.clock.now())}-{self._counter:08x}"
        if playback_id in self.playbacks:
            raise SimAriError(409, f"Playback with id '{playback_id}' already exists")
        language = lang or (target.language if isinstance(target, Channel) else "en")
        pb = Playback(id=playback_id, media=media, target=target, language=language)
        self.playbacks[pb.id] = pb
        answer = pb.to_json()
        if not any(p.state != "queued" for p in self._queue(target) if p is not pb):
            self._start(pb)
        return answer

    def _queue(self, target: Target) -> list[Playback]:
        return [p for p in self.playbacks.values() if p.target is target]

    def _start(self, pb: Playback) -> None:
        if isinstance(pb.target, Bridge) and not pb.target.is_holding:
            pb.announcer = self.switch.add_helper_channel(pb.target, "Announcer")
        pb.state = "playing"
        self.switch.hub.emit("PlaybackStarted", self._apps(pb.target), playback=pb.to_json())
        self._play_item(pb, self._media_seconds(pb.media[pb.index]))

    def _play_item(self, pb: Playback, seconds: float | None) -> None:
        pb.item_started = self.switch.clock.now()
        pb.item_seconds = seconds
        if seconds is not None:
            pb.timer = self.switch.clock.later(seconds, lambda: self._item_done(pb))

    def _media_seconds(self, uri: str) -> float | None:
        """How long one media URI plays; None plays until stopped (tones)."""
        scheme, _, rest = uri.partition(":")
        if scheme == "tone":
            return None
        if scheme in ("digits", "number", "characters"):
            return SECONDS_PER_SAYABLE * max(1, len(rest))
        if scheme == "recording":
            found = self._stored_path(rest)
            return _wav.duration_of(found[0], found[1]) if found else 0.0
        return self.sound_seconds.get(rest, DEFAULT_SOUND_SECONDS)

    def _item_done(self, pb: Playback) -> None:
        if pb.index + 1 < len(pb.media):
            pb.index += 1
            pb.state = "continuing"
            self.switch.hub.emit("PlaybackContinuing", self._apps(pb.target), playback=pb.to_json())
            pb.state = "playing"
            self._play_item(pb, self._media_seconds(pb.media[pb.index]))
            return
        self._finish(pb, "done")

    def _finish(self, pb: Playback, state: str) -> None:
        if pb.timer is not None:
            pb.timer.cancel()
        self.playbacks.pop(pb.id, None)
        was_started = pb.state != "queued"
        pb.state = state
        if not was_started:
            return
        self.switch.hub.emit("PlaybackFinished", self._apps(pb.target), playback=pb.to_json())
        if pb.announcer is not None and isinstance(pb.target, Bridge):
            self.switch.remove_helper_channel(pb.target, pb.announcer)
        waiting = self._queue(pb.target)
        if waiting:
            self._start(waiting[0])

    def playback(self, playback_id: str) -> Playback:
        try:
            return self.playbacks[playback_id]
        except KeyError:
            raise SimAriError(404, "Playback not found") from None

    def stop_playback(self, pb: Playback) -> None:
        self._finish(pb, "done")

    def control_playback(self, pb: Playback, operation: str | None) -> None:
        if operation not in PLAYBACK_OPERATIONS:
            raise SimAriError(400, f"Invalid operation {operation}")
        if pb.state not in ("playing", "paused"):
            raise SimAriError(409, "Playback not in a state that can be controlled")
        now = self.switch.clock.now()
        if operation == "pause" and pb.state == "playing":
            if pb.timer is not None:
                pb.timer.cancel()
            if pb.item_seconds is not None:
                pb.remaining = pb.item_seconds - (now - pb.item_started)
            pb.state = "paused"
        elif operation == "unpause" and pb.state == "paused":
            pb.state = "playing"
            self._play_item(pb, pb.remaining)
            pb.remaining = None
        elif operation == "restart" and pb.state == "playing":
            if pb.timer is not None:
                pb.timer.cancel()
            self._play_item(pb, self._media_seconds(pb.media[pb.index]))

    # -- recordings --------------------------------------------------------------
    def record(
        self,
        target: Target,
        *,
        name: str | None,
        fmt: str | None,
        max_duration: float,
        if_exists: str | None,
        terminate_on: str | None,
    ) -> JsonObj:
        if not name:
            raise SimAriError(500, "Error parsing request")
        if fmt not in _wav.AUDIO_FORMATS:
            raise SimAriError(422, "specified format is unknown on this system")
        if_exists = if_exists or "fail"
        if if_exists not in IF_EXISTS:
            raise SimAriError(400, "ifExists invalid")
        terminate_on = terminate_on or "none"
        if terminate_on not in TERMINATE_ON:
            raise SimAriError(400, "terminateOn invalid")
        if max_duration < 0:
            raise SimAriError(400, "maxDurationSeconds cannot be negative")
        if not _inside(name):
            raise SimAriError(400, "Recording name invalid")
        stored = self._stored_path(name)
        if name in self.live or (stored is not None and if_exists == "fail"):
            raise SimAriError(409, f"Recording '{name}' already exists and can not be overwritten")
        rec = LiveRecording(
            name=name,
            format=fmt,
            target=target,
            if_exists=if_exists,
            max_duration=max_duration,
            terminate_on=terminate_on,
        )
        answer = rec.to_json()
        if isinstance(target, Channel) and target.bridge is not None:
            # Asterisk accepts this (201) and only then fails (errors_events.jsonl).
            rec.state = "failed"
            rec.cause = "Cannot record channel while in bridge"
            self.switch.hub.emit("RecordingFailed", self._apps(target), recording=rec.to_json())
            return answer
        self.live[name] = rec
        if isinstance(target, Bridge):
            rec.recorder = self.switch.add_helper_channel(target, "Recorder")
        rec.state = "recording"
        rec.started_at = self.switch.clock.now()
        self.switch.hub.emit("RecordingStarted", self._apps(target), recording=rec.to_json())
        if max_duration > 0:
            rec.timer = self.switch.clock.later(max_duration, lambda: self.stop_recording(rec))
        return answer

    def live_recording(self, name: str) -> LiveRecording:
        try:
            return self.live[name]
        except KeyError:
            raise SimAriError(404, "Recording not found") from None

    def stop_recording(self, rec: LiveRecording, *, cancel: bool = False) -> None:
        if self.live.get(rec.name) is not rec:
            return
        del self.live[rec.name]
        if rec.timer is not None:
            rec.timer.cancel()
        now = self.switch.clock.now()
        if rec.paused_since is not None:
            rec.paused_total += now - rec.paused_since
        seconds = max(0.0, now - rec.started_at - rec.paused_total)
        if rec.max_duration > 0:
            # The timer fires a little late on a busy loop, more so when time is scaled.
            seconds = min(seconds, rec.max_duration)
        path = self.recordings_dir / f"{rec.name}.{rec.format}"
        if cancel:
            rec.state = "canceled"
        else:
            rec.state = "done"
            rec.duration = round(seconds)
            _wav.write_silence(path, rec.format, seconds, append=rec.if_exists == "append")
        self.switch.hub.emit("RecordingFinished", self._apps(rec.target), recording=rec.to_json())
        if rec.recorder is not None and isinstance(rec.target, Bridge):
            self.switch.remove_helper_channel(rec.target, rec.recorder)

    def set_paused(self, rec: LiveRecording, paused: bool) -> None:
        if rec.state not in ("recording", "paused"):
            raise SimAriError(409, "Recording not in session")
        now = self.switch.clock.now()
        if paused and rec.paused_since is None:
            rec.paused_since, rec.state = now, "paused"
        elif not paused and rec.paused_since is not None:
            rec.paused_total += now - rec.paused_since
            rec.paused_since, rec.state = None, "recording"

    def set_muted(self, rec: LiveRecording, muted: bool) -> None:
        if rec.state not in ("recording", "paused"):
            raise SimAriError(409, "Recording not in session")
        rec.muted = muted

    # -- stored recordings -------------------------------------------------------
    def _stored_path(self, name: str) -> tuple[Path, str] | None:
        if not _inside(name) or name.rsplit("/", 1)[-1].startswith("."):
            return None
        for fmt in _wav.AUDIO_FORMATS:
            path = self.recordings_dir / f"{name}.{fmt}"
            if path.is_file():
                return path, fmt
        return None

    def stored(self, name: str) -> tuple[Path, str]:
        found = self._stored_path(name)
        if found is None:
            raise SimAriError(404, "Recording not found")
        return found

    def list_stored(self) -> list[JsonObj]:
        if not self.recordings_dir.is_dir():
            return []
        return [
            {"name": path.relative_to(self.recordings_dir).with_suffix("").as_posix(),
             "format": path.suffix[1:]}
            for path in sorted(self.recordings_dir.rglob("*"))
            if path.is_file() and path.suffix[1:] in _wav.AUDIO_FORMATS
        ]  # fmt: skip

    def copy_stored(self, name: str, destination: str | None) -> JsonObj:
        path, fmt = self.stored(name)
        if not destination:
            raise SimAriError(400, "destinationRecordingName is required")
        if not _inside(destination):
            raise SimAriError(400, "Recording name invalid")
        if self._stored_path(destination) is not None:
            raise SimAriError(409, "A recording with the same name already exists on the system")
        copy = self.recordings_dir / f"{destination}.{fmt}"
        copy.parent.mkdir(parents=True, exist_ok=True)
        copy.write_bytes(path.read_bytes())
        return {"name": destination, "format": fmt}

    # -- SwitchListener ----------------------------------------------------------
    def channel_gone(self, ch: Channel) -> None:
        self._target_gone(ch)

    def bridge_gone(self, br: Bridge) -> None:
        self._target_gone(br)

    def _target_gone(self, target: Target) -> None:
        uri = target_uri(target)
        mine = [p for p in self.playbacks.values() if target_uri(p.target) == uri]
        # Drop the waiting ones first, or finishing the current one would start them.
        for pb in sorted(mine, key=lambda p: p.state != "queued"):
            self._finish(pb, "done")
        for rec in [r for r in self.live.values() if target_uri(r.target) == uri]:
            self.stop_recording(rec)

    def dtmf_received(self, ch: Channel, digit: str) -> None:
        for rec in [r for r in self.live.values() if r.target is ch]:
            if rec.terminate_on == "any" or rec.terminate_on == digit:
                self.stop_recording(rec)


def _inside(name: str) -> bool:
    """Whether the recording ``name`` stays inside the recordings directory."""
    parts = name.split("/")
    return bool(name) and not name.startswith("/") and ".." not in parts and all(parts)
