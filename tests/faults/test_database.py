"""PostgreSQL going away under load: cut off while serve is killed, cut and back, and
restarted, with serve reaching PostgreSQL through a TCP proxy the test controls.

A PostgreSQL restart is played out on the wire as a client sees it: every session is
terminated by the server (FATAL 57P01) and new connections are refused until it is
back. The real server is shared by the whole test session (or is CI's own), so it is
not actually stopped.
"""

from __future__ import annotations

import asyncio
import random
from pathlib import Path

import asyncpg
import pytest

from tests.faults._harness import CallCenter, call_center, come_back, verify
from tests.faults._load import Moment, reach
from tests.faults._process import HarnessError
from tests.store.tcp_proxy import PgProxy

pytestmark = pytest.mark.faults


def _proxy(center: CallCenter) -> PgProxy:
    assert center.proxy is not None, "call_center(proxy_db=True) gives serve a proxied DSN"
    return center.proxy


async def _terminate_sessions(dsn: str) -> int:
    conn = await asyncpg.connect(dsn)
    try:
        count: int = await conn.fetchval(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    finally:
        await conn.close()
    return count


@pytest.mark.parametrize("seed", [1, 2])
async def test_kill_while_database_unreachable(seed: int, tmp_path: Path, db_dsn: str) -> None:
    rng = random.Random(seed)
    async with call_center(tmp_path, db_dsn, seed=seed, proxy_db=True) as center:
        [node] = center.nodes
        proxy = _proxy(center)
        center.load(rng)
        await reach(node.control, Moment.TALKING, rng)
        proxy.cut()
        # Calls keep being routed and their rows pile up while PostgreSQL is away.
        await asyncio.sleep(rng.uniform(1.0, 2.0))
        try:
            moment = await reach(node.control, rng.choice([Moment.TALKING, Moment.RINGING]), rng)
        except HarnessError as exc:
            pytest.fail(f"routing stopped while PostgreSQL was unreachable: {exc}")
        await node.kill(f"{moment}, PostgreSQL unreachable")
        proxy.restore()
        await come_back(node, rng)
        await asyncio.sleep(rng.uniform(0.5, 1.0))
        await center.drain()
        await verify(center)


@pytest.mark.parametrize("how", ["link_cut", "server_restart"])
async def test_database_away_and_back_without_a_kill(how: str, tmp_path: Path, db_dsn: str) -> None:
    rng = random.Random(how)
    async with call_center(tmp_path, db_dsn, seed=7, proxy_db=True) as center:
        [node] = center.nodes
        proxy = _proxy(center)
        center.load(rng)
        await reach(node.control, Moment.TALKING, rng)
        if how == "link_cut":
            proxy.cut()
        else:
            proxy.up = False  # refuse new connections, as a stopped server does
            assert await _terminate_sessions(db_dsn) > 0
        await asyncio.sleep(rng.uniform(1.5, 2.5))
        proxy.restore()
        await asyncio.sleep(rng.uniform(0.5, 1.0))
        await center.drain()
        await verify(center)
