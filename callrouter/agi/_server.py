"""The FastAGI listener: one task per connection, each bounded in size and time.

Why not panoramisk: its FastAGI handler loops on ``reader.read()`` until it sees a blank
line, so a client that sends part of a request block and closes (a TCP health check is
enough) makes it spin at 100% CPU with the event loop frozen, and its synchronous routes
call ``asyncio.coroutine``, gone in Python 3.11. Here every connection reads its request
block under a deadline and a byte budget, and every failure ends that connection alone.
At most ``max_connections`` are served at once: one more is logged and closed before
anything is read, so a flood cannot exhaust file descriptors or memory. The dialplan
then continues with no ``CR_*`` answer, as when callrouter cannot be reached.

What Asterisk sees when things go wrong: the session ends without hanging up the call,
and ``CR_AGI_STATUS`` says why (SUCCESS, NOT_FOUND, FAILED), as Asterisk-Java's
``AJ_AGISTATUS`` does. The dialplan decides what a caller hears; a typo in an AGI URL
must not drop customers' calls.
"""

from __future__ import annotations

import asyncio
import ipaddress
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from types import TracebackType
from typing import Final, Self

import structlog

from callrouter.agi._protocol import AgiRequest, parse_environment
from callrouter.agi._session import DEFAULT_COMMAND_TIMEOUT_S, AgiSession
from callrouter.agi.errors import (
    AgiClientRefused,
    AgiError,
    AgiHangup,
    AgiHeaderMalformed,
    AgiHeaderTimeout,
    AgiHeaderTooLarge,
    AgiRequestError,
    AgiUnknownScript,
)
from callrouter.errors import CallrouterError

__all__ = [
    "DEFAULT_ALLOWLIST",
    "DEFAULT_HANDLER_TIMEOUT_S",
    "DEFAULT_HEADER_TIMEOUT_S",
    "DEFAULT_HOST",
    "DEFAULT_MAX_CONNECTIONS",
    "DEFAULT_MAX_HEADER_BYTES",
    "DEFAULT_PORT",
    "STATUS_VARIABLE",
    "AgiHandler",
    "FastAgiServer",
]

AgiHandler = Callable[[AgiSession], Awaitable[None]]
IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
AllowEntry = str | ipaddress.IPv4Address | ipaddress.IPv6Address | IpNetwork

DEFAULT_HOST: Final = "127.0.0.1"
DEFAULT_PORT: Final = 4573
DEFAULT_ALLOWLIST: Final[tuple[str, ...]] = ("127.0.0.0/8", "::1/128")
# A real request block is about 700 bytes and arrives in one segment.
DEFAULT_HEADER_TIMEOUT_S: Final = 5.0
DEFAULT_MAX_HEADER_BYTES: Final = 16 * 1024
# The caller hears silence while a handler runs; past this, give the dialplan back.
DEFAULT_HANDLER_TIMEOUT_S: Final = 30.0
# Each session holds a socket and a task; 256 is far above one Asterisk's AGI rate.
DEFAULT_MAX_CONNECTIONS: Final = 256
STATUS_VARIABLE: Final = "CR_AGI_STATUS"
_STREAM_LIMIT: Final = 256 * 1024
# Asterisk opens one connection per AGI() call; a burst of calls must not overflow it.
_BACKLOG: Final = 1024
_STATUS_TIMEOUT_S: Final = 2.0
_CLOSE_TIMEOUT_S: Final = 1.0

log = structlog.get_logger("callrouter.agi")


def _network(entry: AllowEntry) -> IpNetwork:
    try:
        return ipaddress.ip_network(entry, strict=False)
    except ValueError as exc:
        raise ValueError(f"bad allowlist entry {entry!r}: {exc}") from exc


