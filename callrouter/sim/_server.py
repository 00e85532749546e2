"""``SimulatedAsterisk``: wires the pieces into one aiohttp server and runs it."""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
from pathlib import Path
from types import TracebackType
from typing import Self

from aiohttp import web

from callrouter.sim import (
    _control,
    _rest_bridges,
    _rest_call_control,
    _rest_channels,
    _rest_recordings,
    _rest_system,
    _websocket,
)
from callrouter.sim._base import SimClock
from callrouter.sim._calls import DEFAULT_STASIS_CONTEXTS, CallFlows
from callrouter.sim._core import CORE, SimCore
from callrouter.sim._events import EventHub
from callrouter.sim._http import MIDDLEWARES
from callrouter.sim._media import Media
from callrouter.sim._switch import Switch

DEFAULT_USERNAME = "callrouter"
DEFAULT_PASSWORD = "secret"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8088
DEFAULT_APP = "callrouter"
_SHUTDOWN_TIMEOUT = 1.0


class SimulatedAsterisk:
    """An ARI server on a real socket. ``port=0`` picks a free port (see ``url``)."""

    def __init__(
        self,
        *,
        username: str = DEFAULT_USERNAME,
        password: str = DEFAULT_PASSWORD,
        host: str = DEFAULT_HOST,
        port: int = 0,
        recordings_dir: Path | None = None,
        time_scale: float = 1.0,
        default_app: str = DEFAULT_APP,
        stasis_contexts: dict[str, str] | None = None,
    ) -> None:
        if not 0 <= port <= 65535:
            raise ValueError(f"port must be 0..65535, got {port}")
        self.host = host
        self.port = port
        self._tempdir: tempfile.TemporaryDirectory[str] | None = None
        if recordings_dir is None:
            self._tempdir = tempfile.TemporaryDirectory(prefix="callrouter-sim-")
            recordings_dir = Path(self._tempdir.name)
        self.recordings_dir = recordings_dir
        clock = SimClock(time_scale=time_scale)
        hub = EventHub(clock=clock)
        switch = Switch(clock=clock, hub=hub)
        media = Media(switch=switch, recordings_dir=recordings_dir)
        switch.listener = media
        contexts = dict(DEFAULT_STASIS_CONTEXTS if stasis_contexts is None else stasis_contexts)
        self.core = SimCore(
            clock=clock,
            hub=hub,
            switch=switch,
            calls=CallFlows(switch=switch, stasis_contexts=contexts),
            media=media,
            username=username,
            password=password,
            default_app=default_app,
        )
        self._runner: web.AppRunner | None = None

    @property
    def time_scale(self) -> float:
        return self.core.clock.time_scale

    @property
    def url(self) -> str:
        if self._runner is None:
            raise RuntimeError("the simulator is not started")
        return f"http://{self.host}:{self.port}"

    @property
    def ari_url(self) -> str:
        return self.url + "/ari"

    def build_app(self) -> web.Application:
        app = web.Application(middlewares=MIDDLEWARES)
        app[CORE] = self.core
        _rest_system.init_device_states(app)
        # /channels/create must be tried before /channels/{channelId}.
        for module in (
            _websocket,
            _rest_channels,
            _rest_call_control,
            _rest_bridges,
            _rest_recordings,
            _rest_system,
            _control,
        ):
            app.add_routes(module.routes)
        return app

    async def start(self) -> None:
        self.recordings_dir.mkdir(parents=True, exist_ok=True)
        runner = web.AppRunner(
            self.build_app(), handle_signals=False, shutdown_timeout=_SHUTDOWN_TIMEOUT
        )
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port)
        await site.start()
        self._runner = runner
        for address in runner.addresses:
            if isinstance(address, tuple):
                self.port = int(address[1])
                break

    async def stop(self) -> None:
        runner, self._runner = self._runner, None
        self.core.clock.cancel_all()
        for conn in self.core.hub.connections():
            self.core.hub.disconnect(conn)
            with contextlib.suppress(Exception):
                await conn.ws.close(code=1001, message=b"simulator stopping")
        if runner is not None:
            await runner.cleanup()
        if self._tempdir is not None:
            self._tempdir.cleanup()
            self._tempdir = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()


async def run_simulator(
    *,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    username: str = DEFAULT_USERNAME,
    password: str = DEFAULT_PASSWORD,
    recordings_dir: Path | None = None,
    time_scale: float = 1.0,
    default_app: str = DEFAULT_APP,
    ready: asyncio.Event | None = None,
) -> None:
    """Serve until cancelled (``callrouter simulate``); sets ``ready`` once listening."""
    sim = SimulatedAsterisk(
        username=username,
        password=password,
        host=host,
        port=port,
        recordings_dir=recordings_dir,
        time_scale=time_scale,
        default_app=default_app,
    )
    async with sim:
        if ready is not None:
            ready.set()
        await asyncio.Event().wait()
