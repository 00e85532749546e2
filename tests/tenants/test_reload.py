"""Tenant tokens changed without a restart: ``callrouter serve`` itself (only the real
process has the SIGHUP handler) against the simulator. The config file's tenant token
is replaced and the process sent SIGHUP: the new token works at once on the API and the
pages, and the old one is refused at once everywhere, including the page sessions it
opened (a wall screen's cookie, a supervisor's session, an open live stream)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import yaml

from callrouter.sim import SimulatedAsterisk
from tests.faults._process import ServeProcess, free_port, until
from tests.fixtures_sim import SIM_PASSWORD, SIM_USERNAME
from tests.tenants.two_clients import ADMIN, GLOBEX, Feed, http

OLD = "acme-old-token-0123456789abcdef"
NEW = "acme-new-token-0123456789abcdef"


def _config(sim: SimulatedAsterisk, db_dsn: str, tmp_path: Path, port: int) -> dict[str, Any]:
    return {
        "ari": {"url": sim.url, "username": SIM_USERNAME, "password": SIM_PASSWORD},
        "database": {"dsn": db_dsn, "spool_dir": str(tmp_path / "spool")},
        "agi": {"enabled": False},
        "http": {"host": "127.0.0.1", "port": port, "token": ADMIN},
        "logging": {"format": "json"},
        "tenants": {
            "acme": {"name": "ACME Insurance", "tokens": [OLD]},
            "globex": {"name": "Globex", "tokens": [GLOBEX]},
        },
        "queues": {"acme-support": {"tenant": "acme"}, "globex-sales": {"tenant": "globex"}},
        "routes": {"100": "acme-support", "200": "globex-sales"},
        "operators": {
            "anna": {"endpoint": "PJSIP/101", "queues": {"acme-support": 0, "globex-sales": 0}}
        },
    }


async def _status(session: Any, method: str, url: str, body: Any = None) -> int:
    async with session.request(method, url, json=body) as response:
        status: int = response.status
        return status


async def test_tenant_tokens_added_and_removed_by_a_reload_apply_at_once(
    sim: SimulatedAsterisk, db_dsn: str, tmp_path: Path
) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    config = _config(sim, db_dsn, tmp_path, port)
    path = tmp_path / "callrouter.yml"
    path.write_text(yaml.safe_dump(config))
    serve = ServeProcess(name="serve", config_path=path, log_path=tmp_path / "serve.log",
                         http_port=port)  # fmt: skip
    await serve.start()
    try:
        async with http(OLD) as old, http(NEW) as new, http() as wall, http() as sue:
            assert await _status(old, "GET", f"{base}/api/v1/queues") == 200
            assert await _status(new, "GET", f"{base}/api/v1/queues") == 403
            # Page sessions opened with the old token.
            assert await _status(wall, "GET", f"{base}/wallboard?token={OLD}") == 200
            assert await _status(wall, "GET", f"{base}/wallboard/board.json") == 200
            signed_in = {"supervisor": "sue", "secret": OLD}
            url = f"{base}/wallboard/api/supervisor/session"
            assert await _status(sue, "POST", url, signed_in) == 200
            async with sue.get(f"{base}/wallboard/api/supervisor") as response:
                assert (await response.json())["client"] == "ACME Insurance"
            async with old.get(f"{base}/wallboard/events") as stream:
                feed = Feed(stream)
                await feed.board_where(lambda b: b["tenant"] == "acme")

                config["tenants"]["acme"]["tokens"] = [NEW]
                path.write_text(yaml.safe_dump(config))
                reloaded_before = serve.events("config_reloaded")
                serve.hangup()

                async def reloaded() -> bool:
                    return serve.events("config_reloaded") > reloaded_before

                await until(reloaded, what="config_reloaded in the log", timeout_s=10)
                ended_within = time.monotonic()
                # The open stream is told it ended, and closed.
                assert await feed.next(within_s=5) == ("ended", "{}")
                assert time.monotonic() - ended_within < 2.0
                assert await feed.next(within_s=1) is None
            # The old token: refused on the API and the pages, its sessions over.
            assert await _status(old, "GET", f"{base}/api/v1/queues") == 403
            assert await _status(old, "GET", f"{base}/wallboard/board.json") == 401
            assert await _status(wall, "GET", f"{base}/wallboard/board.json") == 401
            assert await _status(wall, "GET", f"{base}/wallboard") == 401
            async with sue.get(f"{base}/wallboard/api/supervisor") as response:
                assert (await response.json())["supervisor"] is None
            assert await _status(sue, "POST", url, signed_in) == 403
            # The new token: ACME's, at once, on both.
            async with new.get(f"{base}/api/v1/queues") as response:
                assert response.status == 200
                assert "acme-support" in await response.text()
                assert "globex" not in await response.text()
            async with new.get(f"{base}/wallboard/board.json") as response:
                assert (await response.json())["tenant"] == "acme"
            # Globex's token was not touched.
            async with http(GLOBEX) as globex:
                assert await _status(globex, "GET", f"{base}/api/v1/queues") == 200
        assert serve.events("reload_needs_restart") == 0
    finally:
        await serve.stop()
