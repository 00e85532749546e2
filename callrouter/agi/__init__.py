"""FastAGI server: answers the dialplan's ``AGI(agi://host:4573/<script>)`` questions.

- :class:`FastAgiServer` listens (asyncio streams), enforces the allowlist and the
  request block's size and time limits, and runs one route handler per session.
- :class:`AgiSession` is what a handler gets: the parsed request and typed commands.
- :mod:`callrouter.agi.routes` holds the ``lookup``, ``route`` and ``operator`` scripts,
  bound to the ports of :mod:`callrouter.agi.ports` by :func:`build_routes`.
- Errors live in :mod:`callrouter.agi.errors`.
"""

from callrouter.agi._protocol import AgiReply, AgiRequest
from callrouter.agi._server import (
    DEFAULT_ALLOWLIST,
    DEFAULT_HANDLER_TIMEOUT_S,
    DEFAULT_HEADER_TIMEOUT_S,
    DEFAULT_HOST,
    DEFAULT_MAX_CONNECTIONS,
    DEFAULT_MAX_HEADER_BYTES,
    DEFAULT_PORT,
    STATUS_VARIABLE,
    AgiHandler,
    FastAgiServer,
)
from callrouter.agi._session import DEFAULT_COMMAND_TIMEOUT_S, AgiSession, StreamResult
from callrouter.agi.errors import AgiError, AgiHangup
from callrouter.agi.planner import DidRoutePlanner
from callrouter.agi.ports import (
    Clock,
    CustomerCard,
    CustomerDirectory,
    OperatorControl,
    OperatorRef,
    RouteDecision,
    RoutePlanner,
)
from callrouter.agi.routes import build_routes

__all__ = [
    "DEFAULT_ALLOWLIST",
    "DEFAULT_COMMAND_TIMEOUT_S",
    "DEFAULT_HANDLER_TIMEOUT_S",
    "DEFAULT_HEADER_TIMEOUT_S",
    "DEFAULT_HOST",
    "DEFAULT_MAX_CONNECTIONS",
    "DEFAULT_MAX_HEADER_BYTES",
    "DEFAULT_PORT",
    "STATUS_VARIABLE",
    "AgiError",
    "AgiHandler",
    "AgiHangup",
    "AgiReply",
    "AgiRequest",
    "AgiSession",
    "Clock",
    "CustomerCard",
    "CustomerDirectory",
    "DidRoutePlanner",
    "FastAgiServer",
    "OperatorControl",
    "OperatorRef",
    "RouteDecision",
    "RoutePlanner",
    "StreamResult",
    "build_routes",
]
