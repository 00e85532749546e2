"""A whole callrouter on the wire: the service against the simulated Asterisk and a
real PostgreSQL, plus small waiting helpers (no sleeps sized by guesswork)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar

import asyncpg

from callrouter.calls import CallrouterService
from callrouter.config import Settings
from callrouter.sim import SimulatedAsterisk
from tests.fixtures_sim import SIM_PASSWORD, SIM_USERNAME

T = TypeVar("T")

WAIT_S = 10.0


def make_settings(sim: SimulatedAsterisk, **sections: Any) -> Settings:
    base: dict[str, Any] = {
        "ari": {"url": sim.url, "username": SIM_USERNAME, "password": SIM_PASSWORD},
        "agi": {"enabled": False},
        "http": {"enabled": False},
        "queues": {"support": {"ring_timeout_s": 5, "wrapup_s": 0.2}},
        "operators": {
            "anna": {"endpoint": "PJSIP/101", "queues": {"support": 0}, "logged_in": True},
        },
        "routes": {"100": "support"},
    }
    base.update(sections)
    return Settings.model_validate(base)


@contextlib.asynccontextmanager
async def running_service(
    settings: Settings, dsn: str, *, node: str = "test-node"
) -> AsyncIterator[CallrouterService]:
    service = CallrouterService(settings=settings, dsn=dsn, node=node)
    task = asyncio.create_task(service.run())
    try:
        async with asyncio.timeout(WAIT_S):
            ready = asyncio.create_task(service.ready.wait())
            done, _ = await asyncio.wait({task, ready}, return_when=asyncio.FIRST_COMPLETED)
            if task in done:
                ready.cancel()
                task.result()  # raises the start-up failure
        yield service
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def eventually(probe: Callable[[], Awaitable[T | None]], *, what: str) -> T:
    """Poll ``probe`` until it returns something truthy; fail with ``what`` after WAIT_S."""
    try:
        async with asyncio.timeout(WAIT_S):
            while True:
                value = await probe()
                if value:
                    return value
                await asyncio.sleep(0.02)
    except TimeoutError:
        raise AssertionError(f"timed out waiting for {what}") from None


async def final_call_row(dsn: str, *, count: int = 1) -> list[asyncpg.Record]:
    async def probe() -> list[asyncpg.Record] | None:
        conn = await asyncpg.connect(dsn)
        try:
            rows = await conn.fetch("SELECT * FROM calls ORDER BY created_at")
        finally:
            await conn.close()
        done = [r for r in rows if r["outcome"] is not None]
        return rows if len(done) >= count else None

    return await eventually(probe, what=f"{count} finished call row(s)")


async def call_events(dsn: str, call_id: object) -> list[str]:
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch(
            "SELECT event FROM call_events WHERE call_id = $1 ORDER BY id", call_id
        )
    finally:
        await conn.close()
    return [r["event"] for r in rows]


def ari_requests(log: list[dict[str, Any]], method: str, path_part: str) -> list[dict[str, Any]]:
    return [r for r in log if r["method"] == method and path_part in r["path"]]
