"""Replay each capture from a real Asterisk 22.10.1 against the simulator.

The same REST requests go out in the same order; statuses, reasons, error bodies and
JSON shapes must match, and so must the events about each channel, bridge, playback and
recording (see ``_support`` for what is compared).
"""

from __future__ import annotations

import pytest

from callrouter.sim import SimControl
from tests.sim._support import Ari, Events, JsonObj, Replay, assert_same_events, load_capture


async def _replay(
    ari: Ari,
    events: Events,
    name: str,
    rest: str,
    ids: dict[str, str] | None = None,
) -> tuple[Replay, list[JsonObj]]:
    captured = load_capture(name)
    return Replay(ari, events, captured, dict(ids or {})), captured


async def test_flow1_inbound_operator_bridge_record_play(ari: Ari, events: Events) -> None:
    replay, captured = await _replay(ari, events, "flow1.jsonl", "rest1.jsonl")
    await replay.run(load_capture("rest1.jsonl"))
    assert_same_events(captured, events.received)


@pytest.mark.parametrize(
    ("events_file", "rest_file", "hangup_step", "cause"),
    [
        # Step 4 is the GET /bridges/{id} after the caller left the holding bridge.
        pytest.param("hangup.jsonl", "rest_hangup.jsonl", 4, 0, id="holding-bridge"),
        pytest.param("hangup_ringing.jsonl", "rest_hangup_ringing.jsonl", 1, 0, id="ringing"),
        # Subscribed to the channel, the app also gets ChannelDestroyed (cause from AMI).
        pytest.param(
            "hangup_subscribed.jsonl", "rest_hangup_subscribed.jsonl", 3, 16, id="subscribed"
        ),
    ],
)
async def test_caller_hangs_up(
    ari: Ari,
    events: Events,
    sim_control: SimControl,
    events_file: str,
    rest_file: str,
    hangup_step: int,
    cause: int,
) -> None:
    captured = load_capture(events_file)
    call = await sim_control.place_call(
        caller_number="5551234", caller_name="Alice", endpoint="Local/100@from-pstn"
    )
    replay = Replay(ari, events, captured, {captured[0]["channel"]["id"]: call["id"]})

    async def caller_hangs_up() -> None:
        await sim_control.hangup(call["id"], cause=cause)

    await replay.run(load_capture(rest_file), hooks={hangup_step: caller_hangs_up})
    assert_same_events(captured, events.received)


async def test_sip_inbound_play_dtmf_bye(ari: Ari, events: Events, sim_control: SimControl) -> None:
    captured = load_capture("sip_inbound.jsonl")
    call = await sim_control.place_call(
        caller_number="5551234", caller_name="Alice", endpoint="PJSIP/pstn"
    )
    replay = Replay(ari, events, captured, {captured[0]["channel"]["id"]: call["id"]})
    steps = load_capture("rest_sip_inbound.jsonl")

    async def caller_sends_bye() -> None:
        await sim_control.hangup(call["id"])

    await replay.run(steps, hooks={len(steps): caller_sends_bye})
    assert_same_events(captured, events.received)
    assert "cause" not in (await events.next("ChannelHangupRequest"))


def transient_recorders(event: JsonObj) -> bool:
    # Asterisk adds and drops a Recorder for each *refused* record request too; the
    # simulator validates first and never creates one.
    return event.get("variable") == "BRIDGEPEER"


async def test_error_answers(ari: Ari, events: Events, sim_control: SimControl) -> None:
    captured = load_capture("errors_events.jsonl")
    steps = load_capture("errors.jsonl")
    # The context the capture was made in: an answered Local pair outside Stasis
    # (.17/.18) and an inbound caller in Stasis (.20).
    outside = await ari.call(
        "POST",
        "/channels",
        {"endpoint": "Local/555@operators", "context": "operators", "extension": "555"},
    )
    state = await sim_control.state()
    pair = {ch["id"]: ch["sim"]["local_peer"] for ch in state["channels"]}
    call = await sim_control.place_call(caller_name="", endpoint="Local/100@from-pstn")
    await sim_control.set_sound("hello-world", 3600)  # still playing when stopped
    ids = {
        "1795430553.17": outside.body["id"],
        "1795430553.18": pair[outside.body["id"]],
        "1795430553.20": call["id"],
    }
    replay = Replay(ari, events, captured, ids, skip=transient_recorders)
    await events.next("StasisStart")
    for step in steps:
        if step["method"] == "GET(websocket)":
            continue
        auth = step["label"] not in ("bad password", "no credentials")
        if auth:
            await replay.step(step)
        else:
            reply = await ari.call(step["method"], step["path"], auth=False)
            assert (reply.status, reply.body) == (step["status"], step["body"])
    await replay.catch_up()
    await events.settle()
    assert_same_events(captured, events.received, skip=transient_recorders)


async def test_websocket_handshake_errors(ari: Ari) -> None:
    for step in load_capture("errors.jsonl"):
        if step["method"] != "GET(websocket)":
            continue
        # The capture's good credentials were callrouter:callrouter.
        path, _, query = (
            step["path"].replace("callrouter:callrouter", "callrouter:secret").partition("?")
        )
        params = dict(part.split("=", 1) for part in query.split("&"))
        async with ari.session.get(ari.base + path, params=params) as resp:
            assert resp.status == step["status"]
            if isinstance(step["body"], str):
                assert await resp.text() == step["body"]
            else:
                assert await resp.json() == step["body"]
