"""Record the call-control captures in this folder from a real Asterisk (issue #15).

A developer tool, not a test: it needs a running Asterisk 22 with the Local-channel
dialplan described in README.md beside this file. Each scenario is written against
``tools/ari_fidelity.Session`` and saved in that tool's record format (``kind``: rest,
action, ws, event), so ``tests/sim/_support`` can replay it against the simulator.

    .venv/bin/python tests/ari/captures/call_control/capture.py            # all
    .venv/bin/python tests/ari/captures/call_control/capture.py -s snoop   # by prefix
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parents[4]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tools.ari_fidelity import APP, Call, RealTarget, Session  # noqa: E402

HERE = Path(__file__).resolve().parent
SPY_DIRECTIONS = ("none", "in", "out", "both")
WHISPER_DIRECTIONS = ("none", "in", "out", "both")
# Time for Asterisk to finish what a request started (bridge technology changes, music).
BEAT = 0.3


# -- building blocks ---------------------------------------------------------------------
async def answered_caller(s: Session) -> Call:
    call = await s.target.place_inbound(s)
    await s.rest("answer caller", "POST", f"/channels/{call.id}/answer")
    return call


async def operator_leg(s: Session, label: str, exten: str, context: str = "operators") -> str:
    """Originate an operator's phone into the application; wait for its StasisStart."""
    params = {
        "endpoint": f"Local/{exten}@{context}",
        "app": APP,
        "appArgs": f"operator,{exten}",
        "callerId": f"Operator <{exten}>",
    }
    leg = (await s.rest(label, "POST", "/channels", params)).body
    s.cleanup_channels.append(leg["id"])
    await s.stasis_start(leg["id"])
    return str(leg["id"])


async def mixing_bridge(s: Session, label: str, name: str) -> str:
    bridge = (await s.rest(label, "POST", "/bridges", {"type": "mixing", "name": name})).body
    s.cleanup_bridges.append(bridge["id"])
    return str(bridge["id"])


async def holding_bridge(s: Session, label: str, name: str) -> str:
    bridge = (await s.rest(label, "POST", "/bridges", {"type": "holding", "name": name})).body
    s.cleanup_bridges.append(bridge["id"])
    return str(bridge["id"])


async def add(s: Session, label: str, bridge_id: str, channel_id: str, **extra: str) -> None:
    params = {"channel": channel_id, **extra}
    await s.rest(label, "POST", f"/bridges/{bridge_id}/addChannel", params)


async def remove(s: Session, label: str, bridge_id: str, channel_id: str) -> None:
    await s.rest(label, "POST", f"/bridges/{bridge_id}/removeChannel", {"channel": channel_id})


async def connected_call(s: Session) -> tuple[Call, str, str]:
    """A caller and operator 101 talking in a mixing bridge: (caller, operator, bridge)."""
    call = await answered_caller(s)
    bridge = await mixing_bridge(s, "create call bridge", "cc-call")
    await add(s, "add caller", bridge, call.id)
    operator = await operator_leg(s, "originate operator 101", "101")
    await add(s, "add operator", bridge, operator)
    return call, operator, bridge


async def hang_up(s: Session, label: str, channel_id: str) -> None:
    await s.rest(label, "DELETE", f"/channels/{channel_id}")
    await s.wait_event("StasisEnd", lambda e: e["channel"]["id"] == channel_id)


async def snoop(s: Session, label: str, channel_id: str, spy: str, whisper: str) -> str | None:
    params = {"spy": spy, "whisper": whisper, "app": APP, "appArgs": f"snoop,{spy},{whisper}"}
    reply = await s.rest(label, "POST", f"/channels/{channel_id}/snoop", params)
    if reply.status != 200:
        return None
    snoop_id = str(reply.body["id"])
    s.cleanup_channels.append(snoop_id)
    await s.stasis_start(snoop_id)
    return snoop_id


