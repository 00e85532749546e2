"""Replay the ``real_*.jsonl`` captures that tools/ari_fidelity.py recorded from a real
Asterisk 22.10.1 (Local channels, no SIP) against the simulator.

Each capture holds, in order, the REST exchanges (``kind: rest``), what the caller's side
did (``kind: action``: place_inbound, caller_hangup, caller_dtmf, done on the real
Asterisk through the Local pair's ``;1`` half and here through ``SimControl``), refused
WebSocket handshakes (``kind: ws``) and the application's events (``kind: event``).
Statuses, reasons, error bodies and JSON shapes must match, and so must the events about
each channel, bridge, playback and recording (see ``_support``), except ChannelDialplan
of channels outside Stasis: that is the far end's dialplan, i.e. configuration.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from callrouter.sim import SimControl, SimulatedAsterisk
from tests.fixtures_sim import SIM_PASSWORD, SIM_USERNAME
from tests.sim._support import (
    CAPTURES,
    Ari,
    Events,
    JsonObj,
    Replay,
    assert_same_events,
    load_capture,
)

REAL_CAPTURES = sorted(path.name for path in CAPTURES.glob("real_*.jsonl"))
# Slow enough that the 2 s originate timeout of real_d still rings when the next
# request arrives, fast enough that the 2 s bridge recording of real_b is short.
TIME_SCALE = 10.0
# What a DELETE of the real caller's ";1" half reports on ";2".
CALLER_HANGUP_CAUSE = 16
_SERVERNAME = re.compile(r"<address>[^<]*</address>")


@pytest.fixture
async def sim(tmp_path: Path) -> AsyncIterator[SimulatedAsterisk]:
    async with SimulatedAsterisk(
        username=SIM_USERNAME,
        password=SIM_PASSWORD,
        recordings_dir=tmp_path / "recordings",
        time_scale=TIME_SCALE,
    ) as simulator:
        yield simulator


def far_end_dialplan(event: JsonObj) -> bool:
    return event["type"] == "ChannelDialplan" and event.get("dialplan_app") != "Stasis"


async def _check_handshake(sim: SimulatedAsterisk, record: JsonObj) -> None:
    url = sim.url + record["path"].replace("<good-key>", f"{SIM_USERNAME}:{SIM_PASSWORD}")
    url = url.replace("callrouter:wrong", f"{SIM_USERNAME}:wrong")
    async with aiohttp.ClientSession() as session:
        try:
            ws = await session.ws_connect(url)
        except aiohttp.WSServerHandshakeError as err:
            status = err.status
        else:
            await ws.close()
            status = 101
    assert status == record["status"], record["label"]
    if status == 101:
        return
    async with aiohttp.ClientSession() as session, session.get(url) as resp:
        if isinstance(record["body"], str):
            text = _SERVERNAME.sub("", await resp.text())
            assert text == _SERVERNAME.sub("", record["body"]), record["label"]
        else:
            assert await resp.json() == record["body"], record["label"]


@pytest.mark.parametrize("name", REAL_CAPTURES)
async def test_real_capture(
    name: str, sim: SimulatedAsterisk, ari: Ari, events: Events, sim_control: SimControl
) -> None:
    records = load_capture(name)
    captured = [record["event"] for record in records if record["kind"] == "event"]
    steps = [record for record in records if record["kind"] in ("rest", "action")]
    replay = Replay(ari, events, captured, {}, skip=far_end_dialplan)
    await sim_control.set_endpoint("Local", "200@noanswer", behavior="noanswer")

    async def act(action: JsonObj) -> None:
        if action["action"] == "place_inbound":
            call = await sim_control.place_call(
                caller_number=action["caller_number"],
                caller_name=action["caller_name"],
                endpoint="Local/100@from-pstn",
            )
            replay.ids[action["channel"]] = call["id"]
        elif action["action"] == "caller_hangup":
            await sim_control.hangup(replay.ids[action["channel"]], cause=CALLER_HANGUP_CAUSE)
        elif action["action"] == "wait":
            pass  # Replay.run has caught up with what Asterisk had sent by then.
        elif action["action"] == "caller_dtmf":
            channel_id = replay.ids[action["channel"]]
            await sim_control.send_dtmf(channel_id, action["digits"], duration_ms=100)
        else:
            raise AssertionError(f"unknown action {action['action']}")

    await replay.run(steps, act=act)
    assert_same_events(captured, events.received, skip=far_end_dialplan)
    for record in records:
        if record["kind"] == "ws":
            await _check_handshake(sim, record)