class FastAgiServer:
    """Answers ``AGI(agi://host:port/<script>?<query>)`` from Asterisk's dialplan."""

    def __init__(
        self,
        *,
        routes: Mapping[str, AgiHandler],
        host: str = DEFAULT_HOST,
        port: int = DEFAULT_PORT,
        allowlist: Iterable[AllowEntry] = DEFAULT_ALLOWLIST,
        header_timeout_s: float = DEFAULT_HEADER_TIMEOUT_S,
        max_header_bytes: int = DEFAULT_MAX_HEADER_BYTES,
        command_timeout_s: float = DEFAULT_COMMAND_TIMEOUT_S,
        handler_timeout_s: float = DEFAULT_HANDLER_TIMEOUT_S,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
    ) -> None:
        self._routes = {name.strip("/"): handler for name, handler in routes.items()}
        for name, handler in self._routes.items():
            if not name or not callable(handler):
                raise ValueError(f"bad route {name!r}: needs a name and an async handler")
        self._allowlist = tuple(_network(entry) for entry in allowlist)
        if not self._allowlist:
            raise ValueError("allowlist is empty: no Asterisk could connect")
        for label, value in (
            ("header_timeout_s", header_timeout_s),
            ("command_timeout_s", command_timeout_s),
            ("handler_timeout_s", handler_timeout_s),
            ("max_header_bytes", max_header_bytes),
            ("max_connections", max_connections),
        ):
            if value <= 0:
                raise ValueError(f"{label} must be positive, not {value}")
        if not 0 <= port <= 65535:
            raise ValueError(f"port out of range: {port}")
        self._host = host
        self._port = port
        self._header_timeout_s = header_timeout_s
        self._max_header_bytes = max_header_bytes
        self._command_timeout_s = command_timeout_s
        self._handler_timeout_s = handler_timeout_s
        self._max_connections = max_connections
        self._refused = 0
        self._server: asyncio.Server | None = None
        self._sessions: set[asyncio.Task[None]] = set()

    @property
    def routes(self) -> frozenset[str]:
        return frozenset(self._routes)

    @property
    def port(self) -> int:
        """The bound port (useful with ``port=0``)."""
        if self._server is None or not self._server.sockets:
            raise RuntimeError("server not started")
        return int(self._server.sockets[0].getsockname()[1])

    @property
    def active_sessions(self) -> int:
        return len(self._sessions)

    @property
    def refused_connections(self) -> int:
        """Connections closed unread because ``max_connections`` were being served."""
        return self._refused

    async def start(self) -> None:
        if self._server is not None:
            raise RuntimeError("server already started")
        self._server = await asyncio.start_server(
            self._on_connect, self._host, self._port, limit=_STREAM_LIMIT, backlog=_BACKLOG
        )
        log.info("agi.listening", host=self._host, port=self.port, routes=sorted(self._routes))

    async def close(self, *, grace_s: float = 0.0) -> None:
        """Stop listening; give sessions ``grace_s`` to finish, then cancel the rest."""
        server, self._server = self._server, None
        if server is None:
            return
        server.close()
        if grace_s > 0 and self._sessions:
            await asyncio.wait(set(self._sessions), timeout=grace_s)
        pending = set(self._sessions)
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.wait(pending)
        await server.wait_closed()
        log.info("agi.closed", cancelled_sessions=len(pending))

    async def serve_forever(self) -> None:
        """Start and serve until cancelled; closes, then re-raises the cancellation."""
        await self.start()
        try:
            await asyncio.Event().wait()
        finally:
            await self.close()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    # -- one connection -------------------------------------------------------------

    async def _on_connect(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None  # start_server runs us in a task
        peer = writer.get_extra_info("peername")
        peer_text = f"{peer[0]}:{peer[1]}" if isinstance(peer, tuple) else str(peer)
        if len(self._sessions) >= self._max_connections:
            self._refused += 1
            log.warning(
                "agi.too_many_connections", error_id="agi-too-many-connections",
                peer=peer_text, limit=self._max_connections, refused=self._refused,
            )  # fmt: skip
            await _close_quietly(writer)
            return
        self._sessions.add(task)
        try:
            with structlog.contextvars.bound_contextvars(peer=peer_text):
                await self._serve_connection(reader, writer, peer)
        except Exception:
            # A bug of ours: log it once here rather than let asyncio print a traceback.
            log.exception("agi.internal_error", error_id="internal", peer=peer_text)
        finally:
            self._sessions.discard(task)
            await _close_quietly(writer)

    async def _serve_connection(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, peer: object
    ) -> None:
        try:
            if not self._allowed(peer):
                raise AgiClientRefused("client address is not in the allowlist")
            request = await self._read_request(reader)
        except AgiRequestError as exc:
            log.warning("agi.request_refused", error_id=exc.error_id, reason=exc.message)
            return
        if request is None:  # connected and left: a TCP health check, not an error
            log.debug("agi.probe")
            return
        session = AgiSession(
            request=request,
            reader=reader,
            writer=writer,
            command_timeout_s=self._command_timeout_s,
        )
        with structlog.contextvars.bound_contextvars(
            agi_uniqueid=request.uniqueid, script=request.script
        ):
            await self._run(session)

    def _allowed(self, peer: object) -> bool:
        if not isinstance(peer, tuple) or not peer:
            return False
        try:
            address = ipaddress.ip_address(str(peer[0]).split("%", 1)[0])
        except ValueError:
            return False
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        return any(address in network for network in self._allowlist)

    async def _read_request(self, reader: asyncio.StreamReader) -> AgiRequest | None:
        lines: list[str] = []
        size = 0
        try:
            async with asyncio.timeout(self._header_timeout_s):
                while True:
                    try:
                        raw = await reader.readline()
                    except ValueError as exc:  # one line longer than the stream limit
                        raise AgiHeaderTooLarge("request line too long") from exc
                    if not raw and not size:
                        return None
                    size += len(raw)
                    if size > self._max_header_bytes:
                        raise AgiHeaderTooLarge(f"request block over {self._max_header_bytes} B")
                    if not raw.endswith(b"\n"):
                        raise AgiHeaderMalformed("connection closed inside the request block")
                    line = raw.decode("utf-8", errors="replace").rstrip("\r\n")
                    if not line:
                        return parse_environment(lines)
                    lines.append(line)
        except TimeoutError as exc:
            raise AgiHeaderTimeout(
                f"request block incomplete after {self._header_timeout_s} s"
            ) from exc

    async def _run(self, session: AgiSession) -> None:
        script = session.request.script
        handler = self._routes.get(script)
        if handler is None:
            exc = AgiUnknownScript(f"no FastAGI script {script!r}")
            log.warning("agi.unknown_script", error_id=exc.error_id, reason=exc.message)
            await self._report(session, "NOT_FOUND", f"callrouter: {exc.message}")
            return
        started = time.perf_counter()
        try:
            async with asyncio.timeout(self._handler_timeout_s):
                await handler(session)
        except AgiHangup as exc:
            log.info("agi.caller_hung_up", error_id=exc.error_id, reason=exc.message)
            return
        except (AgiError, CallrouterError) as exc:
            log.warning("agi.script_failed", error_id=exc.error_id, reason=exc.message)
        except TimeoutError:
            log.warning(
                "agi.script_failed",
                error_id="agi-handler-timeout",
                timeout_s=self._handler_timeout_s,
            )
        except Exception:
            log.exception("agi.script_failed", error_id="internal")
        else:
            await self._report(session, "SUCCESS")
            elapsed_ms = round((time.perf_counter() - started) * 1000, 2)
            log.info("agi.script_done", elapsed_ms=elapsed_ms)
            return
        await self._report(session, "FAILED")

    @staticmethod
    async def _report(session: AgiSession, status: str, message: str | None = None) -> None:
        """Tell the dialplan how the script went, if the channel can still hear it."""
        if not session.usable:
            return
        try:
            async with asyncio.timeout(_STATUS_TIMEOUT_S):
                if message is not None:
                    await session.verbose(message, 1)
                await session.set_variable(STATUS_VARIABLE, status)
        except (AgiError, TimeoutError) as exc:
            log.debug("agi.status_not_set", status=status, reason=str(exc))


async def _close_quietly(writer: asyncio.StreamWriter) -> None:
    """Close without waiting on a peer that stopped reading (it could stall shutdown)."""
    writer.close()
    try:
        async with asyncio.timeout(_CLOSE_TIMEOUT_S):
            await writer.wait_closed()
    except (TimeoutError, ConnectionError, OSError):
        writer.transport.abort()
