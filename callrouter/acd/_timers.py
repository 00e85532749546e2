"""Deadlines, one heap for all of them.

A timer is named by ``(kind, ident)``; setting it again replaces it and cancelling
forgets it. Stale heap entries are skipped when they surface (lazy deletion), so
setting, moving and cancelling cost O(log n) and ``next_due`` amortised O(1).
Times are integer microseconds since the epoch: exact, and cheap to compare.
"""

from __future__ import annotations

import heapq
from enum import StrEnum

__all__ = ["TimerKind", "Timers"]


class TimerKind(StrEnum):
    RING = "ring"  # ident: call_id
    MAX_WAIT = "max_wait"  # call_id
    ESCALATE = "escalate"  # call_id
    ANNOUNCE = "announce"  # call_id
    ANSWER_BY = "answer_by"  # call_id: an outbound customer's abandon deadline
    WRAPUP = "wrapup"  # operator_id
    REST = "rest"  # operator_id


TimerName = tuple[TimerKind, str]


class Timers:
    def __init__(self) -> None:
        self._heap: list[tuple[int, int, TimerKind, str]] = []
        self._live: dict[TimerName, tuple[int, int]] = {}
        self._seq = 0

    def set(self, kind: TimerKind, ident: str, due_us: int) -> None:
        self._seq += 1
        self._live[(kind, ident)] = (due_us, self._seq)
        heapq.heappush(self._heap, (due_us, self._seq, kind, ident))

    def cancel(self, kind: TimerKind, ident: str) -> None:
        self._live.pop((kind, ident), None)

    def due(self, kind: TimerKind, ident: str) -> int | None:
        entry = self._live.get((kind, ident))
        return entry[0] if entry is not None else None

    def next_due(self) -> int | None:
        heap = self._heap
        while heap:
            due_us, seq, kind, ident = heap[0]
            if self._live.get((kind, ident)) == (due_us, seq):
                return due_us
            heapq.heappop(heap)
        return None

    def pop_due(self, now_us: int) -> TimerName | None:
        """The earliest live timer due at or before ``now_us``, removed; else None."""
        due_us = self.next_due()
        if due_us is None or due_us > now_us:
            return None
        _, _, kind, ident = heapq.heappop(self._heap)
        del self._live[(kind, ident)]
        return (kind, ident)
