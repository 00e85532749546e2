"""A CRM stand-in: a real aiohttp server on a loopback port that records every request.

Tests script its answers with ``responder`` and wait on what it has seen with
``wait_for`` (conditions, not sleeps). ``release`` frees every request a responder is
holding, so a hanging CRM never outlives its test.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from multidict import CIMultiDictProxy


@dataclass(frozen=True)
class Hit:
    path: str
    headers: CIMultiDictProxy[str]
    body: bytes

    @property
    def json(self) -> dict[str, Any]:
        value: dict[str, Any] = json.loads(self.body)
        return value

    @property
    def event(self) -> str:
        return self.headers["X-Callrouter-Event"]

    @property
    def delivery(self) -> str:
        return self.headers["X-Callrouter-Delivery"]

    @property
    def attempt(self) -> int:
        return int(self.headers["X-Callrouter-Attempt"])

    @property
    def call_id(self) -> str | None:
        value = self.json.get("call_id")
        return None if value is None else str(value)


Responder = Callable[[Hit], Awaitable[web.StreamResponse]]


async def ok(_hit: Hit) -> web.StreamResponse:
    return web.Response(status=204)


class Receiver:
    def __init__(self) -> None:
        self.hits: list[Hit] = []
        self.responder: Responder = ok
        self.release = asyncio.Event()
        self.in_flight = 0
        self.max_in_flight = 0
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self.base_url = ""

    @property
    def url(self) -> str:
        return self.base_url + "/hook"

    def url_for(self, path: str) -> str:
        return f"{self.base_url}/{path.lstrip('/')}"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, shutdown_timeout=0.1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.base_url = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        self.release.set()
        if self._runner is not None:
            await self._runner.cleanup()

    async def hang(self) -> web.StreamResponse:
        """A CRM that never answers, until the test lets it."""
        await self.release.wait()
        return web.Response(status=200)

    async def wait_for(self, predicate: Callable[[list[Hit]], bool], timeout_s: float = 10) -> None:
        # The timeout is a hang guard, not a measurement.
        async with asyncio.timeout(timeout_s), self._changed:
            await self._changed.wait_for(lambda: predicate(self.hits))

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        hit = Hit(path=request.path, headers=request.headers, body=await request.read())
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        async with self._changed:
            self.hits.append(hit)
            self._changed.notify_all()
        try:
            return await self.responder(hit)
        finally:
            self.in_flight -= 1
