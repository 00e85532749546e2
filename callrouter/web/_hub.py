"""One publisher of the board for every open page: debounced, bounded, pushed.

Theory of operation: the service calls :meth:`BoardHub.changed` on every change of the
routing core (synchronously: it only takes note). The hub's task wakes, builds the
board once (the live part from the engine; today's figures from PostgreSQL when a call
ended, at most every ``figures_min_interval_s``, and every ``figures_every_s`` anyway for
other nodes' calls and the turn of the day), and hands the same document to every
subscriber. After a push it sleeps ``min_interval_s``: a burst of changes costs one
board, and a page is never more than that plus one build behind.

Each subscriber keeps only the latest board (a slow page skips boards, it never makes
the hub wait or hold memory for it). After a reload every subscriber gets the next board
even if it did not change: each page's stream checks again that its viewer may still
see it (a token removed ends the stream).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import Any

import structlog

from callrouter.web._board import Board, with_figures
from callrouter.web.ports import Change

__all__ = ["BoardHub", "Subscription"]

log = structlog.get_logger("callrouter.web")

MIN_INTERVAL_S = 0.2
"""At most five boards a second: fast enough to look instant, bounded under load."""
FIGURES_DELAY_S = 0.3
"""A finished call's row reaches PostgreSQL through the row writer's batch: read the
figures a moment after the call ended, not before its row is there."""
FIGURES_MIN_INTERVAL_S = 1.0
FIGURES_EVERY_S = 30.0


class Subscription:
    """The latest board for one page; :meth:`boards` yields until the hub closes."""

    def __init__(self, hub: BoardHub) -> None:
        self._hub = hub
        self._latest: Board | None = None
        self._ready = asyncio.Event()
        self.closed = False

    def offer(self, board: Board) -> None:
        self._latest = board
        self._ready.set()

    def close(self) -> None:
        self.closed = True
        self._ready.set()

    async def boards(self) -> AsyncGenerator[Board, None]:
        try:
            while True:
                await self._ready.wait()
                self._ready.clear()
                if self.closed:
                    return
                board, self._latest = self._latest, None
                if board is not None:
                    yield board
        finally:
            self._hub.unsubscribe(self)


class BoardHub:
    def __init__(
        self,
        *,
        live: Callable[[], Board],
        figures: Callable[[], Awaitable[dict[str, Any]]],
        min_interval_s: float = MIN_INTERVAL_S,
        figures_delay_s: float = FIGURES_DELAY_S,
        figures_min_interval_s: float = FIGURES_MIN_INTERVAL_S,
        figures_every_s: float = FIGURES_EVERY_S,
    ) -> None:
        if min_interval_s <= 0 or figures_min_interval_s <= 0 or figures_every_s <= 0:
            raise ValueError("the hub's intervals must be positive")
        self._live = live
        self._figures = figures
        self._min_interval_s = min_interval_s
        self._figures_delay_s = figures_delay_s
        self._figures_min_interval_s = figures_min_interval_s
        self._figures_every_s = figures_every_s
        self._subscribers: set[Subscription] = set()
        self._wake = asyncio.Event()
        self._figures_due: float | None = 0.0  # the first board reads them at once
        self._figures_read_at = float("-inf")
        self._last_figures: dict[str, Any] = {}
        self._last_text = ""
        self._offer_to_all = False
        self.current: Board | None = None
        self.boards_built = 0

    # -- what the service and the pages call ----------------------------------------

    def changed(self, change: Change) -> None:
        # Today's figures follow too: soon after a call ended (its row must be written
        # first), at the bounded pace otherwise (a dialled customer changes a campaign).
        delay = self._figures_delay_s if change is Change.FINAL else self._figures_min_interval_s
        if change is Change.SETTINGS:
            self._offer_to_all = True  # and the queues' tenants may have changed
            delay = 0.0
        due = time.monotonic() + delay
        self._figures_due = due if self._figures_due is None else min(self._figures_due, due)
        self._wake.set()

    def subscribe(self) -> Subscription:
        subscription = Subscription(self)
        self._subscribers.add(subscription)
        if self.current is not None:
            subscription.offer(self.current)
        self._wake.set()
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        self._subscribers.discard(subscription)

    @property
    def subscribers(self) -> int:
        return len(self._subscribers)

    def close(self) -> None:
        """End every page's stream (the server is shutting down)."""
        for subscription in list(self._subscribers):
            subscription.close()
        self._subscribers.clear()

    # -- the task ----------------------------------------------------------------------

    async def run(self) -> None:
        while True:
            # Nobody looks: nothing to build until someone does.
            timeout = self._sleep_s() if self._subscribers else None
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout):
                    await self._wake.wait()
            self._wake.clear()
            if not self._subscribers:
                continue
            await self._publish()
            await asyncio.sleep(self._min_interval_s)

    def _sleep_s(self) -> float:
        periodic = self._figures_read_at + self._figures_every_s
        due = periodic
        if self._figures_due is not None:
            earliest = self._figures_read_at + self._figures_min_interval_s
            due = min(due, max(self._figures_due, earliest))
        return max(0.0, due - time.monotonic())

    async def _publish(self) -> None:
        now = time.monotonic()
        periodic = now >= self._figures_read_at + self._figures_every_s
        requested = self._figures_due is not None and now >= self._figures_due
        if (periodic or requested) and now >= self._figures_read_at + self._figures_min_interval_s:
            self._figures_due = None
            self._figures_read_at = now
            try:
                self._last_figures = await self._figures()
            except Exception as exc:
                # The live part still goes out; the figures are retried at the next change.
                log.warning("wallboard.figures_failed", error=type(exc).__name__)
        board = with_figures(self._live(), self._last_figures)
        # The board's own time always changes; only a different content is news.
        text = json.dumps({k: v for k, v in board.items() if k != "at"}, sort_keys=True)
        self.boards_built += 1
        if text == self._last_text and self.current is not None and not self._offer_to_all:
            return
        self._offer_to_all = False
        self._last_text = text
        self.current = board
        for subscription in list(self._subscribers):
            subscription.offer(board)
