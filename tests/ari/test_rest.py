"""Every REST method against the simulated Asterisk, over a real socket."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from callrouter.ari import (
    Application,
    AriClient,
    AriNotFound,
    AsteriskInfo,
    Bridge,
    Channel,
    Endpoint,
    LiveRecording,
    Playback,
    StoredRecording,
)
from callrouter.sim import SimControl
from tests.ari.conftest import APP, eventually


async def _last_request(control: SimControl, method: str, path_end: str) -> dict[str, Any]:
    for entry in reversed(await control.requests()):
        if entry["method"] == method and entry["path"].endswith(path_end):
            return entry
    raise AssertionError(f"no {method} ...{path_end} in the sim's request log")


@pytest.fixture
async def call(live: AriClient, control: SimControl) -> str:
    """An inbound call waiting in our Stasis application."""
    channel = await control.place_call(caller_number="5551234", caller_name="Alice")
    return str(channel["id"])


async def test_channels_list_and_get(live: AriClient, call: str) -> None:
    channels = await live.channels.list()
    assert [c.id for c in channels] == [call]
    channel = await live.channels.get(call)
    assert isinstance(channel, Channel)
    assert channel.caller.number == "5551234"
    assert channel.caller.name == "Alice"
    assert channel.dialplan.app_name == "Stasis"


async def test_answer_ring_hold_moh(live: AriClient, control: SimControl, call: str) -> None:
    await live.channels.ring(call)
    await live.channels.ring_stop(call)
    await live.channels.answer(call)
    assert (await live.channels.get(call)).state == "Up"
    await live.channels.hold(call)
    await live.channels.unhold(call)
    await live.channels.start_moh(call, moh_class="default")
    entry = await _last_request(control, "POST", f"/channels/{call}/moh")
    assert entry["params"] == {"mohClass": "default"}
    await live.channels.stop_moh(call)
    statuses = [r["status"] for r in await control.requests() if call in r["path"]]
    assert statuses and all(200 <= s < 300 for s in statuses)


async def test_originate_into_app(live: AriClient, control: SimControl) -> None:
    channel = await live.channels.originate(
        endpoint="PJSIP/101", app=APP, app_args="operator,7", caller_id="Queue <100>",
        timeout=30, variables={"CALLROUTER_CALL": "c-1"},
    )
    assert isinstance(channel, Channel)
    entry = await _last_request(control, "POST", "/ari/channels")
    assert entry["params"]["endpoint"] == "PJSIP/101"
    assert entry["params"]["appArgs"] == "operator,7"
    assert entry["params"]["timeout"] == "30"
    assert entry["body"] == {"variables": {"CALLROUTER_CALL": "c-1"}}


async def test_originate_with_chosen_id(live: AriClient, control: SimControl) -> None:
    channel = await live.channels.originate(
        endpoint="PJSIP/102", app=APP, channel_id="op-102-call-1"
    )
    assert channel.id == "op-102-call-1"
    await _last_request(control, "POST", "/ari/channels/op-102-call-1")


async def test_create_then_dial(live: AriClient, control: SimControl) -> None:
    channel = await live.channels.create(endpoint="PJSIP/103", app=APP, channel_id="c-103")
    assert channel.id == "c-103"
    await live.channels.dial("c-103", timeout=15)
    entry = await _last_request(control, "POST", "/channels/c-103/dial")
    assert entry["params"] == {"timeout": "15"}


async def test_hangup_with_reason(live: AriClient, control: SimControl, call: str) -> None:
    await live.channels.hangup(call, reason="busy")
    entry = await _last_request(control, "DELETE", f"/channels/{call}")
    assert entry["params"] == {"reason": "busy"}
    with pytest.raises(AriNotFound):
        await live.channels.get(call)


async def test_hangup_reason_is_checked_before_sending(live: AriClient, call: str) -> None:
    with pytest.raises(ValueError, match="reason"):
        await live.channels.hangup(call, reason="bogus")  # type: ignore[arg-type]


async def test_play_with_playback_id(live: AriClient, call: str) -> None:
    await live.channels.answer(call)
    playback = await live.channels.play(call, "sound:hello-world", playback_id="pb-1")
    assert isinstance(playback, Playback)
    assert playback.id == "pb-1"
    assert playback.target_uri == f"channel:{call}"
    assert (await live.playbacks.get("pb-1")).id == "pb-1"
    await live.playbacks.stop("pb-1")


async def test_variables(live: AriClient, call: str) -> None:
    await live.channels.set_variable(call, "CALLROUTER_QUEUE", "sales")
    assert await live.channels.get_variable(call, "CALLROUTER_QUEUE") == "sales"


async def test_continue_redirect_dtmf_snoop(
    live: AriClient, control: SimControl, call: str
) -> None:
    await live.channels.answer(call)
    await live.channels.send_dtmf(call, "12#", between=100, duration=80)
    entry = await _last_request(control, "POST", f"/channels/{call}/dtmf")
    assert entry["params"] == {"dtmf": "12#", "between": "100", "duration": "80"}
    snoop = await live.channels.snoop(call, app=APP, spy="both", snoop_id="snoop-1")
    assert isinstance(snoop, Channel)
    await live.channels.continue_in_dialplan(call, context="from-pstn", extension="200",
                                             priority=1)
    entry = await _last_request(control, "POST", f"/channels/{call}/continue")
    assert entry["params"] == {"context": "from-pstn", "extension": "200", "priority": "1"}

    other = str((await control.place_call(caller_number="5550000"))["id"])
    await live.channels.redirect(other, endpoint="PJSIP/200")
    await _last_request(control, "POST", f"/channels/{other}/redirect")


async def test_channel_record_and_live_recording_controls(live: AriClient, call: str) -> None:
    await live.channels.answer(call)
    recording = await live.channels.record(call, name="rec-ch", format="wav", beep=False,
                                           if_exists="overwrite")
    assert isinstance(recording, LiveRecording)
    assert recording.target_uri == f"channel:{call}"
    for step in (live.recordings.pause, live.recordings.unpause,
                 live.recordings.mute, live.recordings.unmute):
        await step("rec-ch")
    assert (await live.recordings.get_live("rec-ch")).name == "rec-ch"
    await live.recordings.stop("rec-ch")
    await eventually(lambda: _stored_names(live))

    stored = await live.recordings.get_stored("rec-ch")
    assert stored == StoredRecording(name="rec-ch", format="wav")
    assert any(r.name == "rec-ch" for r in await live.recordings.list_stored())
    data = await live.recordings.get_stored_file("rec-ch")
    assert data[:4] == b"RIFF"
    await live.recordings.delete_stored("rec-ch")
    with pytest.raises(AriNotFound):
        await live.recordings.get_stored("rec-ch")


async def _stored_names(client: AriClient) -> bool:
    return any(r.name == "rec-ch" for r in await client.recordings.list_stored())


async def test_live_recording_cancel(live: AriClient, call: str) -> None:
    await live.channels.answer(call)
    await live.channels.record(call, name="rec-cancel", format="wav")
    await live.recordings.cancel("rec-cancel")
    await asyncio.sleep(0.05)
    with pytest.raises(AriNotFound):
        await live.recordings.get_stored("rec-cancel")


async def test_bridges(live: AriClient, control: SimControl, call: str) -> None:
    bridge = await live.bridges.create(type="mixing", name="queue-sales")
    assert isinstance(bridge, Bridge)
    assert bridge.name == "queue-sales"
    with_id = await live.bridges.create(type="holding", bridge_id="hold-1")
    assert with_id.id == "hold-1"
    await _last_request(control, "POST", "/ari/bridges/hold-1")
    assert {b.id for b in await live.bridges.list()} == {bridge.id, "hold-1"}

    await live.channels.answer(call)
    await live.bridges.add_channel(bridge.id, call, role="participant", absorb_dtmf=False)
    entry = await _last_request(control, "POST", f"/bridges/{bridge.id}/addChannel")
    assert entry["params"] == {"channel": call, "role": "participant", "absorbDTMF": "false"}
    assert (await live.bridges.get(bridge.id)).channels == [call]

    await live.bridges.start_moh(bridge.id)
    await live.bridges.stop_moh(bridge.id)
    playback = await live.bridges.play(bridge.id, ["sound:hello-world", "sound:beep"],
                                       playback_id="bpb-1")
    assert playback.target_uri == f"bridge:{bridge.id}"
    entry = await _last_request(control, "POST", f"/bridges/{bridge.id}/play")
    assert entry["params"]["media"] == "sound:hello-world,sound:beep"
    recording = await live.bridges.record(bridge.id, name="rec-br", format="wav")
    assert recording.target_uri == f"bridge:{bridge.id}"
    await live.recordings.stop("rec-br")

    await live.bridges.remove_channel(bridge.id, call)
    assert (await live.bridges.get(bridge.id)).channels == []
    await live.bridges.destroy(bridge.id)
    await live.bridges.destroy("hold-1")
    assert await live.bridges.list() == []


async def test_applications(live: AriClient, call: str) -> None:
    apps = await live.applications.list()
    assert [a.name for a in apps] == [APP]
    app = await live.applications.subscribe(APP, f"channel:{call}")
    assert isinstance(app, Application)
    assert call in app.channel_ids
    assert live.applications.subscriptions == {f"channel:{call}"}
    app = await live.applications.unsubscribe(APP, [f"channel:{call}"])
    assert live.applications.subscriptions == frozenset()
    assert (await live.applications.get(APP)).name == APP


async def test_endpoints(live: AriClient, control: SimControl) -> None:
    await control.set_endpoint("PJSIP", "101", online=True)
    endpoints = await live.endpoints.list()
    assert all(isinstance(e, Endpoint) for e in endpoints)
    endpoint = await live.endpoints.get("PJSIP", "101")
    assert (endpoint.technology, endpoint.resource) == ("PJSIP", "101")


def test_path_parameters_are_escaped(ari: AriClient) -> None:
    from callrouter.ari._rest_misc import ENDPOINT_GET

    url, rel = ari._http.url(ENDPOINT_GET, {"tech": "Local", "resource": "a/b c@ctx"})
    assert rel == "/endpoints/Local/a%2Fb%20c@ctx"
    assert str(url).endswith("/ari/endpoints/Local/a%2Fb%20c@ctx")


async def test_asterisk_info_and_ping(ari: AriClient) -> None:
    info = await ari.asterisk.info()
    assert isinstance(info, AsteriskInfo)
    assert info.system is not None and info.system.version
    only = await ari.asterisk.info(only=["system"])
    assert only.system is not None
    ping = await ari.asterisk.ping()
    assert ping.ping == "pong"


async def test_rest_needs_an_open_client(ari_sim: Any) -> None:
    client = AriClient(base_url=ari_sim.url, username="u", password="p", app="a")
    with pytest.raises(RuntimeError, match="not open"):
        await client.asterisk.ping()


async def test_connections_are_reused(ari: AriClient) -> None:
    for _ in range(5):
        await ari.asterisk.ping()
    session = ari._session
    assert session is not None
    assert session.connector is not None
    # One keep-alive connection served every request.
    assert sum(len(c) for c in session.connector._conns.values()) == 1
