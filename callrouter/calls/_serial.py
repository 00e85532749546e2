"""Run work for one key (a call) strictly in order, different keys concurrently.

Why: commands for one call must reach Asterisk in the order the core issued them (hold
before ring, bridge before record), but one slow call must not hold up the others. One
queue and one task per live key; the task retires when its queue is empty, so idle calls
cost nothing. Never one task per piece of work: those could overtake each other.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Hashable

import structlog

__all__ = ["SerialExecutor"]

log = structlog.get_logger(__name__)

Work = Callable[[], Awaitable[None]]


class SerialExecutor:
    def __init__(self, *, name: str = "serial") -> None:
        self._name = name
        self._queues: dict[Hashable, asyncio.Queue[Work]] = {}
        self._tasks: dict[Hashable, asyncio.Task[None]] = {}
        self._idle = asyncio.Event()
        self._idle.set()

    def submit(self, key: Hashable, work: Work) -> None:
        queue = self._queues.get(key)
        if queue is None:
            queue = self._queues[key] = asyncio.Queue()
            self._tasks[key] = asyncio.create_task(
                self._drain(key, queue), name=f"{self._name}:{key}"
            )
            self._idle.clear()
        queue.put_nowait(work)

    async def _drain(self, key: Hashable, queue: asyncio.Queue[Work]) -> None:
        try:
            while not queue.empty():
                work = queue.get_nowait()
                try:
                    await work()
                except asyncio.CancelledError:
                    raise
                except Exception:
                    # One failed step must not stop the call's later steps (a hangup
                    # after a failed playback still has to happen).
                    log.exception("serial_work_failed", executor=self._name, key=str(key))
        finally:
            self._queues.pop(key, None)
            self._tasks.pop(key, None)
            if not self._tasks:
                self._idle.set()

    @property
    def active(self) -> int:
        return len(self._tasks)

    async def wait_idle(self) -> None:
        await self._idle.wait()

    async def close(self) -> None:
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
