"""A whole inbound call through the client: every event the sim sends must parse to
its typed model (none dropped as invalid, none unknown), in each channel's order."""

from __future__ import annotations

import asyncio

from structlog.testing import capture_logs

from callrouter.ari import (
    AnyEvent,
    AriClient,
    Dial,
    Event,
    PlaybackFinished,
    RecordingFinished,
    StasisStart,
    UnknownEvent,
    serial_key,
)
from callrouter.sim import SimControl
from tests.ari.conftest import APP, eventually, running


async def test_inbound_call_answered_by_an_operator(ari: AriClient, control: SimControl) -> None:
    events: list[AnyEvent] = []
    operator_up = asyncio.Event()
    operator_id = "op-101-leg"

    async def record(event: AnyEvent) -> None:
        events.append(event)

    async def on_start(event: StasisStart) -> None:
        if event.channel.id == operator_id:
            operator_up.set()

    ari.on("*", record)
    ari.on(StasisStart, on_start)
    await control.set_endpoint("PJSIP", "101", online=True, behavior="answer",
                               answer_after=0.05)
    await control.set_sound("hello-world", 0.1)
    with capture_logs() as logs:
        async with running(ari):
            caller = (await control.place_call(caller_number="5551234"))["id"]
            await ari.channels.answer(caller)
            bridge = await ari.bridges.create(type="mixing", name="call-1")
            await ari.bridges.add_channel(bridge.id, caller)
            await ari.channels.originate(endpoint="PJSIP/101", app=APP, app_args="operator",
                                         channel_id=operator_id, caller_id="Q <100>")
            await asyncio.wait_for(operator_up.wait(), 5)
            await ari.channels.answer(operator_id)
            await ari.bridges.add_channel(bridge.id, operator_id)
            await ari.bridges.record(bridge.id, name="call-1", format="wav")
            await ari.bridges.play(bridge.id, "sound:hello-world", playback_id="pb-flow")
            await eventually(lambda: any(isinstance(e, PlaybackFinished) for e in events))
            await control.send_dtmf(caller, "5")
            await ari.recordings.stop("call-1")
            await eventually(lambda: any(isinstance(e, RecordingFinished) for e in events))
            await control.hangup(caller, cause=16)
            await ari.channels.hangup(operator_id)
            await ari.bridges.destroy(bridge.id)
            await eventually(lambda: any(e.type == "BridgeDestroyed" for e in events))

    bad = [entry for entry in logs if entry["event"].startswith("ari_event_")]
    assert bad == [], bad
    assert not [e for e in events if isinstance(e, UnknownEvent)]
    types = {e.type for e in events}
    assert {
        "StasisStart", "ChannelStateChange", "ChannelEnteredBridge", "PlaybackStarted",
        "PlaybackFinished", "RecordingStarted", "RecordingFinished", "ChannelDtmfReceived",
        "ChannelHangupRequest", "ChannelLeftBridge", "StasisEnd", "BridgeDestroyed",
    } <= types
    # Each channel's events keep their order. An originated channel is dialled and
    # answered before it enters Stasis, as on a real Asterisk.
    for channel_id in (caller, operator_id):
        own = [e.type for e in events if serial_key(e) == f"channel:{channel_id}"]
        assert own.index("StasisStart") < own.index("StasisEnd"), own
    caller_events = [e.type for e in events if serial_key(e) == f"channel:{caller}"]
    assert caller_events[0] == "StasisStart"
    dials = [e for e in events if isinstance(e, Dial)]
    assert all(isinstance(e, Event) for e in events)
    if dials:
        assert dials[-1].peer.id == operator_id
