"""Two nodes (each its own simulated Asterisk, the same operators' phones) sharing one
database with ``cluster.claim_operators``, under load on both; one is killed and comes
back. An operator is one person: no phone may ring for two calls across the nodes."""

from __future__ import annotations

import asyncio
import random
from pathlib import Path

import pytest

from tests.faults._harness import call_center, crash, verify
from tests.faults._load import Moment, reach

pytestmark = pytest.mark.faults


@pytest.mark.parametrize("seed", [1, 2])
async def test_one_of_two_nodes_killed(seed: int, tmp_path: Path, db_dsn: str) -> None:
    rng = random.Random(seed)
    async with call_center(
        tmp_path, db_dsn, seed=seed, nodes=("node-a", "node-b"), claim_operators=True
    ) as center:
        victim = center.nodes[seed % 2]
        center.load(rng, per_s=3.0)
        moment = await reach(victim.control, rng.choice([Moment.TALKING, Moment.RINGING]), rng)
        await crash(victim, moment, rng)
        await asyncio.sleep(rng.uniform(1.0, 1.5))
        await center.drain()
        await verify(center)