# -- scenarios ---------------------------------------------------------------------------
async def snoop_directions(s: Session) -> None:
    """Every spy x whisper pair on a connected caller; the snoop channel's JSON; errors."""
    call, operator, _bridge = await connected_call(s)
    for spy in SPY_DIRECTIONS:
        for whisper in WHISPER_DIRECTIONS:
            label = f"snoop spy={spy} whisper={whisper}"
            snoop_id = await snoop(s, label, call.id, spy, whisper)
            if snoop_id is None:
                continue
            await s.rest(f"get snoop spy={spy} whisper={whisper}", "GET", f"/channels/{snoop_id}")
            await hang_up(s, f"hang up snoop spy={spy} whisper={whisper}", snoop_id)
    await s.rest("snoop with snoopId", "POST", f"/channels/{operator}/snoop",
                 {"spy": "both", "app": APP, "snoopId": "cc-snoop-1"})  # fmt: skip
    s.cleanup_channels.append("cc-snoop-1")
    await s.stasis_start("cc-snoop-1")
    await s.rest("snoop with snoopId in use", "POST", f"/channels/{operator}/snoop",
                 {"spy": "both", "app": APP, "snoopId": "cc-snoop-1"})  # fmt: skip
    await s.rest("snoopId path form", "POST", f"/channels/{operator}/snoop/cc-snoop-2",
                 {"spy": "in", "app": APP})  # fmt: skip
    s.cleanup_channels.append("cc-snoop-2")
    await s.stasis_start("cc-snoop-2")
    await s.rest("list channels with snoops", "GET", "/channels")
    await s.rest("snoop without app", "POST", f"/channels/{call.id}/snoop", {"spy": "both"})
    await s.rest("snoop bad spy", "POST", f"/channels/{call.id}/snoop",
                 {"spy": "sideways", "app": APP})  # fmt: skip
    await s.rest("snoop bad whisper", "POST", f"/channels/{call.id}/snoop",
                 {"whisper": "loud", "app": APP})  # fmt: skip
    await s.rest("snoop unknown channel", "POST", "/channels/nope/snoop",
                 {"spy": "both", "app": APP})  # fmt: skip
    far = await s.rest("snoop channel outside Stasis", "POST", f"/channels/{call.far_id}/snoop",
                       {"spy": "both", "app": APP})  # fmt: skip
    if far.status == 200:
        s.cleanup_channels.append(far.body["id"])
        await s.stasis_start(far.body["id"])
    # The snooped channel goes away first: what happens to its snoops.
    await hang_up(s, "hang up operator (snooped)", operator)
    await s.wait_event("StasisEnd", lambda e: e["channel"]["id"] == "cc-snoop-1")
    await s.wait_event("StasisEnd", lambda e: e["channel"]["id"] == "cc-snoop-2")
    await hang_up(s, "hang up caller", call.id)


async def snoop_supervisor(s: Session) -> None:
    """Listen, then whisper, then barge: a supervisor's phone and snoop channels."""
    call, operator, call_bridge = await connected_call(s)
    supervisor = await operator_leg(s, "originate supervisor 201", "201")
    monitor = await mixing_bridge(s, "create monitor bridge", "cc-monitor")
    await add(s, "add supervisor to monitor bridge", monitor, supervisor)
    listen = await snoop(s, "listen: snoop operator spy=both", operator, "both", "none")
    assert listen is not None
    await add(s, "add listen snoop to monitor bridge", monitor, listen)
    await s.rest("get monitor bridge (listen)", "GET", f"/bridges/{monitor}")
    await s.settle(BEAT)
    await hang_up(s, "hang up listen snoop", listen)
    whisper = await snoop(s, "whisper: snoop operator spy=both whisper=out", operator, "both",
                          "out")  # fmt: skip
    assert whisper is not None
    await add(s, "add whisper snoop to monitor bridge", monitor, whisper)
    await s.rest("get monitor bridge (whisper)", "GET", f"/bridges/{monitor}")
    await s.settle(BEAT)
    await hang_up(s, "hang up whisper snoop", whisper)
    await add(s, "barge: move supervisor into the call bridge", call_bridge, supervisor)
    await s.settle(BEAT)
    await s.rest("get call bridge (barge)", "GET", f"/bridges/{call_bridge}")
    await s.rest("get monitor bridge (empty)", "GET", f"/bridges/{monitor}")
    await hang_up(s, "hang up supervisor", supervisor)
    await s.rest("destroy monitor bridge", "DELETE", f"/bridges/{monitor}")
    await hang_up(s, "hang up operator", operator)
    await hang_up(s, "hang up caller", call.id)
    await s.rest("destroy call bridge", "DELETE", f"/bridges/{call_bridge}")


