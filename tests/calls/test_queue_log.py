"""The queue_log export as report tools read it, from a real service on the simulator:
places in line, the key a caller pressed, transfers and operators' own lines."""

from __future__ import annotations

import socket
from typing import Any

import aiohttp

from callrouter.sim import SimControl, SimulatedAsterisk
from callrouter.store import create_pool
from callrouter.store.calls import iter_queue_log
from tests.calls.harness import eventually, final_call_row, make_settings, running_service
from tests.calls.test_inbound_flow import bridged_pairs

TOKEN = "a-long-random-test-token-0123456789"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _export(dsn: str) -> list[list[str]]:
    pool = await create_pool(dsn, min_size=1, max_size=1)
    try:
        async with pool.acquire() as conn:
            return [line.split("|") async for line in iter_queue_log(conn)]
    finally:
        await pool.close()


def _lines(log: list[list[str]], event: str) -> list[list[str]]:
    return [line for line in log if line[4] == event]


async def _api(port: int, path: str, body: dict[str, Any] | None = None) -> int:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    url = f"http://127.0.0.1:{port}/api/v1{path}"
    async with (
        aiohttp.ClientSession(headers=headers) as http,
        http.post(url, json=body or {}) as response,
    ):
        return response.status


async def test_positions_exit_key_and_operator_lines(
    sim: SimulatedAsterisk, sim_control: SimControl, db_dsn: str
) -> None:
    await sim_control.set_endpoint("PJSIP", "101", behavior="answer", answer_after=0.05)
    port = _free_port()
    settings = make_settings(
        sim,
        http={"enabled": True, "host": "127.0.0.1", "port": port, "token": TOKEN},
        queues={"support": {"join_empty": True, "callback_key": "1", "wrapup_s": 0}},
    )
    async with running_service(settings, db_dsn):
        assert await _api(port, "/operators/anna/pause", {"reason": "lunch"}) == 200
        callers = []
        for n, number in enumerate(("+first", "+second", "+third"), start=1):
            # One at a time, so each joins behind the last (lookups may finish in any
            # order, and a caller keeps the place of their arrival).
            callers.append(await sim_control.place_call(caller_number=number))

            async def in_line(n: int = n) -> bool:
                return len(_lines(await _export(db_dsn), "ENTERQUEUE")) == n

            await eventually(in_line, what=f"{n} callers in line")
        first, second, third = callers
        await sim_control.send_dtmf(second["id"], "1")  # leaves at place 2 of 3
        await sim_control.hangup(third["id"])  # now place 2 of 2
        await final_call_row(db_dsn, count=2)
        assert await _api(port, "/operators/anna/unpause") == 200
        await eventually(lambda: bridged_pairs(sim_control), what="first caller served")
        await sim_control.hangup(first["id"])
        await final_call_row(db_dsn, count=3)
    log = await _export(db_dsn)
    assert [line[7] for line in _lines(log, "ENTERQUEUE")] == ["1", "2", "3"]
    [key] = _lines(log, "EXITWITHKEY")
    assert key[5:8] == ["1", "2", "2"]  # key, position, origposition
    [abandon] = _lines(log, "ABANDON")
    assert abandon[5:7] == ["2", "3"]  # position, origposition
    [pause] = _lines(log, "PAUSE")
    assert (pause[1], pause[3], pause[5]) == ("NONE", "anna", "lunch")
    assert len(_lines(log, "UNPAUSE")) == 1
    stamps = [int(line[0]) for line in log]
    assert stamps == sorted(stamps)


async def test_blind_transfer_over_the_api_logs_blindtransfer_and_the_new_wait(
    sim: SimulatedAsterisk, sim_control: SimControl, db_dsn: str
) -> None:
    for resource in ("101", "102"):
        await sim_control.set_endpoint("PJSIP", resource, behavior="answer", answer_after=0.05)
    port = _free_port()
    settings = make_settings(
        sim,
        http={"enabled": True, "host": "127.0.0.1", "port": port, "token": TOKEN},
        queues={"support": {"wrapup_s": 0}, "sales": {"wrapup_s": 0}},
        operators={
            "anna": {"endpoint": "PJSIP/101", "queues": {"support": 0}, "logged_in": True},
            "boris": {"endpoint": "PJSIP/102", "queues": {"sales": 0}, "logged_in": True},
        },
    )
    async with running_service(settings, db_dsn) as service:
        caller = await sim_control.place_call(caller_number="+moved")
        await eventually(lambda: bridged_pairs(sim_control), what="anna connected")
        assert service.parts is not None
        [session] = service.parts.sessions.sessions()
        assert await _api(port, f"/calls/{session.call_id}/transfer", {"queue": "sales"}) == 200

        async def connected_twice() -> bool:
            return len(_lines(await _export(db_dsn), "CONNECT")) == 2

        await eventually(connected_twice, what="boris connected")
        await sim_control.hangup(caller["id"])
        [row] = await final_call_row(db_dsn)
    assert (row["queue_name"], row["operator_id"]) == ("sales", "boris")
    log = await _export(db_dsn)
    [transfer] = _lines(log, "BLINDTRANSFER")
    assert (transfer[2], transfer[3], transfer[5]) == ("support", "anna", "sales")
    connects = _lines(log, "CONNECT")
    assert [c[2] for c in connects] == ["support", "sales"]
    # The wait in sales is counted from entering sales, not from the call's start.
    assert int(connects[1][5]) <= int(connects[0][5]) + 1
