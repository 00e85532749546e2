"""ARI fidelity: run the same ARI scenarios against a real Asterisk and the simulator, diff.

A developer tool (not run by tests or CI). Each scenario (``SCENARIOS``) is written once
against a ``Session``; a ``Target`` supplies what differs between a real Asterisk and
``callrouter.sim``: how an inbound call is placed, how its caller hangs up or presses keys,
how a never-answering extension is scripted. Everything else is plain ARI on both sides.

Real Asterisk (see /opt/asterisk/HOWTO.md): an inbound call is
``POST /channels?endpoint=Local/100@from-pstn&context=customers&extension=999`` whose
``;2`` half runs ``Stasis(callrouter,inbound)``; the caller hangs up by ``DELETE`` of the
``;1`` half. For DTMF the ``;1`` half is originated into a second application
(``callrouter-far``) instead, so ``POST /channels/{;1}/dtmf`` can press keys towards
``;2``. Scenario (d) needs ``[noanswer] exten => _X.,1,NoOp() / n,Wait(60)`` in
extensions.conf. The simulator runs in-process on a free port and uses ``SimControl``.

Each scenario's recording is JSONL, one record a line, in the order things happened:
``{"kind": "rest", label, ts, method, path, params, request_body, status, reason,
content_type, body}`` (the shape ``tests/sim/_support.Replay.step`` takes), ``{"kind":
"action", "action": "place_inbound" | "caller_hangup" | "caller_dtmf", channel, ...}`` for
the target-specific steps (their own REST calls are not recorded), ``{"kind": "action",
"action": "wait", "event": type}`` where the scenario waited for an event (a replay then
waits for what Asterisk had sent by then), ``{"kind": "ws", ...}``
for WebSocket handshakes and ``{"kind": "event", "event": {...}}`` for the application's
events. The diff is structural (``tests/sim/_support``: events grouped per channel, bridge,
playback, recording; field names and value types; states, causes, variables, digits),
REST answers by status, reason, content type, body shape and exact error bodies, with
channel ids, uuids and name counters normalised away.

Usage (from the repository root)::

    .venv/bin/python tools/ari_fidelity.py compare                  # real vs sim, all
    .venv/bin/python tools/ari_fidelity.py compare -s a -s e        # some scenarios
    .venv/bin/python tools/ari_fidelity.py compare --save-fixtures  # + real_<name>.jsonl
    .venv/bin/python tools/ari_fidelity.py run --target sim --out /tmp/sim
    .venv/bin/python tools/ari_fidelity.py diff /tmp/ari_fidelity/real /tmp/ari_fidelity/sim

Real target options: ``--url http://127.0.0.1:8088 --user callrouter --password
callrouter``. Captures go to ``--out`` (default /tmp/ari_fidelity/{real,sim}/).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import difflib
import json
import re
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from callrouter.sim import SimControl, SimulatedAsterisk  # noqa: E402
from tests.sim._support import by_subject, norm_name  # noqa: E402

JsonObj = dict[str, Any]
APP = "callrouter"
FAR_APP = "callrouter-far"
FIXTURES = ROOT / "tests" / "fixtures" / "captures"
EVENT_WAIT = 10.0
# Time for Asterisk's last events to arrive after a scenario's last request.
SETTLE = 0.8
CALLER = ("5551234", "Alice")
NOANSWER_ENDPOINT = "Local/200@noanswer"


def now_ts() -> str:
    moment = datetime.now(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+00:00"


# -- sessions ----------------------------------------------------------------------------
@dataclass
class Reply:
    status: int
    reason: str
    body: Any
    content_type: str | None


@dataclass
class Call:
    id: str
    far_id: str | None = None


class Session:
    """One scenario against one target: REST with recording, and the app's events."""

    def __init__(self, target: Target, http: aiohttp.ClientSession) -> None:
        self.target = target
        self.http = http
        self.records: list[JsonObj] = []
        self.events: list[JsonObj] = []
        self._changed = asyncio.Condition()
        self._claimed: set[int] = set()
        self._readers: list[asyncio.Task[None]] = []
        self._sockets: list[aiohttp.ClientWebSocketResponse] = []
        self.cleanup_channels: list[str] = []
        self.cleanup_bridges: list[str] = []

    # -- websockets -------------------------------------------------------------------
    async def connect(self, app: str, *, record: bool) -> None:
        ws = await self.http.ws_connect(
            self.target.url + "/ari/events",
            params={"app": app, "api_key": self.target.api_key, "subscribeAll": "false"},
        )
        self._sockets.append(ws)
        self._readers.append(asyncio.create_task(self._read(ws, app, record)))

    async def _read(self, ws: aiohttp.ClientWebSocketResponse, app: str, record: bool) -> None:
        async for message in ws:
            if message.type != aiohttp.WSMsgType.TEXT:
                continue
            event = json.loads(message.data)
            async with self._changed:
                event["_app"] = app
                self.events.append(event)
                if record:
                    clean = {k: v for k, v in event.items() if k != "_app"}
                    self.records.append({"kind": "event", "event": clean})
                self._changed.notify_all()

    async def close(self) -> None:
        for ws in self._sockets:
            await ws.close()
        for task in self._readers:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def wait_event(
        self, event_type: str, check: Callable[[JsonObj], bool] = lambda _e: True
    ) -> JsonObj:
        """A scenario waits for an event; recorded so that a replay waits as long."""
        event = await self.harness_wait(event_type, check)
        self.action("wait", event=event_type)
        return event

    async def harness_wait(
        self, event_type: str, check: Callable[[JsonObj], bool] = lambda _e: True, app: str = APP
    ) -> JsonObj:
        def find() -> int | None:
            for index, event in enumerate(self.events):
                if index in self._claimed or event["type"] != event_type:
                    continue
                if event["_app"] == app and check(event):
                    return index
            return None

        try:
            async with asyncio.timeout(EVENT_WAIT), self._changed:
                await self._changed.wait_for(lambda: find() is not None)
        except TimeoutError:
            seen = [e["type"] for e in self.events]
            raise RuntimeError(f"{self.target.name}: no {event_type}; saw {seen}") from None
        index = find()
        assert index is not None
        self._claimed.add(index)
        return self.events[index]

    async def stasis_start(self, channel_id: str) -> JsonObj:
        return await self.wait_event("StasisStart", lambda e: e["channel"]["id"] == channel_id)

    # -- REST -------------------------------------------------------------------------
    async def raw(
        self, method: str, path: str, params: dict[str, str] | None = None, *, auth: bool = True
    ) -> Reply:
        headers = {"Authorization": self.target.basic_auth} if auth else {}
        async with self.http.request(
            method, self.target.url + "/ari" + path, params=params or {}, headers=headers
        ) as resp:
            raw = await resp.read()
            ctype = resp.content_type if raw else None
            body: Any = None
            if raw:
                body = json.loads(raw) if ctype == "application/json" else raw.decode()
            return Reply(resp.status, resp.reason or "", body, ctype)

    async def rest(
        self, label: str, method: str, path: str, params: dict[str, str] | None = None
    ) -> Reply:
        reply = await self.raw(method, path, params)
        self.records.append(
            {
                "kind": "rest",
                "label": label,
                "ts": now_ts(),
                "method": method,
                "path": "/ari" + path,
                "params": params or {},
                "request_body": None,
                "status": reply.status,
                "reason": reply.reason,
                "content_type": reply.content_type,
                "body": reply.body,
            }
        )
        return reply

    def action(self, action: str, **fields: Any) -> None:
        self.records.append({"kind": "action", "action": action, "ts": now_ts(), **fields})

    async def handshake(self, label: str, params: dict[str, str]) -> None:
        """A WebSocket handshake that Asterisk refuses: status and body only."""
        query = "&".join(f"{k}={v}" for k, v in params.items())
        url = self.target.url + "/ari/events?" + query
        # A fresh connection each time: a refused upgrade leaves the pooled one unusable.
        async with aiohttp.ClientSession() as fresh:
            try:
                ws = await fresh.ws_connect(url)
            except aiohttp.WSServerHandshakeError as err:
                status = err.status
            else:
                await ws.close()
                status = 101
        body: Any = None
        if status != 101:
            # The refusal's body, from a plain GET with the same upgrade headers.
            headers = {
                "Upgrade": "websocket",
                "Connection": "Upgrade",
                "Sec-WebSocket-Version": "13",
                "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
            }
            async with aiohttp.ClientSession() as fresh, fresh.get(url, headers=headers) as resp:
                text = await resp.text()
                body = json.loads(text) if resp.content_type == "application/json" else text
        masked = query.replace(self.target.api_key, "<good-key>")
        self.records.append(
            {"kind": "ws", "label": label, "ts": now_ts(), "path": "/ari/events?" + masked,
             "status": status, "body": body}
        )  # fmt: skip

    async def settle(self, seconds: float = SETTLE) -> None:
        await asyncio.sleep(seconds)

    async def cleanup(self) -> None:
        """Hang up and destroy what the scenario left, unrecorded."""
        for channel_id in self.cleanup_channels:
            await self.raw("DELETE", f"/channels/{channel_id}")
        for bridge_id in self.cleanup_bridges:
            await self.raw("DELETE", f"/bridges/{bridge_id}")


