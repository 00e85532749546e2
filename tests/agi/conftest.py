"""Fixtures for the FastAGI tests: a started server on port 0 and the recorded session."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Coroutine, Mapping
from typing import Any

import pytest

from callrouter.agi import AgiHandler, FastAgiServer

StartServer = Callable[..., Coroutine[Any, Any, FastAgiServer]]


@pytest.fixture
async def start_server() -> AsyncIterator[StartServer]:
    """``await start_server(routes, **options)``: a listening server, closed afterwards."""
    servers: list[FastAgiServer] = []

    async def start(routes: Mapping[str, AgiHandler], **options: Any) -> FastAgiServer:
        options.setdefault("port", 0)
        server = FastAgiServer(routes=routes, **options)
        await server.start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        await server.close()
