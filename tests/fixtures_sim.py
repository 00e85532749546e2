"""Fixtures for the simulated Asterisk: a started simulator and its control client.

``sim`` runs at ``SIM_TIME_SCALE`` so scripted seconds pass in milliseconds; a test that
needs another scale builds its own ``SimulatedAsterisk``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from callrouter.sim import SimControl, SimulatedAsterisk

SIM_USERNAME = "callrouter"
SIM_PASSWORD = "secret"
SIM_TIME_SCALE = 100.0


@pytest.fixture
async def sim(tmp_path: Path) -> AsyncIterator[SimulatedAsterisk]:
    async with SimulatedAsterisk(
        username=SIM_USERNAME,
        password=SIM_PASSWORD,
        host="127.0.0.1",
        port=0,
        recordings_dir=tmp_path / "recordings",
        time_scale=SIM_TIME_SCALE,
    ) as simulator:
        yield simulator


@pytest.fixture
async def sim_control(sim: SimulatedAsterisk) -> AsyncIterator[SimControl]:
    async with SimControl(sim.url) as control:
        yield control
