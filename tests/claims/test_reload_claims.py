"""Reloads. README, How inbound routing works: on a reload (``kill -HUP`` the
``callrouter serve`` process) "a broken file is reported and ignored"; Known
limitations: "ARI, database, AGI and HTTP settings need a restart". Only the real
process has a SIGHUP handler, so these run ``callrouter serve`` itself against the
simulator."""

from __future__ import annotations

from pathlib import Path

import aiohttp
import asyncpg
import yaml

from callrouter.dialer import CampaignEvent
from callrouter.dialer.store import change_campaign_state
from callrouter.sim import SimControl, SimulatedAsterisk
from callrouter.store import open_pool
from tests.calls.harness import eventually, make_settings, running_service
from tests.faults._process import ServeProcess, free_port, until
from tests.fixtures_sim import SIM_PASSWORD, SIM_USERNAME


def _serve(sim: SimulatedAsterisk, db_dsn: str, tmp_path: Path) -> tuple[ServeProcess, Path]:
    """``callrouter serve`` with a config of its own (JSON logs, so events can be
    counted), not started yet."""
    http_port = free_port()
    config = tmp_path / "callrouter.yml"
    config.write_text(
        yaml.safe_dump(
            {
                "ari": {"url": sim.url, "username": SIM_USERNAME, "password": SIM_PASSWORD},
                "database": {"dsn": db_dsn, "spool_dir": str(tmp_path / "spool")},
                "agi": {"enabled": False},
                "http": {"host": "127.0.0.1", "port": http_port},
                "logging": {"format": "json"},
                "queues": {"support": {"join_empty": True}},
                "routes": {"100": "support"},
                "operators": {"anna": {"endpoint": "PJSIP/101", "queues": {"support": 0}}},
            }
        )
    )
    serve = ServeProcess(
        name="serve", config_path=config, log_path=tmp_path / "serve.log", http_port=http_port
    )
    return serve, config


async def _reloaded(serve: ServeProcess, event: str) -> None:
    """SIGHUP, then wait for the reload's verdict in the log."""
    before = serve.events(event)
    serve.hangup()

    async def logged() -> bool:
        return serve.events(event) > before

    await until(logged, what=f"{event} in the log", timeout_s=10)


async def test_a_broken_file_on_sighup_is_reported_and_ignored(
    sim: SimulatedAsterisk, sim_control: SimControl, db_dsn: str, tmp_path: Path
) -> None:
    serve, config = _serve(sim, db_dsn, tmp_path)
    await serve.start()
    try:
        # A strategy that does not exist: check-config would refuse the file too.
        broken = config.read_text().replace("join_empty: true", "strategy: fastest")
        assert "fastest" in broken
        config.write_text(broken)
        await _reloaded(serve, "reload_refused")
        assert serve.running, serve.log_tail()
        assert serve.events("config_reloaded") == 0
        assert "queues.support.strategy" in serve.log_tail(), "reported without the field"
        # Still routing by the file it started with: DID 100 still reaches support.
        await sim_control.place_call(caller_number="+4930777", exten="100")

        async def routed() -> str | None:
            conn = await asyncpg.connect(db_dsn)
            try:
                return await conn.fetchval(
                    "SELECT queue_name FROM calls WHERE caller_number = '+4930777'"
                )
            finally:
                await conn.close()

        assert await eventually(routed, what="the call after the refused reload") == "support"
        assert serve.running, serve.log_tail()
    finally:
        await serve.stop()


async def test_a_reload_applies_campaigns_and_never_restarts_a_paused_one(
    sim: SimulatedAsterisk, db_dsn: str
) -> None:
    # README, Campaigns: campaigns are "synced into PostgreSQL at start-up" and "a config
    # reload never restarts a paused campaign"; Known limitations: a reload "applies
    # queues, operators, routes, calendars and campaigns".
    campaign = {"mode": "progressive", "queue": "support", "caller_id": "+14155550000"}
    before = make_settings(sim, campaigns={"spring": campaign})
    after = make_settings(
        sim,
        campaigns={
            "spring": {**campaign, "caller_id": "+14155550001"},
            "autumn": {**campaign, "mode": "predictive"},
        },
    )
    async with running_service(before, db_dsn) as service:
        async with open_pool(db_dsn, max_size=1) as pool, pool.acquire() as conn:
            await change_campaign_state(conn, "spring", CampaignEvent.START)
            await change_campaign_state(conn, "spring", CampaignEvent.PAUSE)
        await service.reload(after)
        conn = await asyncpg.connect(db_dsn)
        try:
            rows = await conn.fetch("SELECT name, mode, caller_id, state FROM campaigns")
        finally:
            await conn.close()
    assert {r["name"]: tuple(r)[1:] for r in rows} == {
        "spring": ("progressive", "+14155550001", "paused"),
        "autumn": ("predictive", "+14155550000", "created"),
    }


async def test_a_reload_reports_connection_settings_it_cannot_apply(
    sim: SimulatedAsterisk, db_dsn: str, tmp_path: Path
) -> None:
    serve, config = _serve(sim, db_dsn, tmp_path)
    await serve.start()
    try:
        moved = yaml.safe_load(config.read_text())
        moved["http"]["port"] = free_port()
        config.write_text(yaml.safe_dump(moved))
        await _reloaded(serve, "config_reloaded")
        assert serve.events("reload_needs_restart") == 1, serve.log_tail()
        # Still answering where it started: the new port waits for a restart.
        url = f"http://127.0.0.1:{serve.http_port}/api/v1/health"
        async with aiohttp.ClientSession() as http, http.get(url) as resp:
            assert resp.status == 200
    finally:
        await serve.stop()
