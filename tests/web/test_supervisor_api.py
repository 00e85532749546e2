"""The wallboard's supervisor endpoints over HTTP (no browser): who may sign in, what
each cookie opens, and that a monitoring started there is the API's own (same checks,
same log)."""

from __future__ import annotations

from typing import Any

import aiohttp

from callrouter.sim import SimControl, SimulatedAsterisk
from callrouter.web import hash_secret
from tests.calls.harness import eventually, make_settings, running_service

TOKEN = "a-long-random-test-token-0123456789"
VIEWER = "a-read-only-wallboard-token-42"


def _settings(sim: SimulatedAsterisk) -> Any:
    return make_settings(
        sim,
        http={"enabled": True, "host": "127.0.0.1", "port": 0, "token": TOKEN,
              "viewer_token": VIEWER},
        queues={"support": {"wrapup_s": 0.1}},
        operators={"anna": {"endpoint": "PJSIP/101", "queues": {"support": 0},
                            "logged_in": True,
                            "panel_secret_hash": hash_secret("4711", iterations=1000)}},
        supervisors={"lisa": {"panel_secret_hash": hash_secret("2718", iterations=1000)}},
    )  # fmt: skip


def _jar() -> aiohttp.ClientSession:
    # unsafe: keep cookies for 127.0.0.1 (aiohttp drops cookies of bare IPs by default).
    return aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))


async def _status(http: aiohttp.ClientSession, method: str, url: str, body: Any = None) -> int:
    async with http.request(method, url, json=body) as response:
        return response.status


async def test_who_may_monitor_from_the_wallboard(
    sim: SimulatedAsterisk, sim_control: SimControl, db_dsn: str
) -> None:
    await sim_control.set_endpoint("PJSIP", "101", behavior="answer", answer_after=0.1)
    await sim_control.set_endpoint("PJSIP", "160", behavior="answer", answer_after=0.1)
    async with running_service(_settings(sim), db_dsn) as service:
        assert service.parts is not None and service.parts.api is not None
        base = f"http://127.0.0.1:{service.parts.api.port}"
        await sim_control.place_call(caller_number="+4930777")

        async def connected() -> str | None:
            sessions = service.parts.sessions.sessions() if service.parts else []
            return next((s.call_id for s in sessions if s.bridge_id), None)

        call_id = await eventually(connected, what="the call connected")
        start = f"{base}/wallboard/api/monitor"
        listen = {"call_id": call_id, "mode": "listen"}
        session = f"{base}/wallboard/api/supervisor/session"
        async with _jar() as nobody, _jar() as wall, _jar() as anna, _jar() as lisa, _jar() as mike:
            assert await _status(nobody, "POST", start, listen) == 401
            assert await _status(nobody, "GET", f"{base}/wallboard/board.json") == 401
            # A wall screen reads the board and cannot monitor.
            assert await _status(wall, "GET", f"{base}/wallboard?token={VIEWER}") == 200
            assert await _status(wall, "POST", start, listen) == 403
            # Nor can an operator's panel session, nor the viewer token as a secret.
            login = {"operator_id": "anna", "secret": "4711"}
            assert await _status(anna, "POST", f"{base}/operator/api/session", login) == 200
            assert await _status(anna, "POST", start, listen) == 401
            assert (
                await _status(lisa, "POST", session, {"supervisor": "lisa", "secret": VIEWER})
                == 403
            )
            assert (
                await _status(lisa, "POST", session, {"supervisor": "lisa", "secret": "0000"})
                == 403
            )
            # Lisa with her own secret: the board opens, but she has no phone configured.
            assert (
                await _status(lisa, "POST", session, {"supervisor": "lisa", "secret": "2718"})
                == 200
            )
            assert await _status(lisa, "GET", f"{base}/wallboard/board.json") == 200
            async with lisa.get(f"{base}/wallboard/api/supervisor") as response:
                assert await response.json() == {
                    "supervisor": "lisa",
                    "name": "lisa",
                    "endpoint": None,
                    "tenant": None,  # the center's supervisor: every call
                    "client": None,
                }
            async with lisa.post(start, json=listen) as response:
                assert response.status == 422, await response.text()
                assert "endpoint" in (await response.json())["error"]["message"]
            # http.token signs in a supervisor who is not configured; they type a phone.
            assert (
                await _status(mike, "POST", session, {"supervisor": "mike", "secret": TOKEN}) == 200
            )
            async with mike.post(start, json={**listen, "endpoint": "PJSIP/160"}) as response:
                assert response.status == 201, await response.text()
                monitor_id = (await response.json())["monitor_id"]
            mode = {"call_id": call_id, "monitor_id": monitor_id, "mode": "whisper"}
            assert await _status(wall, "POST", f"{start}/mode", mode) == 403
            assert await _status(mike, "POST", f"{start}/mode", mode) == 200
            stop = {"call_id": call_id, "monitor_id": monitor_id}
            assert await _status(mike, "POST", f"{start}/stop", stop) == 200
            assert await _status(mike, "POST", f"{start}/stop", stop) == 404
            # A form post from another site (no JSON) is refused before anything runs.
            async with mike.post(start, data={"call_id": call_id, "mode": "barge"}) as response:
                assert response.status == 415
