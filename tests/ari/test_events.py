"""Event parsing: real Asterisk captures, tolerance, and bad frames over a real socket."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from structlog.testing import capture_logs

from callrouter.ari import (
    EVENT_TYPES,
    AnyEvent,
    ChannelDestroyed,
    ChannelHangupRequest,
    Event,
    PlaybackFinished,
    StasisStart,
    UnknownEvent,
    parse_event,
    serial_key,
)
from tests.ari.conftest import eventually, local_server, make_client

CAPTURES = Path(__file__).parent / "captures"


def _capture_lines() -> list[tuple[str, str]]:
    return [
        (path.name, line)
        for path in sorted(CAPTURES.glob("*.jsonl"))
        for line in path.read_text().splitlines()
        if line.strip()
    ]


@pytest.mark.parametrize(("source", "line"), _capture_lines())
def test_every_captured_event_parses_to_its_model(source: str, line: str) -> None:
    raw = json.loads(line)
    event = parse_event(line)
    assert isinstance(event, Event), f"{source}: {raw['type']} did not parse"
    assert type(event) is EVENT_TYPES[raw["type"]]
    assert event.application == "callrouter"


def test_sip_bye_hangup_request_has_no_cause() -> None:
    events = [parse_event(line) for _, line in _capture_lines()]
    requests = [e for e in events if isinstance(e, ChannelHangupRequest)]
    assert any(e.cause is None for e in requests)
    assert any(e.cause == 16 or e.cause == 0 or e.cause == 32 for e in requests)


def _stasis_start(channel_id: str = "1.1", **extra: Any) -> dict[str, Any]:
    for _, line in _capture_lines():
        raw = json.loads(line)
        if raw["type"] == "StasisStart":
            raw["channel"] = {**raw["channel"], "id": channel_id}
            return {**raw, **extra}
    raise AssertionError("no StasisStart in the captures")


def test_unknown_fields_are_kept_not_fatal() -> None:
    raw = _stasis_start(brand_new_field=1)
    raw["channel"]["added_in_asterisk_23"] = "x"
    event = parse_event(json.dumps(raw))
    assert isinstance(event, StasisStart)
    assert event.model_extra == {"brand_new_field": 1}
    assert event.channel.model_extra == {"added_in_asterisk_23": "x"}


def test_unknown_type_passes_through() -> None:
    frame = json.dumps({"type": "CallBroadcast", "application": "callrouter",
                        "channel": {"id": "9.9"}, "caller": "5551234"})
    event = parse_event(frame)
    assert isinstance(event, UnknownEvent)
    assert event.type == "CallBroadcast"
    assert event.raw["caller"] == "5551234"
    assert serial_key(event) == "channel:9.9"


@pytest.mark.parametrize("frame", ["{not json", "[1, 2]", '{"no_type": 1}', '"text"'])
def test_malformed_frame_is_one_log_line(frame: str) -> None:
    with capture_logs() as logs:
        assert parse_event(frame) is None
    assert [entry["event"] for entry in logs] == ["ari_event_malformed"]


def test_event_not_matching_its_model_is_one_log_line() -> None:
    raw = _stasis_start()
    del raw["channel"]
    with capture_logs() as logs:
        assert parse_event(json.dumps(raw)) is None
    [line] = logs
    assert line["event"] == "ari_event_invalid"
    assert line["type"] == "StasisStart"


def test_serial_keys() -> None:
    for _, line in _capture_lines():
        event = parse_event(line)
        assert event is not None
        key = serial_key(event)
        if isinstance(event, PlaybackFinished):
            assert key == event.playback.target_uri
        elif isinstance(event, ChannelDestroyed | StasisStart):
            assert key == f"channel:{event.channel.id}"
        assert key.split(":")[0] in {"channel", "bridge", "application"}


def _events_server(frames: list[str]) -> web.Application:
    """A bare ARI that sends ``frames`` on the events WebSocket, then a binary frame."""
    app = web.Application()

    async def events(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        for frame in frames:
            await ws.send_str(frame)
        await ws.send_bytes(b"\x00binary")
        async for _message in ws:
            pass
        return ws

    async def empty(_request: web.Request) -> web.Response:
        return web.json_response([])

    async def application(_request: web.Request) -> web.Response:
        return web.json_response({
            "name": "callrouter", "channel_ids": [], "bridge_ids": [], "endpoint_ids": [],
            "device_names": [], "events_allowed": [], "events_disallowed": [],
        })

    app.router.add_get("/ari/events", events)
    app.router.add_get("/ari/channels", empty)
    app.router.add_get("/ari/bridges", empty)
    app.router.add_get("/ari/applications/callrouter", application)
    return app


async def test_bad_frames_over_the_wire_do_not_stop_the_client() -> None:
    frames = [
        "{not json",
        json.dumps({"type": "StasisStart", "application": "callrouter"}),
        json.dumps({"type": "CallBroadcast", "application": "callrouter",
                    "channel": {"id": "7.7"}}),
        json.dumps(_stasis_start("8.8")),
    ]
    app = _events_server(frames)
    seen: list[AnyEvent] = []

    async def record(event: AnyEvent) -> None:
        seen.append(event)

    async with local_server(app) as url, make_client(url) as client:
        client.on("*", record)
        with capture_logs() as logs:
            task = asyncio.create_task(client.run())
            await eventually(lambda: len(seen) == 2)
            assert not task.done()
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
    assert isinstance(seen[0], UnknownEvent) and seen[0].type == "CallBroadcast"
    assert isinstance(seen[1], StasisStart) and seen[1].channel.id == "8.8"
    names = [entry["event"] for entry in logs]
    assert names.count("ari_event_malformed") == 1
    assert names.count("ari_event_invalid") == 1


async def test_event_types_nobody_handles_are_dropped_before_decoding() -> None:
    """README, Design: frames of a type with no handler are dropped on their leading
    ``"type"``: neither decoded nor checked against their model (no log line for a
    broken one), while a handled type is decoded as before."""
    frames = [
        '{"type":"ChannelVarset","variable":"X", broken',
        json.dumps({"type": "ChannelVarset", "channel": "not an object"}),
        json.dumps(_stasis_start("9.9")),
        '{"type":"StasisStart", broken',
    ]
    seen: list[StasisStart] = []

    async def record(event: StasisStart) -> None:
        seen.append(event)

    async with local_server(_events_server(frames)) as url, make_client(url) as client:
        client.on(StasisStart, record)
        with capture_logs() as logs:
            task = asyncio.create_task(client.run())
            await eventually(lambda: len(seen) == 1)
            await asyncio.sleep(0.1)  # the broken StasisStart after it is read too
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
    assert [event.channel.id for event in seen] == ["9.9"]
    names = [entry["event"] for entry in logs]
    assert names.count("ari_event_malformed") == 1  # the handled type's broken frame only
    assert names.count("ari_event_invalid") == 0
