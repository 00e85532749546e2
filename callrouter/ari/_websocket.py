"""The events WebSocket: connect, read frames, and reconnect for as long as we run.

Asterisk does not buffer events while the WebSocket is down, so every (re)connection
is followed by ``on_connected`` (the client's resync) before any new frame is read;
if that fails the connection is dropped and retried, since a half-synced view would
miss hangups. Retries wait a capped exponential backoff with jitter, so a restarted
Asterisk is not hit by every callrouter node at the same instant.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import NoReturn

import aiohttp
import structlog
from yarl import URL

from callrouter.ari.errors import (
    AriConnectionError,
    AriError,
    AriTimeout,
    http_error,
)

__all__ = ["AriHealth", "Backoff", "EventStream"]

log = structlog.get_logger(__name__)

_EVENTS_PATH = "/events"
_CLOSE_TIMEOUT = 1.0


@dataclass(frozen=True, slots=True)
class AriHealth:
    """What ``callrouter status`` shows about the link to Asterisk."""

    connected: bool = False
    connected_since: datetime | None = None
    last_event_at: datetime | None = None
    reconnects: int = 0
    last_error: str | None = None
    workers: int = 0


class Backoff:
    """Capped exponential delays with "equal jitter" (half fixed, half random)."""

    def __init__(self, *, initial: float, maximum: float, factor: float = 2.0) -> None:
        if not 0 < initial <= maximum:
            raise ValueError("backoff needs 0 < initial <= maximum")
        if factor < 1:
            raise ValueError("backoff factor must be >= 1")
        self._initial, self._maximum, self._factor = initial, maximum, factor
        self._attempt = 0

    def next(self) -> float:
        ceiling = min(self._maximum, self._initial * self._factor**self._attempt)
        self._attempt += 1
        return ceiling / 2 + random.uniform(0, ceiling / 2)

    def reset(self) -> None:
        self._attempt = 0


class EventStream:
    def __init__(
        self,
        *,
        url: URL,
        session: Callable[[], aiohttp.ClientSession],
        backoff: Backoff,
        connect_timeout: float,
        heartbeat: float,
        on_frame: Callable[[str], None],
        on_connected: Callable[[bool, float], Awaitable[None]],
        scrub: Callable[[str], str],
    ) -> None:
        self._url = url
        self._session = session
        self._backoff = backoff
        self._connect_timeout = connect_timeout
        self._heartbeat = heartbeat
        self._on_frame = on_frame
        self._on_connected = on_connected
        self._scrub = scrub
        self._health = AriHealth()
        # Stamped per frame as a bare float: a new AriHealth per event cost more than
        # the event's handling (bench/bench_routing.py); health is built when read.
        self._last_event_at: float | None = None
        self._connected = asyncio.Event()

    @property
    def health(self) -> AriHealth:
        if self._last_event_at is None:
            return self._health
        return replace(
            self._health, last_event_at=datetime.fromtimestamp(self._last_event_at, UTC)
        )

    async def wait_connected(self) -> None:
        await self._connected.wait()

    async def run(self) -> NoReturn:
        """Read events until cancelled; never returns, never raises anything else."""
        down_since: float | None = None
        try:
            while True:
                try:
                    code = await self._session_once(down_since)
                    reason = f"closed by Asterisk (code {code})"
                    delay = self._backoff.next()
                    log.warning("ari_events_closed", code=code, retry_in=round(delay, 3))
                except AriError as exc:
                    reason = self._scrub(str(exc))
                    delay = self._backoff.next()
                    log.warning("ari_events_failed", error_id=exc.error_id, error=reason,
                                retry_in=round(delay, 3))
                if self._health.connected:
                    # The gap starts when a working connection is lost, not at each
                    # failed retry; before the first success there is no gap at all.
                    down_since = time.monotonic()
                self._connected.clear()
                self._health = replace(self._health, connected=False, last_error=reason)
                await asyncio.sleep(delay)
        finally:
            self._connected.clear()
            self._health = replace(self._health, connected=False)

    async def _session_once(self, down_since: float | None) -> int | None:
        """One connection, from handshake to close; the close code."""
        async with await self._connect() as ws:
            gap = 0.0 if down_since is None else time.monotonic() - down_since
            reconnect = down_since is not None
            if reconnect:
                # Counted once the socket is back, before the resync: what the resync
                # finds (hangups missed in the gap) is already a reconnect's doing.
                self._health = replace(self._health, reconnects=self._health.reconnects + 1)
            try:
                await self._on_connected(reconnect, gap)
            except AriError as exc:
                raise AriConnectionError(f"resync after connecting failed: {exc}") from exc
            now = datetime.now(UTC)
            self._health = replace(
                self._health, connected=True, connected_since=now,
            )
            self._backoff.reset()
            self._connected.set()
            log.info("ari_events_connected", reconnect=reconnect, gap=round(gap, 3))
            try:
                async for message in ws:
                    if message.type is aiohttp.WSMsgType.TEXT:
                        self._last_event_at = time.time()
                        self._on_frame(message.data)
                    elif message.type is aiohttp.WSMsgType.ERROR:
                        raise AriConnectionError(
                            f"events WebSocket error: {type(ws.exception()).__name__}"
                        )
            except aiohttp.ClientError as exc:
                raise AriConnectionError(
                    f"events WebSocket: {type(exc).__name__}: {self._scrub(str(exc))}"
                ) from exc
            return ws.close_code

    async def _connect(self) -> aiohttp.ClientWebSocketResponse:
        """Open the WebSocket; aiohttp's errors mapped to ours. Their text may hold the
        URL, hence the api_key: only scrubbed text leaves this function."""
        try:
            async with asyncio.timeout(self._connect_timeout):
                return await self._session().ws_connect(
                    self._url, heartbeat=self._heartbeat, protocols=("ari",),
                    # Shutdown must not hang on a peer that never answers our close.
                    timeout=aiohttp.ClientWSTimeout(ws_close=_CLOSE_TIMEOUT),
                )
        except TimeoutError as exc:
            raise AriTimeout(
                f"events WebSocket: no handshake within {self._connect_timeout:g} s"
            ) from exc
        except aiohttp.WSServerHandshakeError as exc:
            raise http_error(
                status=exc.status, message=self._scrub(exc.message or "handshake refused"),
                method="GET", path=_EVENTS_PATH,
            ) from exc
        except aiohttp.ClientError as exc:
            raise AriConnectionError(
                f"events WebSocket: {type(exc).__name__}: {self._scrub(str(exc))}"
            ) from exc
