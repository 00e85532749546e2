"""SIGKILL of ``callrouter serve`` under load, at seeded moments spread over ringing,
connecting, talking and wrap-up; then a restart, and the calls drain.

Each seed kills twice in one run (two different moments), so ten seeds give twenty
kill points while the suite stays within its time budget; every moment gets five.
"""

from __future__ import annotations

import asyncio
import random
from pathlib import Path

import pytest

from tests.faults._harness import call_center, crash, verify
from tests.faults._load import Moment, reach

pytestmark = pytest.mark.faults

MOMENTS = list(Moment)
SEEDS = range(1, 11)


def moments_for(seed: int) -> list[Moment]:
    return [MOMENTS[seed % 4], MOMENTS[(seed + 1 + seed // 4) % 4]]


@pytest.mark.parametrize("seed", SEEDS)
async def test_kill_and_restart_under_load(seed: int, tmp_path: Path, db_dsn: str) -> None:
    rng = random.Random(seed)
    async with call_center(tmp_path, db_dsn, seed=seed) as center:
        [node] = center.nodes
        center.load(rng)
        for moment in moments_for(seed):
            await crash(node, await reach(node.control, moment, rng), rng)
            # New callers meet the adopted ones while the restarted node settles.
            await asyncio.sleep(rng.uniform(0.5, 1.0))
        await center.drain()
        await verify(center)


async def test_the_same_load_without_a_fault(tmp_path: Path, db_dsn: str) -> None:
    """The control run: the same load and checks with no fault, so a finding above is
    the fault's, not the load's or the harness's."""
    rng = random.Random(0)
    async with call_center(tmp_path, db_dsn, seed=0) as center:
        center.load(rng)
        await asyncio.sleep(4.0)
        await center.drain()
        await verify(center)