# -- targets -----------------------------------------------------------------------------
class Target:
    name = "?"
    url = ""
    user = ""
    password = ""

    @property
    def api_key(self) -> str:
        return f"{self.user}:{self.password}"

    @property
    def basic_auth(self) -> str:
        return aiohttp.encode_basic_auth(self.user, self.password)

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def reset(self, session: Session) -> None:
        """Between scenarios: nothing left over from the previous one."""
        for ch in (await session.raw("GET", "/channels")).body or []:
            await session.raw("DELETE", f"/channels/{ch['id']}")
        for br in (await session.raw("GET", "/bridges")).body or []:
            await session.raw("DELETE", f"/bridges/{br['id']}")

    async def place_inbound(self, session: Session, *, dtmf: bool = False) -> Call:
        raise NotImplementedError

    async def caller_hangup(self, session: Session, call: Call) -> None:
        raise NotImplementedError

    async def caller_dtmf(self, session: Session, call: Call, digits: str) -> None:
        raise NotImplementedError

    async def script_noanswer(self, endpoint: str) -> None:
        del endpoint


class RealTarget(Target):
    name = "real"

    def __init__(self, url: str, user: str, password: str) -> None:
        self.url, self.user, self.password = url.rstrip("/"), user, password

    async def place_inbound(self, session: Session, *, dtmf: bool = False) -> Call:
        params = {"endpoint": "Local/100@from-pstn", "callerId": f"{CALLER[1]} <{CALLER[0]}>"}
        if dtmf:
            await session.connect(FAR_APP, record=False)
            params.update(app=FAR_APP, appArgs="far")
        else:
            params.update(context="customers", extension="999", priority="1")
        far = (await session.raw("POST", "/channels", params)).body
        wanted = far["name"][:-2] + ";2"
        event = await session.harness_wait("StasisStart", lambda e: e["channel"]["name"] == wanted)
        session.action(
            "place_inbound", channel=event["channel"]["id"], caller_number=CALLER[0],
            caller_name=CALLER[1],
        )  # fmt: skip
        return Call(event["channel"]["id"], far["id"])

    async def caller_hangup(self, session: Session, call: Call) -> None:
        await session.raw("DELETE", f"/channels/{call.far_id}")
        session.action("caller_hangup", channel=call.id)

    async def caller_dtmf(self, session: Session, call: Call, digits: str) -> None:
        far_id = call.far_id
        await session.harness_wait(
            "StasisStart", lambda e: e["channel"]["id"] == far_id, app=FAR_APP
        )
        params = {"dtmf": digits, "duration": "100", "between": "100"}
        reply = await session.raw("POST", f"/channels/{far_id}/dtmf", params)
        if reply.status != 204:
            raise RuntimeError(f"far-end DTMF failed: {reply}")
        session.action("caller_dtmf", channel=call.id, digits=digits)


