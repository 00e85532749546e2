"""Where results of carried-out commands come back in: posted, never fed directly.

An executor that learns something the core must hear (the operator's phone could not
be reached, a claim was refused) posts a domain event here and returns. One consumer
hands the events to the core in the order they were posted, outside any call's lane,
so a command's result can never re-enter the core in the middle of carrying out
another command, and the flow stays one way: core -> commands -> executors -> inbox ->
core.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable

import structlog

from callrouter.acd import AcdEvent

__all__ = ["Inbox"]

log = structlog.get_logger(__name__)


class Inbox:
    def __init__(self) -> None:
        self._pending: deque[AcdEvent] = deque()
        self._wakeup = asyncio.Event()

    def post(self, event: AcdEvent) -> None:
        self._pending.append(event)
        self._wakeup.set()

    async def run(self, consume: Callable[[AcdEvent], object]) -> None:
        """Hand every posted event to ``consume``, in order, until cancelled."""
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            while self._pending:
                event = self._pending.popleft()
                try:
                    consume(event)
                except Exception:
                    # One bad event must not stop the results of every later command.
                    log.exception("inbox_event_failed", acd_event=type(event).__name__)

    def __len__(self) -> int:
        return len(self._pending)
