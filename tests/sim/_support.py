"""Test helpers: a plain-aiohttp ARI client, an event collector and capture replay.

Replay compares the simulator with a capture from a real Asterisk per *subject* (a
channel by its name without the counter, a playback, a recording, a bridge): the order
of events about one subject is Asterisk's contract, while the interleaving of different
channels depends on thread timing in Asterisk and is not compared.
"""

from __future__ import annotations

import asyncio
import contextlib
import difflib
import json
import re
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from callrouter.sim import SimulatedAsterisk

CAPTURES = Path(__file__).resolve().parents[1] / "fixtures" / "captures"
APP = "callrouter"
WAIT_SECONDS = 5.0
# Long enough for the loop to flush events already queued; there is no later event
# to wait for when checking that nothing extra arrives.
SETTLE_SECONDS = 0.05

JsonObj = dict[str, Any]


def load_capture(name: str) -> list[JsonObj]:
    with (CAPTURES / name).open() as lines:
        return [json.loads(line) for line in lines if line.strip()]


@dataclass
class Reply:
    status: int
    reason: str
    body: Any
    content_type: str | None


class Ari:
    def __init__(self, sim: SimulatedAsterisk, session: aiohttp.ClientSession) -> None:
        self.base = sim.url
        self.session = session
        self.auth_header = {"Authorization": aiohttp.encode_basic_auth("callrouter", "secret")}

    async def call(
        self,
        method: str,
        path: str,
        params: dict[str, str] | None = None,
        json_body: JsonObj | None = None,
        *,
        auth: bool = True,
    ) -> Reply:
        url = self.base + (path if path.startswith("/ari") else "/ari" + path)
        async with self.session.request(
            method,
            url,
            params=params or {},
            json=json_body,
            headers=self.auth_header if auth else {},
        ) as resp:
            raw = await resp.read()
            ctype = resp.content_type if raw else None
            body: Any = None
            if raw:
                body = json.loads(raw) if ctype == "application/json" else raw
            return Reply(resp.status, resp.reason or "", body, ctype)


