"""The events WebSocket dropped under load, by a close frame and by a TCP reset, with
the reconnect held back so hangups fall into the gap (Asterisk buffers nothing)."""

from __future__ import annotations

import asyncio
import random
from pathlib import Path

import pytest

from tests.faults._harness import Node, call_center, verify
from tests.faults._load import Moment, reach
from tests.faults._process import until

pytestmark = pytest.mark.faults


async def _reconnected(node: Node) -> bool:
    return "callrouter" in (await node.control.state())["connected_apps"]


@pytest.mark.parametrize("seed", [1, 2])
async def test_events_websocket_drops_under_load(seed: int, tmp_path: Path, db_dsn: str) -> None:
    rng = random.Random(seed)
    async with call_center(tmp_path, db_dsn, seed=seed) as center:
        [node] = center.nodes
        center.load(rng)
        for drop in range(3):
            await reach(node.control, rng.choice([Moment.RINGING, Moment.TALKING]), rng)
            await node.control.add_fault(path_prefix="/ari/events", delay=rng.uniform(0.3, 0.8))
            assert await node.control.drop_websockets(abort=drop == 1) == 1
            await until(lambda: _reconnected(node), what="the events WebSocket back")
            await asyncio.sleep(rng.uniform(0.3, 0.8))
        await center.drain()
        await verify(center)