async def hold_and_moh(s: Session) -> None:
    """ARI hold/unhold and music on hold on a bridged channel and on a mixing bridge."""
    call, operator, bridge = await connected_call(s)
    await s.rest("hold caller", "POST", f"/channels/{call.id}/hold")
    await s.settle(BEAT)  # ARI hold is an indication: no ChannelHold event (README)
    await s.rest("get caller on hold", "GET", f"/channels/{call.id}")
    await s.rest("get bridge with caller on hold", "GET", f"/bridges/{bridge}")
    await s.rest("hold caller again", "POST", f"/channels/{call.id}/hold")
    await s.settle(BEAT)
    await s.rest("unhold caller", "DELETE", f"/channels/{call.id}/hold")
    await s.settle(BEAT)  # ARI hold is an indication: no ChannelUnhold event (README)
    await s.rest("unhold caller again", "DELETE", f"/channels/{call.id}/hold")
    await s.rest("POST /unhold is no ARI route", "POST", f"/channels/{call.id}/unhold")
    await s.settle(BEAT)
    await s.rest("channel moh start (bridged caller)", "POST", f"/channels/{call.id}/moh",
                 {"mohClass": "default"})  # fmt: skip
    await s.settle(BEAT)
    await s.rest("channel moh stop", "DELETE", f"/channels/{call.id}/moh")
    await s.settle(BEAT)
    await s.rest("bridge moh start (mixing)", "POST", f"/bridges/{bridge}/moh",
                 {"mohClass": "default"})  # fmt: skip
    await s.settle(BEAT)
    await s.rest("get bridge with moh", "GET", f"/bridges/{bridge}")
    await s.rest("list channels with bridge moh", "GET", "/channels")
    await s.rest("bridge moh stop", "DELETE", f"/bridges/{bridge}/moh")
    await s.settle(BEAT)
    await s.rest("bridge moh stop again", "DELETE", f"/bridges/{bridge}/moh")
    await s.rest("hold unknown channel", "POST", "/channels/nope/hold")
    await s.rest("unhold unknown channel", "DELETE", "/channels/nope/hold")
    await s.rest("hold operator", "POST", f"/channels/{operator}/hold")
    await s.settle(BEAT)  # ARI hold is an indication: no ChannelHold event (README)
    await hang_up(s, "hang up operator while on hold", operator)
    await hang_up(s, "hang up caller", call.id)
    await s.rest("destroy bridge", "DELETE", f"/bridges/{bridge}")


async def consult_while_held(s: Session) -> None:
    """Attended transfer: caller to a holding bridge with music, operator consults a
    specialist in the call bridge, then the caller joins the specialist and the operator
    leaves."""
    call, operator, bridge = await connected_call(s)
    hold = await holding_bridge(s, "create holding bridge", "cc-hold")
    await add(s, "move caller to holding bridge", hold, call.id)
    await s.rest("holding bridge moh", "POST", f"/bridges/{hold}/moh", {"mohClass": "default"})
    specialist = await operator_leg(s, "originate specialist 102", "102")
    await add(s, "add specialist to call bridge", bridge, specialist)
    await s.settle(BEAT)
    await s.rest("get call bridge (consulting)", "GET", f"/bridges/{bridge}")
    await s.rest("get holding bridge (caller waits)", "GET", f"/bridges/{hold}")
    await add(s, "complete: move caller back to call bridge", bridge, call.id)
    await s.settle(BEAT)
    await s.rest("get call bridge (three)", "GET", f"/bridges/{bridge}")
    await remove(s, "operator leaves the call bridge", bridge, operator)
    await s.settle(BEAT)
    await hang_up(s, "hang up operator", operator)
    await s.rest("get call bridge (caller and specialist)", "GET", f"/bridges/{bridge}")
    await s.rest("destroy holding bridge", "DELETE", f"/bridges/{hold}")
    await hang_up(s, "hang up specialist", specialist)
    await hang_up(s, "hang up caller", call.id)
    await s.rest("destroy call bridge", "DELETE", f"/bridges/{bridge}")


