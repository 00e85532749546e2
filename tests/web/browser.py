"""Debian's Chromium, headless, driven through its own chromedriver by selenium.

Selenium is blocking; every call runs in a thread so the service under test keeps its
event loop. Never a downloaded browser: the binaries are Debian's, named explicitly.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import time
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
    "--force-device-scale-factor=1",
)
POLL_S = 0.03


def require_chromium() -> None:
    """Skip, saying why and how to fix it, when Debian's chromium is not installed."""
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
    if missing:
        pytest.skip(
            f"browser tests need Debian's chromium and chromium-driver ({', '.join(missing)}"
            " missing): apt-get install -y chromium chromium-driver (make test does it)"
        )


class Browser:
    """One headless Chromium window of ``width`` x ``height``."""

    def __init__(self, profile: Path, *, width: int = 1920, height: int = 1080) -> None:
        from selenium import webdriver

        os.environ.setdefault("SE_OFFLINE", "true")  # selenium-manager must never download
        options = webdriver.ChromeOptions()
        options.binary_location = str(CHROMIUM)
        window = (f"--user-data-dir={profile}", f"--window-size={width},{height}")
        for arg in (*CHROMIUM_ARGS, *window):
            options.add_argument(arg)
        service = webdriver.ChromeService(executable_path=str(CHROMEDRIVER))
        self.driver = webdriver.Chrome(options=options, service=service)
        # The page itself gets width x height (the window's frame would take its share).
        self.driver.execute_cdp_cmd(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
        )
        self._profile = profile

    @classmethod
    async def open(cls, profile: Path, **size: int) -> Browser:
        return await asyncio.to_thread(cls, profile, **size)

    async def get(self, url: str) -> None:
        await asyncio.to_thread(self.driver.get, url)

    async def js(self, script: str, *args: Any) -> Any:
        return await asyncio.to_thread(self.driver.execute_script, script, *args)

    async def wait_js(self, expression: str, *, within_s: float = 10.0, what: str = "") -> float:
        """Seconds until ``expression`` (JavaScript) is truthy in the page."""
        started = time.monotonic()
        probe = f"try {{ return Boolean({expression}); }} catch (e) {{ return false; }}"
        while True:
            if await self.js(probe):
                return time.monotonic() - started
            if time.monotonic() - started > within_s:
                raise AssertionError(f"timed out after {within_s}s: {what or expression}")
            await asyncio.sleep(POLL_S)

    async def text(self, selector: str) -> str:
        value = await self.js(
            "const el = document.querySelector(arguments[0]); return el ? el.textContent : null;",
            selector,
        )
        return "" if value is None else str(value)

    async def click(self, selector: str) -> None:
        await self.js("document.querySelector(arguments[0]).click();", selector)

    async def fill(self, selector: str, value: str) -> None:
        await self.js(
            "const el = document.querySelector(arguments[0]); el.value = arguments[1];"
            " el.dispatchEvent(new Event('change'));",
            selector,
            value,
        )

    async def screenshot(self, path: Path) -> Path:
        await asyncio.to_thread(self.driver.save_screenshot, str(path))
        return path

    async def close(self) -> None:
        await asyncio.to_thread(self.driver.quit)
        shutil.rmtree(self._profile, ignore_errors=True)
