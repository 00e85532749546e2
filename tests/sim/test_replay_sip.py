"""Replay the captures of a real Asterisk 22.10.1 with SIP phones (``fixtures/captures/
sip/``, described in its README.md) against the simulator.

Each scenario scripts the simulated phones as the captured ones behaved (SIPp busy,
ringing forever, answering, a contact that went away), places the waiting callers the
capture shows entering Stasis, then issues the captured REST requests in order. Before
each request the simulator must have sent what Asterisk had sent by then, so REST
answers see the same state. Compared: every REST status, reason and body (ids mapped,
counters, timestamps and SIP Call-IDs left out; list order kept), and, per channel and
bridge, the event types in order with their cause, tech_cause, soft, dialstatus, state
and variable fields (``_support.signature``).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from callrouter.sim import SimControl, SimulatedAsterisk
from tests.fixtures_sim import SIM_PASSWORD, SIM_USERNAME
from tests.sim._support import (
    Ari,
    Events,
    JsonObj,
    Replay,
    Reply,
    Signature,
    assert_same_events,
    load_capture,
    norm_name,
)

SIP = "sip/"
# The captures' ARI application.
APP = "capture"
# Fast enough that the stale contact's 32 s pass in 3.2 s; slow enough that a caller
# who hangs up 3 s after arriving is still there for the few requests before, even on
# a loaded machine (300 ms).
TIME_SCALE = 10.0
OPERATOR_CONTEXT = "acc-operators"
# Different on every call: SIP Call-IDs, creation times.
_VOLATILE = ("protocol_id", "creationtime")
RINGING = {"behavior": "noanswer"}
ANSWERS = {"answer_after": 0.01}


@dataclass(frozen=True)
class Scenario:
    name: str
    # PJSIP endpoint resource -> SimControl.set_endpoint arguments.
    phones: dict[str, dict[str, Any]]
    # The inbound callers' far end hangs up (BYE) this long after the call arrives.
    caller_hangs_up_after: float | None = None
    # Originate and create bridges with the captured ids, so lists can match in order.
    same_ids: bool = False

    def __str__(self) -> str:
        return self.name


SCENARIOS = [
    Scenario("sip_op_busy", {"op901": {"behavior": "busy"}}),
    Scenario("sip_op_noanswer_timeout", {"op902": RINGING}),
    Scenario("sip_op_noanswer_cancel", {"op903": RINGING}),
    Scenario("sip_op_noanswer_cancel_reason", {"op903": RINGING}),
    Scenario("sip_op_noanswer_cancel_reason_code", {"op903": RINGING}),
    Scenario("sip_op_noanswer_cancel_both", {"op903": RINGING}),
    Scenario("sip_op_unreachable", {"op951": {"online": False}}),
    Scenario("sip_op_unreachable_stale", {"op904": {"behavior": "stale"}}),
    Scenario("sip_op_answer_then_bye", {"op102": {"answer_after": 0.5, "hangup_after": 2.0}}),
    Scenario("sip_caller_bye_in_stasis", {}, caller_hangs_up_after=3.0),
    Scenario("sip_caller_bye_in_stasis_subscribed", {}, caller_hangs_up_after=3.0),
    Scenario("list_order", {f"op{n}": ANSWERS for n in range(103, 109)}, same_ids=True),
    Scenario("list_order_ids", {f"op{n}": ANSWERS for n in range(103, 108)}),
]


@pytest.fixture
async def sim(tmp_path: Path) -> AsyncIterator[SimulatedAsterisk]:
    async with SimulatedAsterisk(
        username=SIM_USERNAME,
        password=SIM_PASSWORD,
        recordings_dir=tmp_path / "recordings",
        time_scale=TIME_SCALE,
        default_app=APP,
    ) as simulator:
        yield simulator


@pytest.fixture
async def events(sim: SimulatedAsterisk, http: aiohttp.ClientSession) -> AsyncIterator[Events]:
    stream = Events()
    await stream.connect(http, sim, app=APP)
    yield stream
    await stream.close()


def ringing_in_one_order(signatures: list[Signature]) -> list[Signature]:
    """On a 180, ChannelStateChange Ringing and Dial RINGING come in the same
    millisecond in either order (both seen); compare them state change first."""
    result = list(signatures)
    for index in range(len(result) - 1):
        first, second = result[index], result[index + 1]
        if (
            first[0] == "Dial"
            and ("dialstatus", "RINGING") in first
            and second[0] == ("ChannelStateChange")
        ):
            result[index], result[index + 1] = second, first
    return result


def comparable(body: Any) -> Any:
    """A REST body without what differs on every call; names without counters."""
    if isinstance(body, list):
        return [comparable(item) for item in body]
    if not isinstance(body, dict):
        return body
    return {
        key: norm_name(value) if key == "name" and isinstance(value, str) else comparable(value)
        for key, value in body.items()
        if key not in _VOLATILE
    }


@dataclass
class StrictReplay(Replay):
    """A replay that compares whole REST answers, not just their shape."""

    same_ids: bool = False

    async def step(self, step: JsonObj) -> Reply:
        if self.same_ids:
            step = _with_captured_id(step)
        reply = await super().step(step)
        label = step.get("label", f"{step['method']} {step['path']}")
        expected = json.loads(self._substitute(json.dumps(step["body"])))
        assert comparable(reply.body) == comparable(expected), label
        return reply


def _with_captured_id(step: JsonObj) -> JsonObj:
    """Ask for the id Asterisk chose, so hash and sort order can be compared."""
    body = step["body"]
    if step["method"] != "POST" or not isinstance(body, dict) or "id" not in body:
        return step
    param = {"/ari/channels": "channelId", "/ari/bridges": "bridgeId"}.get(step["path"])
    if param is None:
        return step
    return {**step, "params": {**step["params"], param: body["id"]}}


def _local_halves(steps: list[JsonObj]) -> dict[str, str]:
    """ ";2" id -> ";1" id, from the first GET /channels that lists both."""
    for step in steps:
        if (step["method"], step["path"]) == ("GET", "/ari/channels"):
            by_name = {ch["name"]: ch["id"] for ch in step["body"]}
            return {
                by_name[name]: by_name[name[:-1] + "1"]
                for name in by_name
                if name.endswith(";2") and name[:-1] + "1" in by_name
            }
    return {}


async def _place_callers(
    control: SimControl, scenario: Scenario, captured: list[JsonObj], steps: list[JsonObj]
) -> None:
    """The inbound callers the capture shows entering Stasis from the dialplan."""
    halves = _local_halves(steps)
    for event in captured:
        if event["type"] != "StasisStart" or event["args"][:1] != ["inbound"]:
            continue
        channel = event["channel"]
        endpoint = norm_name(channel["name"]).removesuffix(";2")
        await control.place_call(
            caller_number=channel["caller"]["number"],
            caller_name=channel["caller"]["name"],
            exten=channel["dialplan"]["exten"],
            context=channel["dialplan"]["context"],
            args=event["args"],
            endpoint=endpoint,
            hangup_after=scenario.caller_hangs_up_after,
            channel_id=channel["id"] if scenario.same_ids else None,
            other_channel_id=halves.get(channel["id"]) if scenario.same_ids else None,
        )


@pytest.mark.parametrize("scenario", SCENARIOS, ids=str)
async def test_sip_capture(
    scenario: Scenario, ari: Ari, events: Events, sim_control: SimControl
) -> None:
    captured = load_capture(f"{SIP}{scenario.name}.jsonl")
    steps = load_capture(f"{SIP}rest_{scenario.name}.jsonl")
    for resource, script in scenario.phones.items():
        await sim_control.set_endpoint("PJSIP", resource, context=OPERATOR_CONTEXT, **script)
    await _place_callers(sim_control, scenario, captured, steps)
    replay = StrictReplay(ari, events, captured, {}, ts_at_start=True, same_ids=scenario.same_ids)
    await replay.run(steps)
    assert_same_events(captured, events.received, normalise=ringing_in_one_order)