async def consult_noanswer(s: Session) -> None:
    """The consulted party never answers (originate timeout); the caller comes back."""
    call, operator, bridge = await connected_call(s)
    await s.rest("hold caller", "POST", f"/channels/{call.id}/hold")
    await s.settle(BEAT)  # ARI hold is an indication: no ChannelHold event (README)
    await remove(s, "caller out of call bridge", bridge, call.id)
    await s.rest("caller moh", "POST", f"/channels/{call.id}/moh", {"mohClass": "default"})
    params = {"endpoint": "Local/300@noanswer", "app": APP, "appArgs": "consult,300",
              "timeout": "2", "callerId": "Operator <101>"}  # fmt: skip
    leg = (await s.rest("originate specialist that never answers", "POST", "/channels",
                        params)).body  # fmt: skip
    await s.rest("get ringing specialist", "GET", f"/channels/{leg['id']}")
    await s.wait_event("ChannelDestroyed", lambda e: e["channel"]["id"] == leg["id"])
    await s.rest("caller moh stop", "DELETE", f"/channels/{call.id}/moh")
    await s.rest("unhold caller", "DELETE", f"/channels/{call.id}/hold")
    await add(s, "caller back in call bridge", bridge, call.id)
    await s.settle(BEAT)
    await hang_up(s, "hang up operator", operator)
    await hang_up(s, "hang up caller", call.id)
    await s.rest("destroy bridge", "DELETE", f"/bridges/{bridge}")


async def move_between_bridges(s: Session) -> None:
    """Remove then add, a direct add into another bridge (a move), roles in a holding
    bridge: the order of ChannelLeftBridge / ChannelEnteredBridge."""
    call, operator, first = await connected_call(s)
    second = await mixing_bridge(s, "create second bridge", "cc-second")
    await remove(s, "remove operator from first", first, operator)
    await s.settle(BEAT)
    await add(s, "add operator to second", second, operator)
    await s.settle(BEAT)
    await add(s, "move caller to second (direct add)", second, call.id)
    await s.settle(BEAT)
    await s.rest("get first bridge (empty)", "GET", f"/bridges/{first}")
    await s.rest("get second bridge", "GET", f"/bridges/{second}")
    hold = await holding_bridge(s, "create holding bridge", "cc-hold")
    await add(s, "move caller to holding as announcer", hold, call.id, role="announcer")
    await s.settle(BEAT)
    await s.rest("get holding bridge (announcer)", "GET", f"/bridges/{hold}")
    await add(s, "move operator to holding as participant", hold, operator, role="participant")
    await s.settle(BEAT)
    await add(s, "both back to first", first, f"{call.id},{operator}")
    await s.settle(BEAT)
    await s.rest("get first bridge (both back)", "GET", f"/bridges/{first}")
    await s.rest("destroy first bridge with channels in it", "DELETE", f"/bridges/{first}")
    await s.settle(BEAT)
    await s.rest("get caller after its bridge was destroyed", "GET", f"/channels/{call.id}")
    await hang_up(s, "hang up operator", operator)
    await hang_up(s, "hang up caller", call.id)
    await s.rest("destroy second bridge", "DELETE", f"/bridges/{second}")
    await s.rest("destroy holding bridge", "DELETE", f"/bridges/{hold}")


async def three_way(s: Session) -> None:
    """Three channels in one mixing bridge (a conference), then each leaves."""
    call, operator, bridge = await connected_call(s)
    specialist = await operator_leg(s, "originate specialist 102", "102")
    await add(s, "add specialist (three in the bridge)", bridge, specialist)
    await s.settle(BEAT)
    await s.rest("get bridge (three)", "GET", f"/bridges/{bridge}")
    await hang_up(s, "hang up operator (two left)", operator)
    await s.settle(BEAT)
    await s.rest("get bridge (two)", "GET", f"/bridges/{bridge}")
    await s.target.caller_hangup(s, call)
    await s.wait_event("StasisEnd", lambda e: e["channel"]["id"] == call.id)
    await s.settle(BEAT)
    await s.rest("get bridge (one)", "GET", f"/bridges/{bridge}")
    await hang_up(s, "hang up specialist", specialist)
    await s.rest("destroy bridge", "DELETE", f"/bridges/{bridge}")


