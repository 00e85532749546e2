"""A tenant's wallboard and a shared operator's panel in a real browser (Debian's
headless Chromium) against the real service on the simulated Asterisk, with calls for
two client companies: ACME's wall screen shows ACME's queue and call, Anna busy for
another client, and nothing of Globex's; Anna's panel says her call is for Globex and
greets in Globex's name."""

from __future__ import annotations

from pathlib import Path

from callrouter.sim import SimControl, SimulatedAsterisk
from tests.calls.harness import running_service
from tests.tenants.two_clients import (
    ACME,
    ACME_CALLER,
    ADMIN,
    ANNA_SECRET,
    GLOBEX_CALLER,
    GLOBEX_TRACES,
    busy_afternoon,
    two_clients,
)
from tests.web.conftest import OpenBrowser
from tests.web.test_live_pages import keep_for_readme, operator_row


async def test_acmes_wall_screen_and_annas_panel_in_a_browser(
    real_time_sim: SimulatedAsterisk,
    real_time_control: SimControl,
    db_dsn: str,
    open_browser: OpenBrowser,
    tmp_path: Path,
) -> None:
    async with running_service(two_clients(real_time_sim), db_dsn) as service:
        assert service.parts is not None and service.parts.api is not None
        base = f"http://127.0.0.1:{service.parts.api.port}"
        calls = await busy_afternoon(real_time_control, base)
        acme = await open_browser(width=1600, height=900)
        await acme.get(f"{base}/wallboard?token={ACME}")
        await acme.wait_js(
            operator_row("carl", f"r.textContent.includes('{ACME_CALLER}')")
            + " && "
            + operator_row("anna", "r.textContent.includes('busy for another client')"),
            what="carl's ACME call and anna busy elsewhere on ACME's wall screen",
        )
        assert await acme.text("#client") == "ACME Insurance"
        assert await acme.js("return document.querySelectorAll('[data-queue]').length;") == 1
        shown = await acme.text("body")
        for trace in GLOBEX_TRACES:
            assert trace not in shown, trace
        keep_for_readme(
            await acme.screenshot(tmp_path / "wallboard-tenant.png"), "wallboard-tenant.png"
        )

        # The center's wall screen: both clients, each queue and call naming its client.
        whole = await open_browser(width=1600, height=900)
        await whole.get(f"{base}/wallboard?token={ADMIN}")
        await whole.wait_js(
            operator_row("anna", f"r.textContent.includes('{GLOBEX_CALLER}')"
                         " && r.textContent.includes('Globex')"),
            what="anna's Globex call on the center's wall screen",
        )  # fmt: skip
        assert "ACME Insurance" in await whole.text("[data-queue=acme-support]")
        await whole.screenshot(tmp_path / "wallboard-center.png")

        # Anna, shared between both, sees whom her call is for, and greets by it.
        desk = await open_browser(width=1600, height=1000)
        await desk.get(f"{base}/operator")
        await desk.wait_js("!document.getElementById('login-view').hidden", what="the login")
        await desk.fill("#login-operator", "anna")
        await desk.fill("#login-secret", ANNA_SECRET)
        await desk.click("#login-button")
        await desk.wait_js(
            "document.getElementById('call-client').textContent === 'for Globex'"
            " && document.getElementById('script').textContent.includes('Globex, good morning')",
            what="the client and its greeting on anna's panel",
        )
        assert not await desk.js("return document.getElementById('call-client').hidden;")
        queues = await desk.text("#my-queue-list")
        assert "ACME Insurance" in queues and "Globex" in queues
        await desk.screenshot(tmp_path / "operator-panel-client.png")

        # A reload takes ACME's token away: its wall screen asks for a token again.
        acme_tenant = {"name": "ACME Insurance", "tokens": []}
        tenants = {"acme": acme_tenant, "globex": service.settings.tenants["globex"]}
        await service.reload(two_clients(real_time_sim, tenants=tenants))
        await acme.wait_js(
            "document.body.textContent.includes('viewer_token')",
            what="ACME's wall screen asking for a token after the reload",
        )
        assert ACME_CALLER not in await acme.text("body")
        for channel in (calls.globex_channel, calls.acme_channel, calls.waiting_channel):
            await real_time_control.hangup(channel)