class SimTarget(Target):
    name = "sim"
    # What a real DELETE of the Local ";1" half reports on ";2" (measured).
    HANGUP_CAUSE = 16

    def __init__(self) -> None:
        self.user, self.password = "callrouter", "secret"
        self.sim = SimulatedAsterisk(username=self.user, password=self.password)
        self.control: SimControl | None = None

    async def start(self) -> None:
        await self.sim.start()
        self.url = self.sim.url
        self.control = SimControl(self.url)
        await self.control.set_endpoint("Local", NOANSWER_ENDPOINT[6:], behavior="noanswer")

    async def stop(self) -> None:
        if self.control is not None:
            await self.control.close()
        await self.sim.stop()

    def _control(self) -> SimControl:
        assert self.control is not None
        return self.control

    async def place_inbound(self, session: Session, *, dtmf: bool = False) -> Call:
        call = await self._control().place_call(
            caller_number=CALLER[0], caller_name=CALLER[1], endpoint="Local/100@from-pstn"
        )
        await session.harness_wait("StasisStart", lambda e: e["channel"]["id"] == call["id"])
        session.action(
            "place_inbound", channel=call["id"], caller_number=CALLER[0], caller_name=CALLER[1]
        )
        return Call(call["id"])

    async def caller_hangup(self, session: Session, call: Call) -> None:
        await self._control().hangup(call.id, cause=self.HANGUP_CAUSE)
        session.action("caller_hangup", channel=call.id)

    async def caller_dtmf(self, session: Session, call: Call, digits: str) -> None:
        await self._control().send_dtmf(call.id, digits, duration_ms=100, between=0.1)
        session.action("caller_dtmf", channel=call.id, digits=digits)


