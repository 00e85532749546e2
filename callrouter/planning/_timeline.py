"""The simulated day's clock and its kinds of events, shared by the day and its campaigns.

Time is whole microseconds since the start of the run (``START``); events at one instant
are handled in the order of their kinds below: calls ending, operators' phones answered,
callers hanging up, outbound customers lost, roster changes, arrivals, lines ending
ringing, AMD verdicts, the routing core's deadlines, the dialer's pacing (last, so it
sees everything that happened at its instant).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import NamedTuple, Protocol

from callrouter.acd import AcdEvent
from callrouter.dialer import Load
from callrouter.planning._tally import DayTally

__all__ = ["START", "US", "Floor", "QueueFloor", "at", "seconds"]

START = datetime(2024, 1, 8, tzinfo=UTC)  # a Monday; the date itself never matters
US = 1_000_000
HANGUP, ANSWER, ABANDON, LOST, STAFF, ARRIVAL, LINE, HUMAN, TICK, PACE = range(10)


def at(us: int) -> datetime:
    return START + timedelta(microseconds=us)


def seconds(s: float) -> int:
    """Seconds -> whole microseconds."""
    return round(s * US)


class QueueFloor(NamedTuple):
    """What the dialer shell reads of one queue's operators (``DialedLegs.snapshot``)."""

    available: int
    """Operators of the queue available to be offered a call."""
    inbound_waiting: int
    """Inbound callers waiting in the queue's line (not ringing an operator)."""
    busy: frozenset[str] | set[str]
    """Operators of the queue on a call or in wrap-up."""
    busy_since_us: dict[str, int]


class Floor(Protocol):
    """The simulated day, as a campaign dialling into it sees it."""

    now_us: int
    tally: DayTally

    def push(self, at_us: int, kind: int, a: str = "", b: str = "") -> None: ...

    def feed(self, event: AcdEvent) -> None: ...

    def dial_interval(self, us: int) -> int | None:
        """The interval whose outbound load applies at ``us`` (-1: the warm-up), None
        after the last one."""
        ...

    def queue_floor(self, queue: str) -> QueueFloor: ...

    def trunk_load(self) -> Load: ...

    def line_started(self) -> None:
        """A line was dialled now (the trunk's calls per second)."""
        ...

    def queue_customer(
        self, call_id: str, queue: str, talk_s: float, interval: int, campaign: int
    ) -> None:
        """An answered customer into ``queue`` at the outbound priority."""
        ...
