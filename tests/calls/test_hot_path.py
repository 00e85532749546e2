"""README, Design: the path from StasisStart to the bridge, as Asterisk sees it.

A caller served at once costs 7 ARI requests, two of them on the way to the bridge
(the originate first, then the caller's answer and the bridge's creation while the
phone rings, then one request putting both in the bridge), and no music when the
operator answers within the grace; a caller who has to wait hears music at once.
Asserted on the simulator's log of the requests callrouter sent."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from callrouter.acd._ordering import MUSIC_GRACE_S
from callrouter.sim import SimControl, SimulatedAsterisk
from tests.calls.harness import eventually, final_call_row, make_settings, running_service

ARI_EVENTS_PATH = "/ari/events"


def _calls_requests(log: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Requests a call made: not the start-up's (lists, application, sounds) nor the
    events WebSocket."""
    return [
        r for r in log
        if r["path"] != ARI_EVENTS_PATH and r["method"] != "GET"
    ]  # fmt: skip


def _kind(request: dict[str, Any]) -> str:
    method, path = request["method"], request["path"]
    parts = path.removeprefix("/ari/").split("/")
    if parts[0] == "channels" and len(parts) == 2:
        return "originate" if method == "POST" else "hangup"
    if parts[0] == "bridges" and len(parts) == 2:
        return "bridge create" if method == "POST" else "bridge destroy"
    return f"{parts[0]} {parts[-1]}" if method == "POST" else f"{method} {parts[-1]}"


async def test_a_caller_served_at_once_costs_seven_requests_and_no_music(
    sim: SimulatedAsterisk, sim_control: SimControl, db_dsn: str
) -> None:
    # The operator answers well inside the music's grace; the caller hangs up later.
    await sim_control.set_endpoint("PJSIP", "101", behavior="answer", answer_after=0.05)
    async with running_service(make_settings(sim), db_dsn):
        await sim_control.clear_requests()
        caller = await sim_control.place_call(caller_number="+15550001")

        async def bridged() -> bool:
            log = _calls_requests(await sim_control.requests())
            return any(_kind(r) == "bridges addChannel" for r in log)

        await eventually(bridged, what="the caller bridged")
        await sim_control.hangup(caller["id"])
        [row] = await final_call_row(db_dsn)
        assert row["outcome"] == "answered"

        async def seven() -> list[str] | None:
            kinds = [_kind(r) for r in _calls_requests(await sim_control.requests())]
            return kinds if len(kinds) >= 7 else None

        kinds = await eventually(seven, what="the call's requests")
    assert sorted(kinds) == sorted([
        "originate", "bridge create", "channels answer",  # while the phone rings
        "bridges addChannel", "bridges record",
        "bridge destroy", "hangup",
    ])  # fmt: skip
    # The originate, then the answer and the bridge's creation, all before the
    # operator's answer; then one request put both parties in the bridge.
    join = kinds.index("bridges addChannel")
    assert set(kinds[:join]) == {"originate", "bridge create", "channels answer"}
    assert kinds[0] == "originate"  # first and alone: the ring is what the caller waits for
    added = next(r for r in await sim_control.requests() if _kind(r) == "bridges addChannel")
    assert len(added["params"]["channel"].split(",")) == 2
    assert not any("moh" in kind for kind in kinds)


async def test_a_caller_who_waits_hears_music_at_once(
    sim: SimulatedAsterisk, sim_control: SimControl, db_dsn: str
) -> None:
    # Nobody is logged in: the caller waits, and the music is not held back.
    settings = make_settings(
        sim,
        queues={"support": {"join_empty": True, "ring_timeout_s": 5}},
        operators={"anna": {"endpoint": "PJSIP/101", "queues": {"support": 0}}},
    )
    async with running_service(settings, db_dsn):
        await sim_control.clear_requests()
        caller = await sim_control.place_call(caller_number="+15550002")

        async def music() -> list[dict[str, Any]] | None:
            log = _calls_requests(await sim_control.requests())
            return [r for r in log if _kind(r) == "channels moh"] or None

        [moh] = await eventually(music, what="music for the waiting caller")
        answer = next(r for r in await sim_control.requests() if _kind(r) == "channels answer")
        assert moh["path"].endswith(f"/{caller['id']}/moh")
        # At once: well inside the grace a caller rung on arrival would get.
        assert _seconds_between(answer["ts"], moh["ts"]) < MUSIC_GRACE_S / 2
        await sim_control.hangup(caller["id"])
        await final_call_row(db_dsn)


def _seconds_between(earlier: str, later: str) -> float:
    def parse(ts: str) -> datetime:
        return datetime.strptime(ts, "%Y-%m-%dT%H:%M:%S.%f%z")

    return (parse(later) - parse(earlier)).total_seconds()
