"""``AriClient``: the facade over REST namespaces, the events WebSocket and dispatch.

Lifecycle::

    client = AriClient(base_url="http://127.0.0.1:8088", username="callrouter",
                       password=secret, app="callrouter")
    async with client:                      # one keep-alive aiohttp session
        client.on(StasisStart, on_start)    # every subscription, in one place,
        client.on(StasisEnd, on_end)        # before the WebSocket opens
        client.on_resync(on_resync)
        async with asyncio.TaskGroup() as tg:
            tg.create_task(client.run())    # events until cancelled
            await client.wait_connected()
            await client.channels.originate(endpoint="PJSIP/101", app="callrouter")

REST works without ``run()``; ``run()`` only adds events.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from types import TracebackType
from typing import Any, Self, overload
from urllib.parse import quote

import aiohttp
import structlog
from yarl import URL

from callrouter.ari._dispatch import (
    ANY_EVENT,
    DEFAULT_IDLE_TIMEOUT,
    FINAL_EVENT_TYPES,
    Dispatcher,
    E,
    Handler,
)
from callrouter.ari._events import AnyEvent, Event, decode_frame, peek_type, validate_event
from callrouter.ari._http import Http
from callrouter.ari._models import Application, Bridge, Channel
from callrouter.ari._rest_bridges import BridgesApi
from callrouter.ari._rest_channels import ChannelsApi
from callrouter.ari._rest_misc import (
    ApplicationsApi,
    AsteriskApi,
    EndpointsApi,
    PlaybacksApi,
    RecordingsApi,
    SoundsApi,
)
from callrouter.ari._websocket import AriHealth, Backoff, EventStream
from callrouter.ari.errors import AriError
from callrouter.log import register_secret

__all__ = ["AriClient", "Resync", "ResyncCallback"]

log = structlog.get_logger(__name__)

DEFAULT_REQUEST_TIMEOUT = 5.0
DEFAULT_BACKOFF_INITIAL = 0.5
DEFAULT_BACKOFF_MAX = 30.0
DEFAULT_HEARTBEAT = 20.0
DEFAULT_POOL_SIZE = 32
_MASK = "***"
_GONE_TYPES = ("StasisEnd", "ChannelDestroyed")


@dataclass(frozen=True, slots=True)
class Resync:
    """What Asterisk holds right after the events WebSocket (re)connected.

    ``gone_channel_ids``: channels that were in our Stasis application when the link
    dropped and no longer exist: hangups whose events were lost in the gap."""

    channels: list[Channel]
    bridges: list[Bridge]
    application: Application
    reconnect: bool
    gap: float  # seconds without a WebSocket; 0.0 on the first connection
    gone_channel_ids: frozenset[str]


ResyncCallback = Callable[[Resync], Awaitable[None]]


class AriClient:
    def __init__(
        self,
        *,
        base_url: str,
        username: str,
        password: str,
        app: str,
        request_timeout: float = DEFAULT_REQUEST_TIMEOUT,
        backoff_initial: float = DEFAULT_BACKOFF_INITIAL,
        backoff_max: float = DEFAULT_BACKOFF_MAX,
        heartbeat: float = DEFAULT_HEARTBEAT,
        idle_timeout: float = DEFAULT_IDLE_TIMEOUT,
        pool_size: int = DEFAULT_POOL_SIZE,
        trace_configs: Sequence[aiohttp.TraceConfig] = (),
    ) -> None:
        base = URL(base_url.rstrip("/"))
        if base.scheme not in ("http", "https") or not base.host:
            raise ValueError(f"base_url must be http(s)://host:port, got {base_url!r}")
        if not username or not app:
            raise ValueError("username and app must not be empty")
        if request_timeout <= 0 or heartbeat <= 0 or pool_size < 1:
            raise ValueError("request_timeout, heartbeat and pool_size must be positive")
        self.base_url = str(base)
        # Observers of every request (the /metrics ARI latency and errors).
        self._trace_configs = list(trace_configs)
        self.username = username
        self.app = app
        self._password = password
        self._pool_size = pool_size
        # Also the URL-encoded form: that is how it appears inside the WebSocket URL.
        self._secrets = sorted({password, quote(password, safe="")} - {""}, key=len)[::-1]
        for secret in self._secrets:
            register_secret(secret)

        self._session: aiohttp.ClientSession | None = None
        self._http = Http(ari_url=base / "ari", timeout=request_timeout)
        self.channels = ChannelsApi(self._http)
        self.bridges = BridgesApi(self._http)
        self.recordings = RecordingsApi(self._http)
        self.playbacks = PlaybacksApi(self._http)
        self.applications = ApplicationsApi(self._http, own_app=app)
        self.endpoints = EndpointsApi(self._http)
        self.asterisk = AsteriskApi(self._http)
        self.sounds = SoundsApi(self._http)

        self._dispatcher = Dispatcher(idle_timeout=idle_timeout)
        self._resync: ResyncCallback | None = None
        self._in_stasis: set[str] = set()
        self._running = False
        # Event types worth validating; None: all (someone listens to "*").
        self._wanted: frozenset[str] | None = None
        api_key = f"{quote(username, safe='')}:{quote(password, safe='')}"
        events_url = URL(
            f"{self._http.ari_url}/events?app={quote(app, safe='')}"
            f"&api_key={api_key}&subscribeAll=false",
            encoded=True,
        )
        self._stream = EventStream(
            url=events_url,
            session=self._require_session,
            backoff=Backoff(initial=backoff_initial, maximum=backoff_max),
            connect_timeout=request_timeout,
            heartbeat=heartbeat,
            on_frame=self._on_frame,
            on_connected=self._on_connected,
            scrub=self._scrub,
        )

    def __repr__(self) -> str:
        return (
            f"AriClient(base_url={self.base_url!r}, username={self.username!r}, "
            f"password={_MASK!r}, app={self.app!r})"
        )

    def _scrub(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, _MASK)
        return text

    # -- session -------------------------------------------------------------------------
    async def __aenter__(self) -> Self:
        if self._session is not None:
            raise RuntimeError("AriClient is already open")
        self._session = aiohttp.ClientSession(
            headers={"Authorization": aiohttp.encode_basic_auth(self.username, self._password)},
            connector=aiohttp.TCPConnector(limit=self._pool_size),
            trace_configs=self._trace_configs or None,
        )
        self._http.bind(self._session)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        session, self._session = self._session, None
        self._http.bind(None)
        if session is not None:
            await session.close()

    def _require_session(self) -> aiohttp.ClientSession:
        if self._session is None:
            raise RuntimeError("AriClient is not open: use 'async with AriClient(...)'")
        return self._session

    # -- subscriptions ---------------------------------------------------------------------
    @overload
    def on(self, event_type: type[E], handler: Handler[E]) -> None: ...

    @overload
    def on(self, event_type: str, handler: Callable[[AnyEvent], Awaitable[None]]) -> None: ...

    def on(self, event_type: Any, handler: Any) -> None:
        """Run ``handler`` for every event of ``event_type`` (a model class from
        ``callrouter.ari``, a type name, or ``"*"``), in its channel's order.
        Only before :meth:`run`: every subscription is known before events flow."""
        self._dispatcher.on(event_type, handler)

    def on_resync(self, callback: ResyncCallback) -> None:
        """Called after every (re)connection, before any new event is dispatched."""
        if self._running:
            raise RuntimeError("register the resync callback before run()")
        self._resync = callback

    # -- events ------------------------------------------------------------------------------
    @property
    def health(self) -> AriHealth:
        return replace(self._stream.health, workers=self._dispatcher.workers)

    async def wait_connected(self) -> None:
        await self._stream.wait_connected()

    async def run(self) -> None:
        """Receive and dispatch events until cancelled, reconnecting as needed. Cancel
        it to stop: workers are cancelled with it and CancelledError propagates."""
        self._require_session()
        if self._running:
            raise RuntimeError("AriClient.run() is already running")
        self._running = True
        self._dispatcher.freeze()
        handled = self._dispatcher.event_types
        self._wanted = (
            None
            if ANY_EVENT in handled
            else handled | FINAL_EVENT_TYPES | {"StasisStart", "ApplicationReplaced"}
        )
        try:
            async with asyncio.TaskGroup() as tasks:
                self._dispatcher.attach(tasks)
                await self._stream.run()
        finally:
            self._dispatcher.attach(None)
            self._running = False

    def _on_frame(self, frame: str) -> None:
        wanted = self._wanted
        if wanted is not None and (kind := peek_type(frame)) is not None and kind not in wanted:
            return  # see below: not even decoded
        raw = decode_frame(frame)
        if raw is None:
            return
        if wanted is not None and raw["type"] not in wanted:
            # Most of Asterisk's events (Dial, ChannelVarset, bridge and playback
            # chatter) have no handler: dropped on their type, never modelled. The
            # final ones are kept whatever: they retire their object's worker.
            return
        event = validate_event(raw)
        if event is None:
            return
        if isinstance(event, Event):
            self._track(event)
        if event.type == "ApplicationReplaced":
            log.error("ari_application_replaced", app=self.app)
        self._dispatcher.submit(event)

    async def _filter_events(self) -> None:
        """Ask Asterisk for the handled event types only: most of what it sends an
        application (ChannelVarset, Dial, bridge and playback chatter: about half of a
        call's events) would be dropped here anyway, after Asterisk built it and the
        WebSocket carried it. Set at every connection (a new WebSocket may be a new
        application). An Asterisk without the call (before 13.26/16.3) sends everything,
        which the client drops on its type as before."""
        if self._wanted is None:
            return
        try:
            await self.applications.filter_events(self.app, self._wanted)
        except AriError as exc:
            log.warning("ari_event_filter_refused", error=str(exc))

    def _track(self, event: Event) -> None:
        channel = getattr(event, "channel", None)
        if not isinstance(channel, Channel):
            return
        if event.type == "StasisStart":
            self._in_stasis.add(channel.id)
        elif event.type in _GONE_TYPES:
            self._in_stasis.discard(channel.id)

    async def _on_connected(self, reconnect: bool, gap: float) -> None:
        if reconnect:
            await self.applications.resubscribe()
        await self._filter_events()
        channels = await self.channels.list()
        bridges = await self.bridges.list()
        application = await self.applications.get(self.app)
        live = {channel.id for channel in channels}
        gone = frozenset(self._in_stasis - live)
        self._in_stasis &= live
        if gone:
            log.warning("ari_resync_missed_hangups", count=len(gone), gap=round(gap, 3))
        if self._resync is None:
            return
        try:
            await self._resync(
                Resync(
                    channels=channels,
                    bridges=bridges,
                    application=application,
                    reconnect=reconnect,
                    gap=gap,
                    gone_channel_ids=gone,
                )
            )
        except Exception:
            # A bug in the shell's callback must not cost us the connection.
            log.exception("ari_resync_callback_failed")
