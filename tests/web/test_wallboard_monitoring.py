"""Supervisor monitoring from the wallboard, in a real browser (Debian's headless
Chromium) against the real service on the simulated Asterisk: a supervisor signed in
clicks Listen on a call in progress and the snoop appears in Asterisk; a wall screen
opened with the viewer token shows no buttons and its POST is refused."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg

from callrouter.sim import SimControl, SimulatedAsterisk
from callrouter.web import hash_secret
from tests.calls.harness import eventually, running_service
from tests.web.conftest import OpenBrowser
from tests.web.test_live_pages import VIEWER, free_port, operator_row, settings_for

SUPERVISOR_SECRET = "2718"
CALLER = "+4930555666"


def _settings(sim: SimulatedAsterisk, port: int) -> Any:
    return settings_for(
        sim, port,
        supervisors={"lisa": {"name": "Lisa", "endpoint": "PJSIP/150",
                              "panel_secret_hash": hash_secret(SUPERVISOR_SECRET,
                                                               iterations=1000)}},
    )  # fmt: skip


async def _snoops(control: SimControl) -> list[dict[str, Any]]:
    state = await control.state()
    return [c for c in state["channels"] if c["sim"]["snoop"] is not None]


async def _anna_on_the_call(control: SimControl) -> str | None:
    """Anna's leg once she is bridged with the caller."""
    state = await control.state()
    for bridge in state["bridges"]:
        names = {c["name"].split("-")[0]: c["id"] for c in state["channels"]
                 if c["id"] in bridge["channels"]}  # fmt: skip
        if "PJSIP/101" in names and len(bridge["channels"]) == 2:
            return names["PJSIP/101"]
    return None


async def test_a_supervisor_listens_from_the_wallboard_and_a_wall_screen_cannot(
    real_time_sim: SimulatedAsterisk,
    real_time_control: SimControl,
    db_dsn: str,
    open_browser: OpenBrowser,
) -> None:
    for resource in ("101", "150"):
        await real_time_control.set_endpoint("PJSIP", resource, behavior="answer",
                                             answer_after=0.2)  # fmt: skip
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    async with running_service(_settings(real_time_sim, port), db_dsn):
        await real_time_control.place_call(caller_number=CALLER)
        anna_leg = await eventually(
            lambda: _anna_on_the_call(real_time_control), what="anna talking to the caller"
        )
        wall, desk = await open_browser(width=1600, height=900), await open_browser()

        # The wall screen: the board, the call, and no monitoring at all.
        await wall.get(f"{base}/wallboard?token={VIEWER}")
        await wall.wait_js(
            operator_row("anna", "r.dataset.state === 'on_call'"
                         f" && r.textContent.includes('{CALLER}')"),
            what="anna on the call on the wall screen",
        )  # fmt: skip
        assert await wall.js("return document.querySelectorAll('[data-monitor]').length;") == 0
        assert await wall.js("return document.getElementById('supervisor-bar').hidden;")
        call_id = await wall.js("return lastBoard.operators.find(o => o.id === 'anna').call.id;")
        refused = await asyncio.to_thread(
            wall.driver.execute_async_script,
            "const done = arguments[arguments.length - 1];"
            "fetch('/wallboard/api/monitor', {method: 'POST', credentials: 'same-origin',"
            " headers: {'Content-Type': 'application/json'},"
            " body: JSON.stringify({call_id: arguments[0], mode: 'listen'})})"
            ".then(r => r.status).then(done);",
            call_id,
        )
        assert refused == 403

        # The supervisor signs in with their own secret and clicks Listen.
        await desk.get(f"{base}/wallboard")
        assert "sign in" in await desk.text("body")  # the way in for a supervisor
        await desk.get(f"{base}/wallboard/supervisor")
        await desk.fill("#login-supervisor", "lisa")
        await desk.fill("#login-secret", SUPERVISOR_SECRET)
        await desk.click("#login-button")
        listen = operator_row("anna", "r.querySelector('[data-monitor=listen]')")
        await desk.wait_js(listen, what="the Listen button on anna's call")
        assert await desk.js("return document.getElementById('sup-phone').value;") == "PJSIP/150"
        await desk.click("[data-operator=anna] [data-monitor=listen]")

        [snoop] = await eventually(lambda: _snoops(real_time_control), what="the listen snoop")
        assert snoop["sim"]["snoop"] == {"of": anna_leg, "spy": "both", "whisper": "none"}
        await desk.wait_js(
            operator_row("anna", "r.querySelector('[data-monitor=listen].active')"
                         " && r.querySelector('[data-monitor=stop]')"),
            what="listen shown active with a Stop button",
        )  # fmt: skip
        # Still nothing on the wall screen while the supervisor listens.
        assert await wall.js("return document.querySelectorAll('[data-monitor]').length;") == 0

        await desk.click("[data-operator=anna] [data-monitor=stop]")

        async def snoop_gone() -> bool:
            return not await _snoops(real_time_control)

        await eventually(snoop_gone, what="the snoop hung up by Stop")
    conn = await asyncpg.connect(db_dsn)
    try:
        rows = await conn.fetch(
            "SELECT supervisor, endpoint, mode, operator_id, ended_at FROM call_monitoring"
        )
    finally:
        await conn.close()
    assert [(r["supervisor"], r["endpoint"], r["mode"], r["operator_id"]) for r in rows] == [
        ("lisa", "PJSIP/150", "listen", "anna")
    ]
    assert rows[0]["ended_at"] is not None
