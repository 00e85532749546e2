"""The one process under test: ``callrouter serve``, started, watched, killed.

Also the two waiting primitives every part of the harness uses: ``until`` (poll a
probe, bounded) and ``HarnessError`` (the harness could not do its part, which is never
a finding about callrouter).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import aiohttp

T = TypeVar("T")

REPO = Path(__file__).resolve().parents[2]
# Generous: a loaded 2-core machine may take a few seconds to start a Python process.
READY_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 10.0
MOMENT_TIMEOUT_S = 20.0
POLL_S = 0.02
# The generated config must be all serve reads: a developer's own CALLROUTER_DSN would
# point it at another database.
_SERVE_ENV = {
    k: v for k, v in os.environ.items() if k not in ("CALLROUTER_DSN", "CALLROUTER_CONFIG")
}


class HarnessError(Exception):
    """The harness could not do what a scenario asked: not a finding about callrouter."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def until(
    probe: Callable[[], Awaitable[T | None]], *, what: str, timeout_s: float = MOMENT_TIMEOUT_S
) -> T:
    """Poll ``probe`` until it returns something truthy; HarnessError after ``timeout_s``."""
    try:
        async with asyncio.timeout(timeout_s):
            while True:
                value = await probe()
                if value:
                    return value
                await asyncio.sleep(POLL_S)
    except TimeoutError:
        raise HarnessError(f"timed out after {timeout_s:g}s waiting for {what}") from None


class ServeProcess:
    """``callrouter serve`` as a sysadmin runs it; stdout and stderr go to one log file
    that outlives restarts, so a failure report shows every life of the process."""

    def __init__(self, *, name: str, config_path: Path, log_path: Path, http_port: int) -> None:
        self.name = name
        self.config_path = config_path
        self.log_path = log_path
        self.http_port = http_port
        self.proc: asyncio.subprocess.Process | None = None

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.returncode is None

    def events(self, event: str) -> int:
        """How many JSON log lines of this process (all its lives) are ``event``."""
        if not self.log_path.exists():
            return 0
        count = 0
        for line in self.log_path.read_text(errors="replace").splitlines():
            with contextlib.suppress(ValueError):
                if json.loads(line).get("event") == event:
                    count += 1
        return count

    def log_tail(self, lines: int = 40) -> str:
        if not self.log_path.exists():
            return "(no log)"
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    async def start(self) -> None:
        if self.running:
            raise HarnessError(f"{self.name} is already running")
        ready_before = self.events("callrouter_ready")
        log = self.log_path.open("ab")
        try:
            self.proc = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "callrouter",
                "--config",
                str(self.config_path),
                "serve",
                stdout=log,
                stderr=log,
                cwd=REPO,
                env=_SERVE_ENV,
            )
        finally:
            log.close()
        await self._wait_ready(ready_before)

    async def _wait_ready(self, ready_before: int) -> None:
        url = f"http://127.0.0.1:{self.http_port}/api/v1/health"

        async def ready() -> bool:
            if not self.running:
                raise HarnessError(f"{self.name} exited at start:\n{self.log_tail()}")
            if self.events("callrouter_ready") <= ready_before:
                return False
            try:
                async with aiohttp.ClientSession() as http, http.get(url) as resp:
                    return resp.status == 200
            except aiohttp.ClientError:
                return False

        try:
            await until(ready, what=f"{self.name} ready", timeout_s=READY_TIMEOUT_S)
        except HarnessError as exc:
            raise HarnessError(f"{exc}\n{self.log_tail()}") from None

    async def kill(self) -> None:
        """SIGKILL: no cleanup, no flush, as when the machine loses power."""
        if self.proc is not None and self.running:
            self.proc.send_signal(signal.SIGKILL)
            await self.proc.wait()

    def hangup(self) -> None:
        if self.proc is None or not self.running:
            raise HarnessError(f"{self.name} is not running")
        self.proc.send_signal(signal.SIGHUP)

    async def stop(self) -> None:
        """SIGTERM (the writer flushes), then SIGKILL if it will not go."""
        if self.proc is None or not self.running:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            async with asyncio.timeout(STOP_TIMEOUT_S):
                await self.proc.wait()
        except TimeoutError:
            await self.kill()
