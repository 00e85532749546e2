"""The HTTP API against the real service on the simulator (not api/fakes.py): operator
actions reach the routing core, queue status reads it, and recording on demand,
pause and resume reach Asterisk and the recordings table."""

from __future__ import annotations

import socket
from typing import Any

import aiohttp
import asyncpg

from callrouter.sim import SimControl, SimulatedAsterisk
from tests.calls.harness import ari_requests, eventually, make_settings, running_service
from tests.calls.test_inbound_flow import bridged_pairs

TOKEN = "a-long-random-test-token-0123456789"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Api:
    def __init__(self, port: int) -> None:
        self._base = f"http://127.0.0.1:{port}/api/v1"

    async def call(
        self, method: str, path: str, body: dict[str, Any] | None = None
    ) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {TOKEN}"}
        async with (
            aiohttp.ClientSession(headers=headers) as http,
            http.request(method, self._base + path, json=body) as response,
        ):
            return response.status, await response.json()


def _settings(sim: SimulatedAsterisk, port: int) -> Any:
    return make_settings(
        sim,
        http={"enabled": True, "host": "127.0.0.1", "port": port, "token": TOKEN},
        queues={"support": {"join_empty": True, "recording": "on_demand", "wrapup_s": 0}},
    )


async def test_operator_actions_and_queue_status_reach_the_core(
    sim: SimulatedAsterisk, sim_control: SimControl, db_dsn: str
) -> None:
    port = _free_port()
    api = Api(port)
    async with running_service(_settings(sim, port), db_dsn) as service:
        assert service.parts is not None
        status, body = await api.call("POST", "/operators/anna/pause", {"reason": "training"})
        assert status == 200, body
        view = service.parts.router.engine.snapshot().operator("anna")
        assert (view.state.value, view.pause_reason) == ("paused", "training")
        caller = await sim_control.place_call(caller_number="+status")

        async def waiting_shown() -> Any:
            _, queues = await api.call("GET", "/queues")
            waiting = queues["queues"]["support"]["waiting"] if "queues" in queues else (
                queues["support"]["waiting"]
            )
            return waiting or None

        [waiting] = await eventually(waiting_shown, what="the caller in GET /queues")
        assert waiting["position"] == 1
        assert (await api.call("POST", "/operators/anna/unpause"))[0] == 200
        await eventually(lambda: bridged_pairs(sim_control), what="served after unpause")
        # On a call, a logout cannot cut the conversation: it takes effect after it.
        status, body = await api.call("POST", "/operators/anna/logout")
        assert status == 200 and body["result"] == "on_call", body
        await sim_control.hangup(caller["id"])

        async def logged_out() -> bool:
            assert service.parts is not None
            view = service.parts.router.engine.snapshot().operator("anna")
            return view.state.value == "logged_out"

        await eventually(logged_out, what="anna logged out once the call ended")
        status, _ = await api.call("POST", "/operators/nobody/pause", {"reason": "x"})
        assert status == 404


async def test_recording_on_demand_pause_and_resume(
    sim: SimulatedAsterisk, sim_control: SimControl, db_dsn: str
) -> None:
    await sim_control.set_endpoint("PJSIP", "101", behavior="answer", answer_after=0.05)
    port = _free_port()
    api = Api(port)
    async with running_service(_settings(sim, port), db_dsn) as service:
        caller = await sim_control.place_call(caller_number="+record")
        await eventually(lambda: bridged_pairs(sim_control), what="connected")
        assert service.parts is not None
        [session] = service.parts.sessions.sessions()
        path = f"/calls/{session.call_id}/recording"
        assert (await api.call("POST", path + "/pause"))[0] == 404  # nothing recording yet
        assert (await api.call("POST", path + "/start"))[0] == 200
        assert (await api.call("POST", path + "/start"))[0] == 409  # already recorded
        assert (await api.call("POST", path + "/pause"))[0] == 200
        assert (await api.call("POST", path + "/pause"))[0] == 409
        log = await sim_control.requests()
        assert ari_requests(log, "POST", "/pause")  # reached Asterisk

        async def paused_row() -> bool:
            conn = await asyncpg.connect(db_dsn)
            try:
                state = await conn.fetchval("SELECT state FROM recordings")
            finally:
                await conn.close()
            return bool(state == "paused")

        await eventually(paused_row, what="the recording row paused")
        assert (await api.call("POST", path + "/resume"))[0] == 200
        await sim_control.hangup(caller["id"])


async def test_a_viewer_token_reads_but_never_changes(
    sim: SimulatedAsterisk, sim_control: SimControl, db_dsn: str
) -> None:
    """One token no longer grants everything: a wall screen's token can only read."""
    port = _free_port()
    viewer = "a-read-only-wallboard-token-42"
    settings = make_settings(
        sim,
        http={"enabled": True, "host": "127.0.0.1", "port": port, "token": TOKEN,
              "viewer_token": viewer},
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}/api/v1"
    async with running_service(settings, db_dsn) as service:
        async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {viewer}"}) as http:
            async with http.get(base + "/queues") as response:
                assert response.status == 200
            async with http.post(base + "/operators/anna/pause", json={"reason": "x"}) as r:
                assert r.status == 403
                assert "only read" in (await r.json())["error"]["message"]
        assert service.parts is not None
        view = service.parts.router.engine.snapshot().operator("anna")
        assert view.state.value == "available"
