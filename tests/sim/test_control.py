"""The control API: WebSocket drops, faults, the request log, time scale, state."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp
import pytest

from callrouter.sim import SimControl, SimControlError, SimulatedAsterisk
from tests.sim._support import Ari, Events


async def _raw_events(
    sim: SimulatedAsterisk, http: aiohttp.ClientSession
) -> aiohttp.ClientWebSocketResponse:
    return await http.ws_connect(
        f"{sim.url}/ari/events", params={"app": "callrouter", "api_key": "callrouter:secret"}
    )


async def test_drop_websocket_closes_it_and_events_are_lost(
    sim: SimulatedAsterisk, http: aiohttp.ClientSession, sim_control: SimControl
) -> None:
    ws = await _raw_events(sim, http)
    assert await sim_control.drop_websockets() == 1
    message = await ws.receive()
    assert (message.type, message.data) == (aiohttp.WSMsgType.CLOSE, 1001)
    await ws.close()
    # No WebSocket, no Stasis app: an inbound call cannot enter it.
    with pytest.raises(SimControlError) as refused:
        await sim_control.place_call()
    assert refused.value.status == 409
    again = Events()
    await again.connect(http, sim)
    call = await sim_control.place_call()
    await again.next("StasisStart", channel__id=call["id"])
    await again.close()


async def test_abort_websocket(
    sim: SimulatedAsterisk, http: aiohttp.ClientSession, sim_control: SimControl
) -> None:
    ws = await _raw_events(sim, http)
    assert await sim_control.drop_websockets(app="callrouter", abort=True) == 1
    message = await ws.receive()
    assert message.type in (aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR)
    await ws.close()


async def test_fault_injection_status_and_count(ari: Ari, sim_control: SimControl) -> None:
    await sim_control.add_fault(status=503, count=2, path_prefix="/ari/asterisk")
    assert (await ari.call("GET", "/channels")).status == 200
    assert (await ari.call("GET", "/asterisk/ping")).status == 503
    assert (await ari.call("GET", "/asterisk/info")).status == 503
    assert (await ari.call("GET", "/asterisk/ping")).status == 200


async def test_fault_delay_trips_client_timeout(
    sim: SimulatedAsterisk, http: aiohttp.ClientSession, sim_control: SimControl
) -> None:
    await sim_control.add_fault(delay=5.0, path_prefix="/ari/asterisk/ping")
    with pytest.raises(asyncio.TimeoutError):
        await http.get(
            sim.url + "/ari/asterisk/ping",
            params={"api_key": "callrouter:secret"},
            timeout=aiohttp.ClientTimeout(total=0.1),
        )
    await sim_control.clear_faults()


async def test_request_log(ari: Ari, sim_control: SimControl) -> None:
    await sim_control.clear_requests()
    await ari.call("POST", "/bridges", {"type": "holding", "name": "wait"})
    await ari.call("GET", "/channels/nope")
    log = await sim_control.requests()
    assert [(e["method"], e["path"], e["status"]) for e in log] == [
        ("POST", "/ari/bridges", 200),
        ("GET", "/ari/channels/nope", 404),
    ]
    assert log[0]["params"] == {"type": "holding", "name": "wait"}


async def test_auth_by_api_key_and_basic(ari: Ari, http: aiohttp.ClientSession) -> None:
    url = ari.base + "/ari/asterisk/info"
    async with http.get(url, params={"api_key": "callrouter:secret"}) as resp:
        assert resp.status == 200
        assert (await resp.json())["system"]["version"] == "22.10.1"
    assert (await ari.call("GET", "/asterisk/info")).status == 200
    assert (await ari.call("GET", "/asterisk/info", auth=False)).status == 401


async def test_time_scale_shortens_scripted_delays(tmp_path: Path) -> None:
    # 3600 simulated seconds of ringing at time_scale 36000 pass in 0.1 s.
    async with (
        SimulatedAsterisk(recordings_dir=tmp_path, time_scale=36000) as sim,
        aiohttp.ClientSession() as http,
        SimControl(sim.url) as control,
    ):
        stream = Events()
        await stream.connect(http, sim)
        await control.set_endpoint("PJSIP", "300", answer_after=3600)
        ari = Ari(sim, http)
        reply = await ari.call(
            "POST", "/channels", {"endpoint": "PJSIP/300", "app": "callrouter", "timeout": "-1"}
        )
        start = await stream.next("StasisStart", channel__id=reply.body["id"])
        await ari.call("POST", "/bridges/b1", {"type": "mixing"})
        await ari.call("POST", "/bridges/b1/addChannel", {"channel": start["channel"]["id"]})
        await ari.call(
            "POST",
            "/bridges/b1/record",
            {"name": "hour", "format": "sln", "maxDurationSeconds": "1800"},
        )
        finished = await stream.next("RecordingFinished")
        assert finished["recording"]["duration"] == 1800
        assert (sim.recordings_dir / "hour.sln").stat().st_size == 1800 * 8000 * 2
        await stream.close()


async def test_state_and_applications(ari: Ari, events: Events, sim_control: SimControl) -> None:
    call = await sim_control.place_call(caller_name="Bob", caller_number="555")
    await events.next("StasisStart")
    state = await sim_control.state()
    assert [c["id"] for c in state["channels"]] == [call["id"]]
    assert state["channels"][0]["sim"]["app"] == "callrouter"
    assert state["connected_apps"] == ["callrouter"]
    apps = await ari.call("GET", "/applications")
    assert [a["name"] for a in apps.body] == ["callrouter"]
    sub = await ari.call(
        "POST", "/applications/callrouter/subscription", {"eventSource": f"channel:{call['id']}"}
    )
    assert sub.body["channel_ids"] == [call["id"]]
    bad = await ari.call(
        "POST", "/applications/callrouter/subscription", {"eventSource": "channel:nope"}
    )
    assert bad.status == 422
