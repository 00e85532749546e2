"""Per-object ordered dispatch of events to handlers.

Rules:

* Each event gets one *serial key*: the channel it names (``channel:<id>``; a Dial's
  ``peer``), else its playback's or recording's target (``channel:<id>`` or
  ``bridge:<id>``), else its bridge, endpoint or device, else ``application``.
* One queue and one worker task per live key. A key's events reach the handlers
  strictly in arrival order; different keys run concurrently, so one slow call never
  holds up another. Never one task per event: those could overtake each other, and a
  channel's StasisEnd handler could run before its StasisStart handler finished.
* An event no handler wants starts no worker, but still passes through a live one, so
  an unhandled StasisEnd still retires its channel's worker.
* A worker retires after its object's final event (StasisEnd or ChannelDestroyed for
  a channel, BridgeDestroyed for a bridge) once its queue is empty, or after
  ``idle_timeout`` seconds without events (a hangup missed while disconnected).
* A handler that raises is logged with the event and the worker carries on.
* Handlers are registered before the events WebSocket opens (``freeze``), so no event
  can arrive before the handler that should see it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar, overload

import structlog

from callrouter.ari._events import EVENT_TYPES, AnyEvent, Event, UnknownEvent

__all__ = [
    "ANY_EVENT",
    "DEFAULT_IDLE_TIMEOUT",
    "FINAL_EVENT_TYPES",
    "Dispatcher",
    "Handler",
    "serial_key",
]

log = structlog.get_logger(__name__)

E = TypeVar("E", bound=Event)
Handler = Callable[[E], Awaitable[None]]
_AnyHandler = Callable[[Any], Awaitable[None]]

ANY_EVENT = "*"
DEFAULT_IDLE_TIMEOUT = 60.0
_FINAL = {"channel": ("StasisEnd", "ChannelDestroyed"), "bridge": ("BridgeDestroyed",)}
FINAL_EVENT_TYPES = frozenset(name for names in _FINAL.values() for name in names)


def _field(obj: object, name: str) -> Any:
    return obj.get(name) if isinstance(obj, Mapping) else getattr(obj, name, None)


def serial_key(event: AnyEvent) -> str:
    """Which worker handles ``event``: see the module docstring. Works on unknown
    events' raw dicts too, so a new channel event type still keeps its channel's order."""
    src: object = event.raw if isinstance(event, UnknownEvent) else event
    for name in ("channel", "peer"):
        channel_id = _field(_field(src, name), "id")
        if isinstance(channel_id, str):
            return f"channel:{channel_id}"
    for name in ("playback", "recording"):
        target = _field(_field(src, name), "target_uri")
        if isinstance(target, str) and ":" in target:
            return target
    bridge_id = _field(_field(src, "bridge"), "id")
    if isinstance(bridge_id, str):
        return f"bridge:{bridge_id}"
    endpoint = _field(src, "endpoint")
    if endpoint is not None:
        return f"endpoint:{_field(endpoint, 'technology')}/{_field(endpoint, 'resource')}"
    device = _field(_field(src, "device_state"), "name")
    if isinstance(device, str):
        return f"deviceState:{device}"
    return "application"


def _is_final(key: str, event: AnyEvent) -> bool:
    return event.type in _FINAL.get(key.partition(":")[0], ())


class Dispatcher:
    def __init__(self, *, idle_timeout: float = DEFAULT_IDLE_TIMEOUT) -> None:
        if idle_timeout <= 0:
            raise ValueError("idle_timeout must be positive")
        self._idle_timeout = idle_timeout
        self._handlers: dict[str, list[_AnyHandler]] = {}
        self._queues: dict[str, asyncio.Queue[AnyEvent]] = {}
        self._tasks: asyncio.TaskGroup | None = None
        self._frozen = False

    # -- registration ------------------------------------------------------------------
    @overload
    def on(self, event_type: type[E], handler: Handler[E]) -> None: ...

    @overload
    def on(self, event_type: str, handler: Callable[[AnyEvent], Awaitable[None]]) -> None: ...

    def on(self, event_type: type[Event] | str, handler: _AnyHandler) -> None:
        """Call ``handler`` for each event of this type (a class from
        ``callrouter.ari``, or a type name; ``"*"`` for every event)."""
        if self._frozen:
            raise RuntimeError("register handlers before the events WebSocket opens")
        name = event_type if isinstance(event_type, str) else event_type.__name__
        if not isinstance(event_type, str) and EVENT_TYPES.get(name) is not event_type:
            raise ValueError(f"{event_type!r} is not an ARI event model")
        self._handlers.setdefault(name, []).append(handler)

    def freeze(self) -> None:
        self._frozen = True

    @property
    def event_types(self) -> frozenset[str]:
        return frozenset(self._handlers)

    # -- running -----------------------------------------------------------------------
    def attach(self, tasks: asyncio.TaskGroup | None) -> None:
        """Where workers are started (the client's TaskGroup); None once it is gone."""
        self._tasks = tasks
        if tasks is None:
            self._queues.clear()

    @property
    def workers(self) -> int:
        return len(self._queues)

    def submit(self, event: AnyEvent) -> None:
        if self._tasks is None:
            raise RuntimeError("the dispatcher is not running")
        key = serial_key(event)
        queue = self._queues.get(key)
        if queue is None:
            if event.type not in self._handlers and ANY_EVENT not in self._handlers:
                return
            queue = self._queues[key] = asyncio.Queue()
            self._tasks.create_task(self._work(key, queue), name=f"ari:{key}")
        queue.put_nowait(event)

    async def _work(self, key: str, queue: asyncio.Queue[AnyEvent]) -> None:
        try:
            while True:
                try:
                    async with asyncio.timeout(self._idle_timeout):
                        event = await queue.get()
                except TimeoutError:
                    if queue.empty():
                        return
                    continue
                await self._deliver(key, event)
                if _is_final(key, event) and queue.empty():
                    return
        finally:
            # No await between the last empty check and here, so nothing can be queued
            # to a worker that is gone: the next event starts a fresh one.
            if self._queues.get(key) is queue:
                del self._queues[key]

    async def _deliver(self, key: str, event: AnyEvent) -> None:
        # No context binding per event: it cost more than the handler itself on the
        # hot path; handlers bind their call id, and a failure names the key below.
        handlers = self._handlers.get(event.type, []) + self._handlers.get(ANY_EVENT, [])
        for handler in handlers:
            try:
                await handler(event)
            except Exception:
                log.exception(
                    "ari_handler_failed", type=event.type, key=key,
                    handler=getattr(handler, "__qualname__", repr(handler)),
                    ari_event=_summary(event),
                )


def _summary(event: AnyEvent) -> dict[str, Any]:
    if isinstance(event, UnknownEvent):
        return event.raw
    return event.model_dump(mode="json", include={"type", "timestamp"}) | {
        "key": serial_key(event)
    }