async def blind_transfer(s: Session) -> None:
    """Blind transfer of a bridged caller: redirect (Local: refused?) and continue into a
    dialplan that sends it back into the application; also move to another application."""
    call, operator, bridge = await connected_call(s)
    await s.rest("redirect caller to Local", "POST", f"/channels/{call.id}/redirect",
                 {"endpoint": "Local/102@operators"})  # fmt: skip
    await s.settle(BEAT)
    await s.rest("redirect without endpoint", "POST", f"/channels/{call.id}/redirect")
    await s.rest("redirect unknown channel", "POST", "/channels/nope/redirect",
                 {"endpoint": "Local/102@operators"})  # fmt: skip
    await s.rest("continue caller to transfer,300", "POST", f"/channels/{call.id}/continue",
                 {"context": "transfer", "extension": "300", "priority": "1"})  # fmt: skip
    await s.wait_event("StasisStart", lambda e: e["channel"]["id"] == call.id)
    await s.rest("get caller after continue", "GET", f"/channels/{call.id}")
    await s.rest("get bridge after continue", "GET", f"/bridges/{bridge}")
    await s.rest("continue unknown channel", "POST", "/channels/nope/continue",
                 {"context": "transfer", "extension": "300"})  # fmt: skip
    await s.rest("continue to missing extension", "POST", f"/channels/{call.id}/continue",
                 {"context": "nosuch", "extension": "1"})  # fmt: skip
    await s.settle(1.0)
    await s.rest("get caller after continue to missing extension", "GET",
                 f"/channels/{call.id}")  # fmt: skip
    await hang_up(s, "hang up operator", operator)
    await s.rest("destroy bridge", "DELETE", f"/bridges/{bridge}")


async def holding_bridge_hangups(s: Session) -> None:
    """Hang-ups in a holding bridge with music: the caller's far end, an ARI DELETE, and a
    held caller (ChannelHold) hanging up."""
    first = await answered_caller(s)
    second = await answered_caller(s)
    hold = await holding_bridge(s, "create holding bridge", "cc-hold")
    await add(s, "add first caller", hold, first.id)
    await add(s, "add second caller", hold, second.id)
    await s.rest("holding bridge moh", "POST", f"/bridges/{hold}/moh", {"mohClass": "default"})
    await s.rest("hold second caller", "POST", f"/channels/{second.id}/hold")
    await s.settle(BEAT)  # ARI hold is an indication: no ChannelHold event (README)
    await s.settle(BEAT)
    await s.rest("get holding bridge", "GET", f"/bridges/{hold}")
    await s.target.caller_hangup(s, first)
    await s.wait_event("StasisEnd", lambda e: e["channel"]["id"] == first.id)
    await s.rest("get holding bridge (one left)", "GET", f"/bridges/{hold}")
    await hang_up(s, "DELETE the held second caller", second.id)
    await s.rest("get holding bridge (empty)", "GET", f"/bridges/{hold}")
    await s.rest("destroy holding bridge", "DELETE", f"/bridges/{hold}")


Scenario = Callable[[Session], Awaitable[None]]
SCENARIOS: dict[str, Scenario] = {
    "snoop_directions": snoop_directions,
    "snoop_supervisor": snoop_supervisor,
    "hold_and_moh": hold_and_moh,
    "consult_while_held": consult_while_held,
    "consult_noanswer": consult_noanswer,
    "move_between_bridges": move_between_bridges,
    "three_way": three_way,
    "blind_transfer": blind_transfer,
    "holding_bridge_hangups": holding_bridge_hangups,
}


async def record(target: RealTarget, names: list[str], out: Path) -> None:
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
            with (out / f"{name}.jsonl").open("w") as fh:
                for item in session.records:
                    fh.write(json.dumps(item, separators=(",", ":")) + "\n")
            print(f"{name}: {len(session.records)} records")
            await asyncio.sleep(0.3)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("-s", "--scenario", action="append", help="name prefix")
    parser.add_argument("--url", default="http://127.0.0.1:8088")
    parser.add_argument("--user", default="callrouter")
    parser.add_argument("--password", default="callrouter")
    parser.add_argument("--out", type=Path, default=HERE)
    args = parser.parse_args()
    names = [
        n for n in SCENARIOS if not args.scenario or any(n.startswith(p) for p in args.scenario)
    ]
    args.out.mkdir(parents=True, exist_ok=True)
    asyncio.run(record(RealTarget(args.url, args.user, args.password), names, args.out))


if __name__ == "__main__":
    main()