class Events:
    """Collects an app's events from a real WebSocket."""

    def __init__(self) -> None:
        self.received: list[JsonObj] = []
        self._changed = asyncio.Condition()
        self._task: asyncio.Task[None] | None = None
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self._claimed: set[int] = set()

    async def connect(
        self, session: aiohttp.ClientSession, sim: SimulatedAsterisk, *, app: str = APP
    ) -> None:
        self.ws = await session.ws_connect(
            f"{sim.url}/ari/events",
            params={"app": app, "api_key": "callrouter:secret", "subscribeAll": "false"},
        )
        self._task = asyncio.create_task(self._read(self.ws))

    async def _read(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        async for message in ws:
            if message.type == aiohttp.WSMsgType.TEXT:
                async with self._changed:
                    self.received.append(json.loads(message.data))
                    self._changed.notify_all()

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def wait_until(
        self, check: Callable[[list[JsonObj]], bool], what: str = "events"
    ) -> None:
        try:
            async with asyncio.timeout(WAIT_SECONDS), self._changed:
                await self._changed.wait_for(lambda: check(self.received))
        except TimeoutError:
            types = [event["type"] for event in self.received]
            raise AssertionError(f"timed out waiting for {what}; got {types}") from None

    async def next(self, event_type: str, **match: Any) -> JsonObj:
        """The first not yet returned event of this type whose fields match."""

        def find(events: list[JsonObj]) -> int | None:
            for index, event in enumerate(events):
                if index in self._claimed or event["type"] != event_type:
                    continue
                if all(_lookup(event, key) == value for key, value in match.items()):
                    return index
            return None

        await self.wait_until(lambda events: find(events) is not None, event_type)
        index = find(self.received)
        assert index is not None
        self._claimed.add(index)
        return self.received[index]

    async def settle(self) -> None:
        await asyncio.sleep(SETTLE_SECONDS)


def _lookup(event: JsonObj, dotted: str) -> Any:
    value: Any = event
    for part in dotted.split("__"):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


# -- normalisation -------------------------------------------------------------------
_NAME_COUNTER = re.compile(r"-[0-9a-f]{8}(;[12])?")
_HELPER_COUNTER = re.compile(r"ARI-[0-9a-f]{8}")
_CHANNEL_ID = re.compile(r"\b\d{9,}\.\d+\b")


def norm_name(name: str) -> str:
    return _HELPER_COUNTER.sub("ARI-N", _NAME_COUNTER.sub(r"\1", name))


def subject(event: JsonObj) -> str:
    for key in ("channel", "peer"):
        if key in event:
            return norm_name(str(event[key]["name"]))
    if "playback" in event:
        return "playback:" + str(event["playback"]["id"])
    if "recording" in event:
        return "recording:" + str(event["recording"]["name"])
    if "bridge" in event:
        return "bridge:" + str(event["bridge"]["name"] or "<unnamed>")
    return str(event["type"])


def shape(value: Any) -> Any:
    """The structure of a JSON value: keys and leaf types, no values."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in sorted(value.items())}
    if isinstance(value, list):
        # Element shapes are not compared: a list may be empty on one side only
        # (hangup.jsonl's bridge still lists a channel of another test run).
        return "list"
    return type(value).__name__


_DETAILS = (
    "channel__state",
    "variable",
    "cause",
    "tech_cause",
    "soft",
    "cause_txt",
    "dialstatus",
    "playback__state",
    "recording__state",
    "recording__cause",
    "digit",
    "dialplan_app",
)


def signature(event: JsonObj) -> tuple[Any, ...]:
    """What must match between Asterisk and the simulator for one event."""
    body = {k: v for k, v in event.items() if k not in ("timestamp", "asterisk_id")}
    details: list[Any] = [event["type"], json.dumps(shape(body), sort_keys=True)]
    for key in _DETAILS:
        value = _lookup(event, key)
        if value is not None:
            details.append((key, value))
    if "args" in event:
        details.append(("args", [_CHANNEL_ID.sub("<id>", arg) for arg in event["args"]]))
    if event.get("variable") == "BRIDGEPEER":
        details.append(("value", norm_name(event["value"])))
    return tuple(details)


Signature = tuple[Any, ...]


def by_subject(
    events: list[JsonObj], skip: Callable[[JsonObj], bool] = lambda _e: False
) -> dict[str, list[Signature]]:
    grouped: dict[str, list[Signature]] = {}
    for event in events:
        if not skip(event):
            grouped.setdefault(subject(event), []).append(signature(event))
    return grouped


def assert_same_events(
    captured: list[JsonObj],
    simulated: list[JsonObj],
    skip: Callable[[JsonObj], bool] = lambda _event: False,
    normalise: Callable[[list[Signature]], list[Signature]] = lambda sigs: sigs,
) -> None:
    """``normalise`` maps each subject's signatures before comparing, e.g. to put
    events Asterisk sends in either order into one order."""
    want = {name: normalise(sigs) for name, sigs in by_subject(captured, skip).items()}
    got = {name: normalise(sigs) for name, sigs in by_subject(simulated, skip).items()}
    assert sorted(got) == sorted(want), "different subjects"
    for name in want:
        if got[name] != want[name]:
            diff = difflib.unified_diff(
                [repr(sig) for sig in want[name]],
                [repr(sig) for sig in got[name]],
                "asterisk",
                "simulator",
                lineterm="",
            )
            raise AssertionError(f"events about {name} differ:\n" + "\n".join(diff))


def assert_same_body(captured: Any, simulated: Any) -> None:
    assert shape(simulated) == shape(captured)


# -- replay --------------------------------------------------------------------------
Hook = Callable[[], Awaitable[None]]


@dataclass
class Replay:
    """Issue a capture's REST requests in order against the simulator."""

    ari: Ari
    events: Events
    captured_events: list[JsonObj]
    ids: dict[str, str]
    skip: Callable[[JsonObj], bool] = lambda _event: False
    # Whether a step's ts is when it started (sip/ captures) rather than when it
    # completed (real_*.jsonl): then all Asterisk had sent by that ts comes first.
    ts_at_start: bool = False

    def _substitute(self, text: str) -> str:
        for old, new in self.ids.items():
            text = text.replace(old, new)
        return text

    def _expected_counts(self, before_ts: str | None) -> Counter[str]:
        cutoff = None if before_ts is None else before_ts[:23]
        return Counter(
            subject(event)
            for event in self.captured_events
            if (cutoff is None or event["timestamp"][:23] < cutoff) and not self.skip(event)
        )

    async def catch_up(self, before_ts: str | None = None) -> None:
        """Wait until the simulator sent what Asterisk had sent by this time."""
        wanted = self._expected_counts(before_ts)

        def caught_up(events: list[JsonObj]) -> bool:
            have = Counter(subject(event) for event in events if not self.skip(event))
            return all(have[name] >= count for name, count in wanted.items())

        await self.events.wait_until(caught_up, f"events before {before_ts}")

    async def learn_channel_ids(self, text: str) -> None:
        """Map each captured channel id in ``text`` to the simulator's channel."""
        names = {
            event["channel"]["id"]: norm_name(event["channel"]["name"])
            for event in self.captured_events
            if "channel" in event
        }
        for captured_id in _CHANNEL_ID.findall(text):
            if captured_id in self.ids or captured_id not in names:
                continue
            wanted = names[captured_id]

            def mine(events: list[JsonObj], wanted: str = wanted) -> JsonObj | None:
                for event in events:
                    if "channel" in event and norm_name(event["channel"]["name"]) == wanted:
                        return event
                return None

            await self.events.wait_until(lambda evs: mine(evs) is not None, wanted)
            found = mine(self.events.received)
            assert found is not None
            self.ids[captured_id] = found["channel"]["id"]

    async def run(
        self,
        steps: list[JsonObj],
        hooks: dict[int, Hook] | None = None,
        act: Callable[[JsonObj], Awaitable[None]] | None = None,
    ) -> None:
        """Issue ``steps`` in order; steps with ``"kind": "action"`` (what the far end
        did, tools/ari_fidelity.py) go to ``act`` instead of the REST API."""
        for index, step in enumerate(steps):
            # A step's ts is logged as it completes: what Asterisk had sent before the
            # previous step completed was certainly sent before this one started.
            if self.ts_at_start:
                await self.catch_up(step.get("ts"))
            elif index > 0:
                await self.catch_up(steps[index - 1].get("ts"))
            if step.get("kind") == "action":
                assert act is not None, f"no handler for action {step['action']}"
                await act(step)
                continue
            await self.learn_channel_ids(json.dumps([step["path"], step.get("params")]))
            if hooks and index in hooks:
                await hooks[index]()
            await self.step(step)
        if hooks and len(steps) in hooks:
            await hooks[len(steps)]()
        await self.catch_up()
        await self.events.settle()

    async def step(self, step: JsonObj) -> Reply:
        params = {k: self._substitute(str(v)) for k, v in step.get("params", {}).items()}
        reply = await self.ari.call(
            step["method"], self._substitute(step["path"]), params, step.get("request_body")
        )
        label = step.get("label", f"{step['method']} {step['path']}")
        assert (reply.status, reply.reason) == (step["status"], step["reason"]), label
        assert reply.content_type == step["content_type"], label
        captured = step["body"]
        if isinstance(captured, dict) and isinstance(reply.body, dict):
            if "id" in captured and "id" in reply.body:
                self.ids[captured["id"]] = reply.body["id"]
            if "message" in captured or "error" in captured:
                assert reply.body == json.loads(self._substitute(json.dumps(captured))), label
        assert_same_body(captured, reply.body)
        return reply