# -- scenarios ---------------------------------------------------------------------------
Scenario = Callable[[Session], Awaitable[None]]


async def holding_hangup(s: Session) -> None:
    """(a) answered caller in a holding bridge with MOH hangs up."""
    call = await s.target.place_inbound(s)
    await s.rest("answer", "POST", f"/channels/{call.id}/answer")
    br = (await s.rest("create holding bridge", "POST", "/bridges",
                       {"type": "holding", "name": "fid-hold"})).body  # fmt: skip
    s.cleanup_bridges.append(br["id"])
    await s.rest("add caller", "POST", f"/bridges/{br['id']}/addChannel", {"channel": call.id})
    await s.rest("start moh", "POST", f"/bridges/{br['id']}/moh", {"mohClass": "default"})
    await s.rest("get bridge", "GET", f"/bridges/{br['id']}")
    await s.settle(0.3)
    await s.target.caller_hangup(s, call)
    await s.wait_event("StasisEnd", lambda e: e["channel"]["id"] == call.id)
    await s.rest("get bridge after hangup", "GET", f"/bridges/{br['id']}")
    await s.rest("get gone caller", "GET", f"/channels/{call.id}")
    await s.rest("destroy bridge", "DELETE", f"/bridges/{br['id']}")


async def operator_flow(s: Session) -> None:
    """(b) mixing bridge, operator originated into Stasis, bridge record + beep, hangups."""
    call = await s.target.place_inbound(s)
    await s.rest("answer", "POST", f"/channels/{call.id}/answer")
    br = (await s.rest("create mixing bridge", "POST", "/bridges",
                       {"type": "mixing", "name": "fid-mix"})).body  # fmt: skip
    s.cleanup_bridges.append(br["id"])
    await s.rest("add caller", "POST", f"/bridges/{br['id']}/addChannel", {"channel": call.id})
    op = (await s.rest("originate operator", "POST", "/channels",
                       {"endpoint": "Local/101@operators", "app": APP,
                        "appArgs": "operator,X", "callerId": "Operator <101>"})).body  # fmt: skip
    s.cleanup_channels.append(op["id"])
    await s.stasis_start(op["id"])
    await s.rest("add operator", "POST", f"/bridges/{br['id']}/addChannel", {"channel": op["id"]})
    await s.rest("application while bridged", "GET", "/applications/callrouter")
    await s.rest("record bridge", "POST", f"/bridges/{br['id']}/record",
                 {"name": "fid-rec", "format": "wav", "maxDurationSeconds": "2",
                  "ifExists": "overwrite"})  # fmt: skip
    await s.rest("play beep", "POST", f"/bridges/{br['id']}/play/fid-beep", {"media": "sound:beep"})
    await s.wait_event("PlaybackFinished")
    await s.wait_event("RecordingFinished")
    await s.rest("get bridge", "GET", f"/bridges/{br['id']}")
    await s.rest("hang up caller", "DELETE", f"/channels/{call.id}")
    await s.rest("hang up operator", "DELETE", f"/channels/{op['id']}")
    await s.wait_event("StasisEnd", lambda e: e["channel"]["id"] == op["id"])
    await s.rest("destroy bridge", "DELETE", f"/bridges/{br['id']}")
    await s.rest("stored recording", "GET", "/recordings/stored/fid-rec")
    await s.rest("delete stored recording", "DELETE", "/recordings/stored/fid-rec")


