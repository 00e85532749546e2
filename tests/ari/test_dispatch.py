"""Per-channel ordered dispatch: order within a channel, concurrency across channels,
handler failures contained, workers retired."""

from __future__ import annotations

import asyncio
import json
import random
from pathlib import Path
from typing import Any

import pytest
from structlog.testing import capture_logs

from callrouter.ari import (
    AriClient,
    ChannelDtmfReceived,
    Event,
    StasisEnd,
    StasisStart,
    parse_event,
)
from callrouter.ari._dispatch import Dispatcher
from callrouter.sim import SimControl
from tests.ari.conftest import eventually, running

CAPTURES = Path(__file__).parent / "captures"


def _channel(channel_id: str) -> dict[str, Any]:
    for line in (CAPTURES / "flow1.jsonl").read_text().splitlines():
        raw = json.loads(line)
        if raw["type"] == "StasisStart":
            return {**raw["channel"], "id": channel_id}
    raise AssertionError("no StasisStart in flow1")


def _event(kind: str, channel_id: str, **fields: Any) -> Event:
    raw = {"type": kind, "application": "callrouter",
           "timestamp": "2026-11-23T10:42:13.792+0000", "channel": _channel(channel_id),
           **fields}
    event = parse_event(json.dumps(raw))
    assert isinstance(event, Event)
    return event


def _dtmf(channel_id: str, seq: int) -> Event:
    return _event("ChannelDtmfReceived", channel_id, digit=str(seq % 10), duration_ms=seq)


async def test_order_within_a_channel_and_concurrency_across_channels() -> None:
    dispatcher = Dispatcher()
    handled: dict[str, list[int]] = {"a": [], "b": []}
    running_now = 0
    peak = 0

    async def slow(event: ChannelDtmfReceived) -> None:
        nonlocal running_now, peak
        running_now += 1
        peak = max(peak, running_now)
        await asyncio.sleep(random.uniform(0, 0.004))
        handled[event.channel.id].append(event.duration_ms)
        running_now -= 1

    dispatcher.on(ChannelDtmfReceived, slow)
    dispatcher.freeze()
    async with asyncio.TaskGroup() as tasks:
        dispatcher.attach(tasks)
        for seq in range(100):
            dispatcher.submit(_dtmf("a", seq))
            dispatcher.submit(_dtmf("b", seq))
        assert dispatcher.workers == 2  # one per channel, never one per event
        await eventually(lambda: len(handled["a"]) == len(handled["b"]) == 100)
        dispatcher.attach(None)
        for task in asyncio.all_tasks():
            if task.get_name().startswith("ari:"):
                task.cancel()
    assert handled["a"] == list(range(100))
    assert handled["b"] == list(range(100))
    assert peak == 2


async def test_a_failing_handler_is_logged_and_the_worker_carries_on() -> None:
    dispatcher = Dispatcher()
    handled: list[int] = []

    async def flaky(event: ChannelDtmfReceived) -> None:
        if event.duration_ms == 3:
            raise RuntimeError("bug in a handler")
        handled.append(event.duration_ms)

    dispatcher.on(ChannelDtmfReceived, flaky)
    with capture_logs() as logs:
        async with asyncio.TaskGroup() as tasks:
            dispatcher.attach(tasks)
            for seq in range(6):
                dispatcher.submit(_dtmf("a", seq))
            dispatcher.submit(_event("StasisEnd", "a"))
    assert handled == [0, 1, 2, 4, 5]
    [failure] = [entry for entry in logs if entry["event"] == "ari_handler_failed"]
    assert failure["type"] == "ChannelDtmfReceived"
    assert failure["key"] == "channel:a"
    assert failure["exc_info"] is True
    assert failure["ari_event"]["type"] == "ChannelDtmfReceived"


async def test_workers_retire_after_the_final_event_or_when_idle() -> None:
    dispatcher = Dispatcher(idle_timeout=0.05)
    seen: list[str] = []

    async def note(event: Any) -> None:
        seen.append(event.type)

    dispatcher.on("*", note)
    async with asyncio.TaskGroup() as tasks:
        dispatcher.attach(tasks)
        dispatcher.submit(_event("StasisStart", "a", args=[]))
        dispatcher.submit(_event("StasisEnd", "a"))
        dispatcher.submit(_event("StasisStart", "idle", args=[]))
        await eventually(lambda: len(seen) == 3)
        await eventually(lambda: dispatcher.workers == 1)  # "a" is done at once
        await eventually(lambda: dispatcher.workers == 0)  # "idle" retires on its own
        # A later event for a retired channel starts a fresh worker.
        dispatcher.submit(_event("ChannelDestroyed", "a", cause=16, cause_txt="Normal"))
        await eventually(lambda: dispatcher.workers == 0)
    assert seen == ["StasisStart", "StasisEnd", "StasisStart", "ChannelDestroyed"]


async def test_events_without_a_handler_start_no_worker() -> None:
    dispatcher = Dispatcher()
    dispatcher.on(StasisEnd, _ignore)
    async with asyncio.TaskGroup() as tasks:
        dispatcher.attach(tasks)
        dispatcher.submit(_dtmf("a", 1))
        assert dispatcher.workers == 0


async def _ignore(_event: Any) -> None:
    return None


def test_handlers_are_registered_before_events_flow() -> None:
    dispatcher = Dispatcher()
    dispatcher.on(StasisStart, _ignore)
    dispatcher.freeze()
    with pytest.raises(RuntimeError, match="before"):
        dispatcher.on(StasisEnd, _ignore)
    with pytest.raises(ValueError):
        Dispatcher().on(Event, _ignore)


async def test_dtmf_order_per_call_over_the_sim(ari: AriClient, control: SimControl) -> None:
    digits: dict[str, list[str]] = {}
    overlap = asyncio.Event()
    busy: set[str] = set()

    async def on_dtmf(event: ChannelDtmfReceived) -> None:
        busy.add(event.channel.id)
        if len(busy) > 1:
            overlap.set()
        await asyncio.sleep(0.01)  # slower than the digits arrive
        digits.setdefault(event.channel.id, []).append(event.digit)
        busy.discard(event.channel.id)

    ari.on(ChannelDtmfReceived, on_dtmf)
    async with running(ari):
        first = (await control.place_call(caller_number="1"))["id"]
        second = (await control.place_call(caller_number="2"))["id"]
        await ari.channels.answer(first)
        await ari.channels.answer(second)
        await asyncio.gather(
            control.send_dtmf(first, "0123456789*#", between=0.001, duration_ms=10),
            control.send_dtmf(second, "9876543210#*", between=0.001, duration_ms=10),
        )
        await eventually(lambda: sum(len(d) for d in digits.values()) == 24)
        with pytest.raises(RuntimeError):
            ari.on(StasisStart, _ignore)
    assert "".join(digits[first]) == "0123456789*#"
    assert "".join(digits[second]) == "9876543210#*"
    assert overlap.is_set()
