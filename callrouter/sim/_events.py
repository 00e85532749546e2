"""The one event emitter: builds Asterisk's event JSON and routes it to applications.

Every event the simulator sends goes through ``EventHub.emit``. Routing follows what
Asterisk 22 does: an event reaches an application through the objects it names
(a channel in its Stasis app or watched by it, a watched bridge or endpoint) or through
``subscribeAll``. Events for an application with no WebSocket are dropped, as Asterisk
does not buffer them.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from callrouter.sim._base import ASTERISK_ID, JsonObj, SimClock
from callrouter.sim._state import Application

# Events kept for /sim/state and tests; bounded so a long simulation stays small.
HISTORY_LIMIT = 5000
# Fields Asterisk puts before "type" (it builds these events' JSON in another order);
# key order means nothing to JSON readers, but the simulator sends what Asterisk sends.
_LEADING_FIELDS: dict[str, tuple[str, ...]] = {
    "ChannelVarset": ("variable", "value"),
    "ChannelHangupRequest": ("cause", "tech_cause", "soft"),
}


@dataclass(eq=False)
class EventConnection:
    """One events WebSocket: the apps it serves and its outgoing queue."""

    ws: web.WebSocketResponse
    apps: list[str]
    subscribe_all: bool
    queue: asyncio.Queue[JsonObj] = field(default_factory=asyncio.Queue)
    # Kept to drop the TCP connection without a close frame (POST /sim/websockets/drop).
    transport: asyncio.Transport | None = None


class EventHub:
    def __init__(self, *, clock: SimClock) -> None:
        self._clock = clock
        self.applications: dict[str, Application] = {}
        # The newest WebSocket per app wins, as when Asterisk replaces a Stasis app.
        self._connections: dict[str, EventConnection] = {}
        self.history: deque[JsonObj] = deque(maxlen=HISTORY_LIMIT)

    # -- connections -------------------------------------------------------------
    def connect(self, conn: EventConnection) -> None:
        for name in conn.apps:
            self.applications.setdefault(name, Application(name=name))
            self._connections[name] = conn

    def disconnect(self, conn: EventConnection) -> None:
        for name in conn.apps:
            if self._connections.get(name) is conn:
                del self._connections[name]

    def connections(self) -> list[EventConnection]:
        unique: dict[int, EventConnection] = {}
        for conn in self._connections.values():
            unique[id(conn)] = conn
        return list(unique.values())

    def is_registered(self, app: str) -> bool:
        return app in self._connections

    def subscribed_all(self) -> set[str]:
        return {name for name, conn in self._connections.items() if conn.subscribe_all}

    # -- emission ----------------------------------------------------------------
    def emit(self, event_type: str, apps: Iterable[str], **fields: Any) -> None:
        """Send one event to each app in ``apps`` (plus subscribeAll apps)."""
        timestamp = self._clock.timestamp()
        targets = set(apps) | self.subscribed_all()
        for app in sorted(targets):
            if not self._allowed(app, event_type):
                continue
            leading = _LEADING_FIELDS.get(event_type, ())
            event: JsonObj = {key: fields[key] for key in leading if key in fields}
            event.update(type=event_type, timestamp=timestamp)
            event.update((k, v) for k, v in fields.items() if k not in leading)
            event["asterisk_id"] = ASTERISK_ID
            event["application"] = app
            self.history.append(event)
            conn = self._connections.get(app)
            if conn is not None:
                conn.queue.put_nowait(event)

    def _allowed(self, app: str, event_type: str) -> bool:
        """PUT /applications/{app}/eventFilter: entries look like {"type": "Dial"}."""
        application = self.applications.get(app)
        if application is None:
            return True
        allowed = {entry.get("type") for entry in application.events_allowed}
        disallowed = {entry.get("type") for entry in application.events_disallowed}
        if allowed and event_type not in allowed:
            return False
        return event_type not in disallowed