async def ringing_hangup(s: Session) -> None:
    """(c) the caller hangs up before being answered."""
    call = await s.target.place_inbound(s)
    await s.rest("ring", "POST", f"/channels/{call.id}/ring")
    await s.rest("get ringing caller", "GET", f"/channels/{call.id}")
    await s.target.caller_hangup(s, call)
    await s.wait_event("StasisEnd", lambda e: e["channel"]["id"] == call.id)
    await s.rest("answer gone caller", "POST", f"/channels/{call.id}/answer")


async def originate_noanswer(s: Session) -> None:
    """(d) originate to an extension that never answers, timeout=2."""
    op = (await s.rest("originate no answer", "POST", "/channels",
                       {"endpoint": NOANSWER_ENDPOINT, "app": APP, "appArgs": "dialed",
                        "timeout": "2"})).body  # fmt: skip
    await s.rest("get ringing", "GET", f"/channels/{op['id']}")
    await s.wait_event("ChannelDestroyed", lambda e: e["channel"]["id"] == op["id"])
    await s.rest("get after timeout", "GET", f"/channels/{op['id']}")


async def errors(s: Session) -> None:
    """(e) error answers."""
    await s.rest("404 channel", "GET", "/channels/nope")
    await s.rest("404 bridge", "GET", "/bridges/nope")
    await s.rest("404 hangup", "DELETE", "/channels/nope")
    await s.rest("404 bridge destroy", "DELETE", "/bridges/nope")
    await s.rest("400 bad bridge type", "POST", "/bridges", {"type": "bogus"})
    await s.rest("400 originate no endpoint", "POST", "/channels", {"app": APP})
    await s.rest("400 originate no app", "POST", "/channels", {"endpoint": "Local/101@operators"})
    await s.rest("subscribe unknown channel", "POST", "/applications/callrouter/subscription",
                 {"eventSource": "channel:nope"})  # fmt: skip
    await s.rest("subscribe bad scheme", "POST", "/applications/callrouter/subscription",
                 {"eventSource": "bogus:nope"})  # fmt: skip
    outside = (await s.rest("originate outside Stasis", "POST", "/channels",
                            {"endpoint": "Local/555@customers", "context": "customers",
                             "extension": "555"})).body  # fmt: skip
    s.cleanup_channels.append(outside["id"])
    call = await s.target.place_inbound(s)
    await s.rest("answer", "POST", f"/channels/{call.id}/answer")
    b1 = (await s.rest("bridge 1", "POST", "/bridges/fid-err1", {"type": "mixing"})).body
    b2 = (await s.rest("bridge 2", "POST", "/bridges/fid-err2", {"type": "mixing"})).body
    s.cleanup_bridges += [b1["id"], b2["id"]]
    await s.rest("add channel not in Stasis", "POST", "/bridges/fid-err1/addChannel",
                 {"channel": outside["id"]})  # fmt: skip
    await s.rest("add unknown channel", "POST", "/bridges/fid-err1/addChannel", {"channel": "nope"})
    await s.rest("add missing channel param", "POST", "/bridges/fid-err1/addChannel")
    await s.rest("add caller", "POST", "/bridges/fid-err1/addChannel", {"channel": call.id})
    await s.rest("add caller again", "POST", "/bridges/fid-err1/addChannel", {"channel": call.id})
    await s.rest("add caller to other bridge", "POST", "/bridges/fid-err2/addChannel",
                 {"channel": call.id})  # fmt: skip
    b3 = (await s.rest("bridge 3", "POST", "/bridges/fid-err3", {"type": "mixing"})).body
    s.cleanup_bridges.append(b3["id"])
    await s.rest("add caller to bridge 3", "POST", "/bridges/fid-err3/addChannel",
                 {"channel": call.id})  # fmt: skip
    await s.settle(0.2)
    await s.rest("remove caller from bridge 3", "POST", "/bridges/fid-err3/removeChannel",
                 {"channel": call.id})  # fmt: skip
    await s.settle(0.2)
    await s.rest("add caller back to bridge 2", "POST", "/bridges/fid-err2/addChannel",
                 {"channel": call.id})  # fmt: skip
    await s.settle(0.3)
    await s.rest("remove from wrong bridge", "POST", "/bridges/fid-err1/removeChannel",
                 {"channel": call.id})  # fmt: skip
    await s.rest("record bridge without name", "POST", "/bridges/fid-err1/record",
                 {"format": "wav"})  # fmt: skip
    await s.rest("record channel without name", "POST", f"/channels/{call.id}/record",
                 {"format": "wav"})  # fmt: skip
    await s.rest("record bad format", "POST", "/bridges/fid-err1/record",
                 {"name": "fid-bad", "format": "nosuch"})  # fmt: skip
    await s.rest("play without media", "POST", f"/channels/{call.id}/play")
    await s.rest("dtmf bad digit", "POST", f"/channels/{call.id}/dtmf", {"dtmf": "Z"})
    await s.rest("hangup bad reason", "DELETE", f"/channels/{call.id}", {"reason": "bogus"})
    await s.rest("hang up caller", "DELETE", f"/channels/{call.id}")
    await s.wait_event("StasisEnd", lambda e: e["channel"]["id"] == call.id)
    await s.rest("hang up gone caller", "DELETE", f"/channels/{call.id}")
    await s.rest("play on gone caller", "POST", f"/channels/{call.id}/play",
                 {"media": "sound:beep"})  # fmt: skip
    await s.rest("variable on gone caller", "GET", f"/channels/{call.id}/variable",
                 {"variable": "FOO"})  # fmt: skip
    await s.rest("destroy bridge 1", "DELETE", "/bridges/fid-err1")
    await s.rest("destroy bridge 2", "DELETE", "/bridges/fid-err2")
    await s.rest("destroy bridge 3", "DELETE", "/bridges/fid-err3")
    # Right after a DELETE, Asterisk may still find the dissolving bridge and answer
    # 409 "Bridge not in Stasis application"; once it is gone, 404.
    await s.settle(0.3)
    await s.rest("destroy bridge twice", "DELETE", "/bridges/fid-err2")


