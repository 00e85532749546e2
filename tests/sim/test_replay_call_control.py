"""Replay the call-control captures of a real Asterisk 22.10.1 (issue #15: snoop, hold,
music on hold, consult, moves between bridges, three-way bridges, blind transfer by
continue) against the simulator, as ``test_replay_real`` replays the others.

The captures and the facts they show are in ``tests/ari/captures/call_control/``.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from callrouter.sim import SimControl, SimulatedAsterisk
from tests.fixtures_sim import SIM_PASSWORD, SIM_USERNAME
from tests.sim._support import Ari, Events, JsonObj, Replay, assert_same_events, subject
from tests.sim.test_replay_real import CALLER_HANGUP_CAUSE, TIME_SCALE, far_end_dialplan

_SNOOP = re.compile(r"Snoop/([^-,]+)-")
CALL_CONTROL = Path(__file__).resolve().parents[1] / "ari" / "captures" / "call_control"
CAPTURES = sorted(path.name for path in CALL_CONTROL.glob("*.jsonl"))


def _load(name: str) -> list[JsonObj]:
    import json

    with (CALL_CONTROL / name).open() as lines:
        return [json.loads(line) for line in lines if line.strip()]


class _Replay(Replay):
    """Names the subjects whose events are missing when catching up times out, and
    reads a snoop's name (``Snoop/<snooped channel id>-<n>``) with the simulator's id
    of the snooped channel."""

    def renamed(self, events: list[JsonObj]) -> list[JsonObj]:
        def rename(text: str) -> str:
            return _SNOOP.sub(lambda m: "Snoop/" + self.ids.get(m[1], m[1]) + "-", text)

        out = []
        for event in events:
            if "channel" in event:
                event = {**event, "channel": {**event["channel"]}}
                event["channel"]["name"] = rename(event["channel"]["name"])
            if event["type"] == "ChannelVarset":
                event = {**event, "value": rename(event["value"])}
            out.append(event)
        return out

    def _expected_counts(self, before_ts: str | None) -> Counter[str]:
        original, self.captured_events = self.captured_events, self.renamed(self.captured_events)
        try:
            return super()._expected_counts(before_ts)
        finally:
            self.captured_events = original

    async def catch_up(self, before_ts: str | None = None) -> None:
        try:
            await super().catch_up(before_ts)
        except AssertionError as exc:
            wanted = self._expected_counts(before_ts)
            have = Counter(subject(e) for e in self.events.received if not self.skip(e))
            short = {name: (have[name], n) for name, n in wanted.items() if have[name] < n}
            raise AssertionError(f"{exc}; missing (have, want): {short}") from None


def _far_end(event: JsonObj) -> bool:
    """The far end's own dialplan steps: ChannelDialplan outside Stasis (as in
    test_replay_real), and the ChannelCallerId an originated Local channel's ";2" half
    sends when its dialplan gets to it: these captures hang such legs up within
    milliseconds, so whether it comes before or after the hangup is Asterisk's thread
    timing, not behaviour."""
    if far_end_dialplan(event):
        return True
    name = str(event.get("channel", {}).get("name", ""))
    return event["type"] == "ChannelCallerId" and name.endswith(";2") and "@from-pstn" not in name


def _announced_once(events: list[JsonObj]) -> list[JsonObj]:
    """Drop a BRIDGEPEER that repeats the channel's current value. Asterisk announces an
    unchanged BRIDGEPEER again whenever the bridge re-evaluates itself (a frame hook
    attached, the switch to softmix for a third party), as many times as its threads
    happen to: the count is timing, the value is behaviour."""
    current: dict[str, str] = {}
    kept = []
    for event in events:
        if event["type"] == "ChannelVarset" and event.get("variable") == "BRIDGEPEER":
            name = event["channel"]["name"]
            if current.get(name) == event["value"]:
                continue
            current[name] = event["value"]
        kept.append(event)
    return kept


@pytest.fixture
async def sim(tmp_path: Path) -> AsyncIterator[SimulatedAsterisk]:
    async with SimulatedAsterisk(
        username=SIM_USERNAME,
        password=SIM_PASSWORD,
        recordings_dir=tmp_path / "recordings",
        time_scale=TIME_SCALE,
    ) as simulator:
        yield simulator


@pytest.mark.parametrize("name", CAPTURES)
async def test_call_control_capture(
    name: str, sim: SimulatedAsterisk, ari: Ari, events: Events, sim_control: SimControl
) -> None:
    records = _load(name)
    captured = _announced_once([r["event"] for r in records if r["kind"] == "event"])
    steps = [record for record in records if record["kind"] in ("rest", "action")]
    replay = _Replay(ari, events, captured, {}, skip=_far_end)
    await sim_control.set_endpoint("Local", "300@noanswer", behavior="noanswer")
    # The captures' dialplan (their README): a blind transfer lands in [transfer].
    await sim_control.set_stasis_context("transfer", "callrouter,transferred,${EXTEN}")
    await sim_control.remove_context("nosuch")

    async def act(action: JsonObj) -> None:
        if action["action"] == "place_inbound":
            call = await sim_control.place_call(
                caller_number=action["caller_number"],
                caller_name=action["caller_name"],
                endpoint="Local/100@from-pstn",
            )
            replay.ids[action["channel"]] = call["id"]
            # The ";1" half (the caller's phone) is made just before, with the id before.
            prefix, _, number = action["channel"].rpartition(".")
            state = await sim_control.state()
            [mine] = [c for c in state["channels"] if c["id"] == call["id"]]
            replay.ids[f"{prefix}.{int(number) - 1}"] = mine["sim"]["local_peer"]
        elif action["action"] == "caller_hangup":
            await sim_control.hangup(replay.ids[action["channel"]], cause=CALLER_HANGUP_CAUSE)
        elif action["action"] != "wait":
            raise AssertionError(f"unknown action {action['action']}")

    await replay.run(steps, act=act)
    received = _announced_once(events.received)
    assert_same_events(replay.renamed(captured), received, skip=_far_end)
