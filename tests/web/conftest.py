"""Fixtures of the browser tests: a simulator at real speed (a ring lasts as long as a
person needs to see it) and headless Chromium windows, closed after the test."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from callrouter.sim import SimControl, SimulatedAsterisk
from tests.fixtures_sim import SIM_PASSWORD, SIM_USERNAME
from tests.web.browser import Browser, require_chromium

OpenBrowser = Callable[..., Awaitable[Browser]]


@pytest.fixture
async def real_time_sim(tmp_path: Path) -> AsyncIterator[SimulatedAsterisk]:
    async with SimulatedAsterisk(
        username=SIM_USERNAME, password=SIM_PASSWORD, host="127.0.0.1", port=0,
        recordings_dir=tmp_path / "recordings", time_scale=1.0,
    ) as simulator:  # fmt: skip
        yield simulator


@pytest.fixture
async def real_time_control(real_time_sim: SimulatedAsterisk) -> AsyncIterator[SimControl]:
    async with SimControl(real_time_sim.url) as control:
        yield control


@pytest.fixture
async def open_browser(tmp_path: Path) -> AsyncIterator[OpenBrowser]:
    require_chromium()
    opened: list[Browser] = []

    async def open_one(**size: int) -> Browser:
        # A fresh profile per window: no cookie or cache leaks between windows or runs.
        browser = await Browser.open(tmp_path / f"profile-{len(opened)}", **size)
        opened.append(browser)
        return browser

    yield open_one
    for browser in opened:
        await browser.close()