async def dtmf(s: Session) -> None:
    """(f) the caller presses keys; the app sends some back."""
    call = await s.target.place_inbound(s, dtmf=True)
    await s.rest("answer", "POST", f"/channels/{call.id}/answer")
    await s.target.caller_dtmf(s, call, "12#")
    for _ in range(3):
        await s.wait_event("ChannelDtmfReceived", lambda e: e["channel"]["id"] == call.id)
    await s.rest("send dtmf", "POST", f"/channels/{call.id}/dtmf",
                 {"dtmf": "9", "duration": "100"})  # fmt: skip
    await s.settle(0.5)
    await s.rest("hang up", "DELETE", f"/channels/{call.id}")


async def variables_and_lists(s: Session) -> None:
    """(g) channel variables and the list/info resources."""
    await s.rest("asterisk ping", "GET", "/asterisk/ping")
    await s.rest("asterisk info", "GET", "/asterisk/info")
    await s.rest("application", "GET", "/applications/callrouter")
    call = await s.target.place_inbound(s)
    await s.rest("set variable", "POST", f"/channels/{call.id}/variable",
                 {"variable": "FID_VAR", "value": "hello"})  # fmt: skip
    await s.rest("get variable", "GET", f"/channels/{call.id}/variable", {"variable": "FID_VAR"})
    await s.rest("get unset variable", "GET", f"/channels/{call.id}/variable",
                 {"variable": "FID_UNSET"})  # fmt: skip
    await s.rest("get CALLERID(num)", "GET", f"/channels/{call.id}/variable",
                 {"variable": "CALLERID(num)"})  # fmt: skip
    await s.rest("get variable without name", "GET", f"/channels/{call.id}/variable")
    br = (
        await s.rest("create bridge", "POST", "/bridges", {"type": "mixing", "name": "fid-g"})
    ).body
    s.cleanup_bridges.append(br["id"])
    await s.rest("list channels", "GET", "/channels")
    await s.rest("list bridges", "GET", "/bridges")
    await s.rest("application during call", "GET", "/applications/callrouter")
    await s.rest("hang up", "DELETE", f"/channels/{call.id}")
    await s.rest("destroy bridge", "DELETE", f"/bridges/{br['id']}")


async def handshakes(s: Session) -> None:
    """(h) WebSocket handshakes Asterisk refuses."""
    await s.handshake("ws without app", {"api_key": s.target.api_key})
    await s.handshake("ws bad api_key", {"app": APP, "api_key": f"{s.target.user}:wrong"})
    await s.handshake("ws no credentials", {"app": APP})
    await s.handshake("ws ok", {"app": "fid-other", "api_key": s.target.api_key})


