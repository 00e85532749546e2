"""RetentionSweeper against the simulated Asterisk (real WAV files deleted over ARI) and a
real PostgreSQL: the service purges recordings past retention with nobody running the CLI."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest
from structlog.testing import capture_logs

from callrouter.ari import AriClient
from callrouter.config import RecordingSettings
from callrouter.sim import SimulatedAsterisk
from callrouter.store.retention import RetentionSweeper
from tests.cli.test_cli_recordings import make_recording
from tests.fixtures_sim import SIM_PASSWORD, SIM_USERNAME

NOW = datetime.now(UTC)
GUARD_S = 10


async def add_recording(
    pool: asyncpg.Pool, name: str, *, age: timedelta, node: str = "n1", state: str = "done"
) -> None:
    started = NOW - age
    async with pool.acquire() as conn:
        call_id = uuid.uuid4()
        await conn.execute(
            "INSERT INTO calls (id, direction, caller_number, created_at, node)"
            " VALUES ($1, 'inbound', '+4930123', $2, $3)",
            call_id, started, node,
        )  # fmt: skip
        await conn.execute(
            "INSERT INTO recordings (call_id, name, format, state, started_at)"
            " VALUES ($1, $2, 'wav', $3, $4)",
            call_id, name, state, started,
        )  # fmt: skip


async def states(pool: asyncpg.Pool) -> dict[str, str]:
    async with pool.acquire() as conn:
        rows = await conn.fetch("SELECT name, state FROM recordings")
    return {r["name"]: r["state"] for r in rows}


@contextlib.asynccontextmanager
async def client_of(url: str) -> AsyncIterator[AriClient]:
    async with AriClient(
        base_url=url, username=SIM_USERNAME, password=SIM_PASSWORD, app="callrouter",
        request_timeout=1.0,
    ) as client:  # fmt: skip
        yield client


@contextlib.asynccontextmanager
async def running(sweeper: RetentionSweeper) -> AsyncIterator[asyncio.Task[None]]:
    task = asyncio.create_task(sweeper.run())
    try:
        yield task
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


async def until(predicate: Callable[[], Awaitable[bool]], what: str) -> None:
    try:
        async with asyncio.timeout(GUARD_S):
            while not await predicate():
                await asyncio.sleep(0.02)
    except TimeoutError:
        raise AssertionError(f"timed out waiting for {what}") from None


async def test_sweeper_purges_past_retention_on_schedule(
    sim: SimulatedAsterisk, db_pool: asyncpg.Pool
) -> None:
    for name in ("old-1", "old-2", "fresh", "other-node", "still-recording"):
        await make_recording(sim, name)
    await add_recording(db_pool, "old-1", age=timedelta(days=40))
    await add_recording(db_pool, "old-2", age=timedelta(days=31))
    await add_recording(db_pool, "gone-already", age=timedelta(days=50))  # no file
    await add_recording(db_pool, "fresh", age=timedelta(days=29))
    await add_recording(db_pool, "other-node", age=timedelta(days=40), node="n2")
    await add_recording(db_pool, "still-recording", age=timedelta(days=40), state="recording")
    settings = RecordingSettings(retention_days=30, purge_interval_s=0.05)
    files = sim.recordings_dir

    async with client_of(sim.url) as client:
        sweeper = RetentionSweeper(
            pool=db_pool, recordings=client.recordings, settings=lambda: settings, node="n1"
        )
        with capture_logs() as logs:
            async with running(sweeper):
                async def purged() -> bool:
                    return (await states(db_pool))["old-2"] == "deleted"

                await until(purged, "the first sweep")
                # A recording that ages past retention goes at a later sweep, unasked.
                async with db_pool.acquire() as conn:
                    await conn.execute(
                        "UPDATE recordings SET started_at = $1 WHERE name = 'fresh'",
                        NOW - timedelta(days=31),
                    )

                async def aged_out() -> bool:
                    return (await states(db_pool))["fresh"] == "deleted"

                await until(aged_out, "a later sweep")
    assert await states(db_pool) == {
        "old-1": "deleted", "old-2": "deleted", "gone-already": "deleted", "fresh": "deleted",
        "other-node": "done", "still-recording": "recording",
    }  # fmt: skip
    assert sorted(p.stem for p in files.glob("*.wav")) == ["other-node", "still-recording"]
    [first, *_] = [e for e in logs if e["event"] == "recordings_purged"]
    assert (first["deleted"], first["already_gone"], first["failed"]) == (2, 1, 0)
    assert sweeper.sweeps >= 2


async def test_sweeper_survives_asterisk_down_and_catches_up(
    sim: SimulatedAsterisk, db_pool: asyncpg.Pool
) -> None:
    await make_recording(sim, "old")
    await add_recording(db_pool, "old", age=timedelta(days=100))
    settings = RecordingSettings(retention_days=90, purge_interval_s=0.05)
    async with client_of("http://127.0.0.1:9") as down:  # nothing listens on port 9
        sweeper = RetentionSweeper(
            pool=db_pool, recordings=down.recordings, settings=lambda: settings,
            retry_after_s=0.05,
        )  # fmt: skip
        with capture_logs() as logs:
            async with running(sweeper):
                async def tried_twice() -> bool:
                    return sweeper.sweeps >= 2

                await until(tried_twice, "two failed sweeps")
    aborted = [e for e in logs if e["event"] == "recordings_purged"]
    assert aborted and aborted[0]["aborted"] and aborted[0]["log_level"] == "warning"
    assert (await states(db_pool)) == {"old": "done"}  # left for the next sweep

    async with client_of(sim.url) as client:
        sweeper = RetentionSweeper(pool=db_pool, recordings=client.recordings,
                                   settings=lambda: settings)  # fmt: skip
        result = await sweeper.sweep()
    assert result.deleted == ["old"] and not (sim.recordings_dir / "old.wav").exists()


async def test_interval_zero_turns_the_sweeper_off(db_pool: asyncpg.Pool) -> None:
    await add_recording(db_pool, "old", age=timedelta(days=100))
    async with client_of("http://127.0.0.1:9") as down:
        sweeper = RetentionSweeper(
            pool=db_pool, recordings=down.recordings,
            settings=lambda: RecordingSettings(purge_interval_s=0),
        )  # fmt: skip
        async with asyncio.timeout(GUARD_S):
            await sweeper.run()  # returns at once
    assert sweeper.sweeps == 0
