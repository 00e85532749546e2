"""Playbacks and recordings: events, queueing, real WAV files."""

from __future__ import annotations

import struct
from pathlib import Path

from callrouter.sim import SimControl, SimulatedAsterisk
from tests.sim._support import Ari, Events


async def _answered_call(ari: Ari, events: Events, sim_control: SimControl) -> str:
    call = await sim_control.place_call()
    await events.next("StasisStart", channel__id=call["id"])
    assert (await ari.call("POST", f"/channels/{call['id']}/answer")).status == 204
    channel_id: str = call["id"]
    return channel_id


async def test_channel_recording_writes_wav_of_the_right_length(
    sim: SimulatedAsterisk, ari: Ari, events: Events, sim_control: SimControl
) -> None:
    channel_id = await _answered_call(ari, events, sim_control)
    started = await ari.call(
        "POST",
        f"/channels/{channel_id}/record",
        {"name": "msg1", "format": "wav", "maxDurationSeconds": "2"},
    )
    assert (started.status, started.body["state"]) == (201, "queued")
    finished = await events.next("RecordingFinished")
    assert finished["recording"]["duration"] == 2
    stored = await ari.call("GET", "/recordings/stored")
    assert {"name": "msg1", "format": "wav"} in stored.body
    reply = await ari.call("GET", "/recordings/stored/msg1/file")
    assert reply.status == 200
    wav = reply.body
    assert wav[:4] == b"RIFF" and wav[8:16] == b"WAVEfmt "
    channels, rate = struct.unpack("<HI", wav[22:28])
    (data_bytes,) = struct.unpack("<I", wav[40:44])
    assert (channels, rate) == (1, 8000)
    assert abs(data_bytes / (2 * rate) - 2.0) < 0.1
    assert (sim.recordings_dir / "msg1.wav").read_bytes() == wav
    copied = await ari.call(
        "POST", "/recordings/stored/msg1/copy", {"destinationRecordingName": "msg2"}
    )
    assert copied.body == {"name": "msg2", "format": "wav"}
    assert (await ari.call("DELETE", "/recordings/stored/msg1")).status == 204
    assert (await ari.call("GET", "/recordings/stored/msg1")).status == 404


async def test_live_recording_controls(
    ari: Ari, events: Events, sim_control: SimControl, tmp_path: Path
) -> None:
    channel_id = await _answered_call(ari, events, sim_control)
    await ari.call("POST", f"/channels/{channel_id}/record", {"name": "r", "format": "wav"})
    await events.next("RecordingStarted")
    for method, path in [("POST", "pause"), ("DELETE", "pause"), ("POST", "mute")]:
        assert (await ari.call(method, f"/recordings/live/r/{path}")).status == 204
    assert (await ari.call("DELETE", "/recordings/live/r")).status == 204
    canceled = await events.next("RecordingFinished")
    assert canceled["recording"]["state"] == "canceled"
    assert (await ari.call("GET", "/recordings/stored/r")).status == 404


async def test_playbacks_queue_and_continue(
    ari: Ari, events: Events, sim_control: SimControl
) -> None:
    channel_id = await _answered_call(ari, events, sim_control)
    first = await ari.call(
        "POST", f"/channels/{channel_id}/play", {"media": "sound:hello-world,digits:12"}
    )
    second = await ari.call("POST", f"/channels/{channel_id}/play/second", {"media": "sound:beep"})
    assert (first.status, second.body["state"]) == (201, "queued")
    assert (await events.next("PlaybackStarted"))["playback"]["id"] == first.body["id"]
    continuing = await events.next("PlaybackContinuing")
    assert continuing["playback"]["media_uri"] == "digits:12"
    assert (await events.next("PlaybackFinished"))["playback"]["id"] == first.body["id"]
    assert (await events.next("PlaybackStarted"))["playback"]["id"] == "second"
    done = await events.next("PlaybackFinished")
    assert done["playback"]["state"] == "done"
    assert (await ari.call("GET", "/playbacks/second")).status == 404


async def test_tone_plays_until_stopped(ari: Ari, events: Events, sim_control: SimControl) -> None:
    channel_id = await _answered_call(ari, events, sim_control)
    await ari.call("POST", f"/channels/{channel_id}/play/ring", {"media": "tone:ring"})
    await events.next("PlaybackStarted")
    assert (await ari.call("GET", "/playbacks/ring")).body["state"] == "playing"
    assert (await ari.call("DELETE", "/playbacks/ring")).status == 204
    await events.next("PlaybackFinished")


async def test_a_recording_name_may_hold_folders_as_on_asterisk(
    sim: SimulatedAsterisk, ari: Ari, events: Events, sim_control: SimControl
) -> None:
    channel_id = await _answered_call(ari, events, sim_control)
    params = {"name": "acme/msg1", "format": "wav", "maxDurationSeconds": "1"}
    assert (await ari.call("POST", f"/channels/{channel_id}/record", params)).status == 201
    await events.next("RecordingFinished")
    assert (sim.recordings_dir / "acme" / "msg1.wav").is_file()
    stored = await ari.call("GET", "/recordings/stored")
    assert {"name": "acme/msg1", "format": "wav"} in stored.body
    # Over ARI the name is one path segment, its "/" escaped.
    reply = await ari.call("GET", "/recordings/stored/acme%2Fmsg1/file")
    assert reply.body == (sim.recordings_dir / "acme" / "msg1.wav").read_bytes()
    copy = {"destinationRecordingName": "globex/msg2"}
    assert (await ari.call("POST", "/recordings/stored/acme%2Fmsg1/copy", copy)).status == 200
    assert (sim.recordings_dir / "globex" / "msg2.wav").is_file()
    assert (await ari.call("DELETE", "/recordings/stored/acme%2Fmsg1")).status == 204
    assert (await ari.call("GET", "/recordings/stored/acme%2Fmsg1")).status == 404
    # A name that would leave the recordings directory is refused, as Asterisk does.
    escape = {"name": "../escape", "format": "wav"}
    assert (await ari.call("POST", f"/channels/{channel_id}/record", escape)).status == 400
    assert (await ari.call("GET", "/recordings/stored/..%2Fmsg2")).status == 404
    assert not (sim.recordings_dir.parent / "escape.wav").exists()