async def subscribed_hangup(s: Session) -> None:
    """(i) a subscribed channel's hangup ends in ChannelDestroyed."""
    call = await s.target.place_inbound(s)
    await s.rest("subscribe", "POST", "/applications/callrouter/subscription",
                 {"eventSource": f"channel:{call.id}"})  # fmt: skip
    await s.rest("answer", "POST", f"/channels/{call.id}/answer")
    await s.target.caller_hangup(s, call)
    await s.wait_event("ChannelDestroyed", lambda e: e["channel"]["id"] == call.id)
    await s.rest("application after", "GET", "/applications/callrouter")


SCENARIOS: dict[str, Scenario] = {
    "a_holding_hangup": holding_hangup,
    "b_operator_flow": operator_flow,
    "c_ringing_hangup": ringing_hangup,
    "d_originate_noanswer": originate_noanswer,
    "e_errors": errors,
    "f_dtmf": dtmf,
    "g_variables_lists": variables_and_lists,
    "h_handshakes": handshakes,
    "i_subscribed_hangup": subscribed_hangup,
}


async def run_target(target: Target, names: list[str], out: Path) -> dict[str, list[JsonObj]]:
    """Run scenarios against one target; ``out`` must exist (one JSONL file each)."""
    results: dict[str, list[JsonObj]] = {}
    await target.start()
    try:
        async with aiohttp.ClientSession() as http:
            for name in names:
                session = Session(target, http)
                await target.reset(session)
                await session.connect(APP, record=True)
                try:
                    await SCENARIOS[name](session)
                    await session.settle()
                finally:
                    await session.close()
                    await session.cleanup()
                results[name] = session.records
                with (out / f"{name}.jsonl").open("w") as fh:
                    for record in session.records:
                        fh.write(json.dumps(record, separators=(",", ":")) + "\n")
                await asyncio.sleep(0.3)
    finally:
        await target.stop()
    return results


# -- diff --------------------------------------------------------------------------------
_CHANNEL_ID = re.compile(r"\b\d{9,}\.\d+\b")
_UUID = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b")
# Values that tell states apart; everything else is compared by type only.
_VALUE_KEYS = {"state", "technology", "bridge_type", "bridge_class", "message", "error",
               "format", "value", "app_name", "context", "exten", "ping", "target_uri"}  # fmt: skip


def _norm_text(text: str) -> str:
    return norm_name(_UUID.sub("<uuid>", _CHANNEL_ID.sub("<id>", text)))


def deep_shape(value: Any, key: str = "") -> Any:
    """Keys, leaf types, the values in _VALUE_KEYS and the union of list element shapes."""
    if isinstance(value, dict):
        return {k: deep_shape(v, k) for k, v in sorted(value.items())}
    if isinstance(value, list):
        shapes = {json.dumps(deep_shape(item), sort_keys=True) for item in value}
        return ["list", *sorted(shapes)]
    if key in _VALUE_KEYS and isinstance(value, str | int):
        return f"{type(value).__name__}={_norm_text(str(value))}"
    return type(value).__name__


# Known differences that are not the simulator's to fix, applied to both sides:
# - ChannelDialplan of a channel outside Stasis reports the far end's dialplan, which is
#   configuration (the sim's far end runs a fixed Answer/Wait script);
# - the real inbound call's ";1" half (Local/100@from-pstn...;1) is the harness's stand-in
#   for the caller's phone, listed by GET /channels; a sim inbound call has no such half;
# - the 400 page's <address> is http.conf's servername ("Asterisk/22.10.1" by default).
_HARNESS_CHANNEL = re.compile(r"^Local/100@from-pstn-[0-9a-f]{8};1$")
_SERVERNAME = re.compile(r"<address>[^<]*</address>")


def far_end_dialplan(event: JsonObj) -> bool:
    return event["type"] == "ChannelDialplan" and event.get("dialplan_app") != "Stasis"


def _known(record: JsonObj) -> JsonObj:
    body = record.get("body")
    if isinstance(body, list):
        body = [
            item
            for item in body
            if not (isinstance(item, dict) and _HARNESS_CHANNEL.match(str(item.get("name", ""))))
        ]
    elif isinstance(body, str):
        body = _SERVERNAME.sub("<address>SERVERNAME</address>", body)
    return {**record, "body": body}


def rest_signature(record: JsonObj) -> str:
    record = _known(record)
    if record["kind"] == "ws":
        body = record["body"]
        return json.dumps([record["label"], record["status"], body], sort_keys=True)
    return json.dumps(
        [record["label"], record["status"], record["reason"], record["content_type"],
         deep_shape(record["body"])],
        sort_keys=True,
    )  # fmt: skip


def _events(records: list[JsonObj]) -> list[JsonObj]:
    return [r["event"] for r in records if r["kind"] == "event"]


def diff_scenario(real: list[JsonObj], sim: list[JsonObj]) -> list[str]:
    """Human-readable differences; empty when the sim matches."""
    problems: list[str] = []
    want = [rest_signature(r) for r in real if r["kind"] in ("rest", "ws")]
    got = [rest_signature(r) for r in sim if r["kind"] in ("rest", "ws")]
    if want != got:
        lines = difflib.unified_diff(want, got, "real", "sim", lineterm="", n=0)
        problems.append("REST:\n  " + "\n  ".join(line for line in lines))
    want_ev = by_subject(_events(real), far_end_dialplan)
    got_ev = by_subject(_events(sim), far_end_dialplan)
    for name in sorted(set(want_ev) | set(got_ev)):
        a = [repr(sig) for sig in want_ev.get(name, [])]
        b = [repr(sig) for sig in got_ev.get(name, [])]
        if a != b:
            lines = difflib.unified_diff(a, b, "real", "sim", lineterm="", n=1)
            problems.append(f"events of {name}:\n  " + "\n  ".join(lines))
    return problems


def load(path: Path) -> list[JsonObj]:
    with path.open() as fh:
        return [json.loads(line) for line in fh if line.strip()]


def diff_dirs(real_dir: Path, sim_dir: Path, names: list[str]) -> int:
    total = 0
    for name in names:
        real_file, sim_file = real_dir / f"{name}.jsonl", sim_dir / f"{name}.jsonl"
        if not real_file.exists() or not sim_file.exists():
            print(f"== {name}: missing capture")
            continue
        problems = diff_scenario(load(real_file), load(sim_file))
        total += len(problems)
        print(f"== {name}: {'OK' if not problems else f'{len(problems)} difference(s)'}")
        for problem in problems:
            print("  " + problem.replace("\n", "\n  "))
    print(f"total differences: {total}")
    return total


def save_fixtures(real_dir: Path, names: list[str]) -> None:
    for name in names:
        target = FIXTURES / f"real_{name}.jsonl"
        target.write_text((real_dir / f"{name}.jsonl").read_text())
        print(f"saved {target.relative_to(ROOT)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for command in ("run", "compare"):
        p = sub.add_parser(command)
        p.add_argument("-s", "--scenario", action="append", help="prefix, e.g. a or e_errors")
        p.add_argument("--url", default="http://127.0.0.1:8088")
        p.add_argument("--user", default="callrouter")
        p.add_argument("--password", default="callrouter")
        p.add_argument("--out", type=Path, default=Path("/tmp/ari_fidelity"))
        if command == "run":
            p.add_argument("--target", choices=("real", "sim"), required=True)
        else:
            p.add_argument("--save-fixtures", action="store_true")
    p = sub.add_parser("diff")
    p.add_argument("real_dir", type=Path)
    p.add_argument("sim_dir", type=Path)
    p.add_argument("-s", "--scenario", action="append")
    args = parser.parse_args()
    names = [
        n for n in SCENARIOS if not args.scenario or any(n.startswith(p) for p in args.scenario)
    ]
    if args.command == "diff":
        sys.exit(1 if diff_dirs(args.real_dir, args.sim_dir, names) else 0)

    def real() -> Target:
        return RealTarget(args.url, args.user, args.password)

    for sub_dir in ("real", "sim"):
        (args.out / sub_dir).mkdir(parents=True, exist_ok=True)
    if args.command == "run":
        target = real() if args.target == "real" else SimTarget()
        asyncio.run(run_target(target, names, args.out / target.name))
        return
    asyncio.run(run_target(real(), names, args.out / "real"))
    asyncio.run(run_target(SimTarget(), names, args.out / "sim"))
    if args.save_fixtures:
        save_fixtures(args.out / "real", names)
    sys.exit(1 if diff_dirs(args.out / "real", args.out / "sim", names) else 0)


if __name__ == "__main__":
    main()
