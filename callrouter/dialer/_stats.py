"""Rolling measurements for pacing: answer rate, abandon rate, handle time, starts.

Fed with timestamped events by the shell (or the simulation) in time order; read with
``summary(now)``. No clock of its own: ``now`` is always passed in, and events older than
the window are forgotten when a later event or summary arrives.

What counts as what:

* answer rate = answered by a person / resolved, where resolved also counts busy, no
  answer, failed, congestion and answering machines. Machines count as *not* answered:
  they never need an operator, and the answer rate exists to predict operator demand.
* abandon rate = abandoned / answered by a person (the FTC and Ofcom definition).
* handle time = an operator's time on one call, talk plus wrap-up.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta

from ..errors import InvalidInput
from ._pacing import PacingStats
from ._tz import require_aware

__all__ = [
    "Abandoned",
    "Answered",
    "Handled",
    "Originated",
    "PacingEvent",
    "RollingStats",
    "Unanswered",
]

DEFAULT_WINDOW = timedelta(minutes=30)
_SECOND = timedelta(seconds=1)


@dataclass(frozen=True, slots=True)
class Originated:
    at: datetime


@dataclass(frozen=True, slots=True)
class Answered:
    """A person answered (after ``ring_time``); an operator is now needed."""

    at: datetime
    ring_time: timedelta


@dataclass(frozen=True, slots=True)
class Unanswered:
    """Busy, no answer, failed, congestion or an answering machine."""

    at: datetime


@dataclass(frozen=True, slots=True)
class Abandoned:
    at: datetime


@dataclass(frozen=True, slots=True)
class Handled:
    """An operator finished a call of this campaign, wrap-up included."""

    at: datetime
    duration: timedelta


PacingEvent = Originated | Answered | Unanswered | Abandoned | Handled


class RollingStats:
    """Counts and sums over a sliding time window, plus lifetime totals."""

    def __init__(self, *, window: timedelta = DEFAULT_WINDOW) -> None:
        if window <= timedelta(0):
            raise InvalidInput(f"window must be positive, got {window}")
        self.window = window
        self._latest: datetime | None = None
        self._starts: deque[datetime] = deque()
        self._answers: deque[tuple[datetime, timedelta]] = deque()
        self._unanswered: deque[datetime] = deque()
        self._abandons: deque[datetime] = deque()
        self._handled: deque[tuple[datetime, timedelta]] = deque()
        self._ring_sum = timedelta(0)
        self._handle_sum = timedelta(0)
        self.lifetime_answered = 0
        self.lifetime_abandoned = 0

    def record(self, event: PacingEvent) -> None:
        require_aware(event.at, "event.at")
        if self._latest is not None and event.at < self._latest:
            raise InvalidInput(
                f"events must come in time order: {event.at.isoformat()} after "
                f"{self._latest.isoformat()}"
            )
        self._latest = event.at
        match event:
            case Originated(at=at):
                self._starts.append(at)
            case Answered(at=at, ring_time=ring):
                self._answers.append((at, ring))
                self._ring_sum += ring
                self.lifetime_answered += 1
            case Unanswered(at=at):
                self._unanswered.append(at)
            case Abandoned(at=at):
                self._abandons.append(at)
                self.lifetime_abandoned += 1
            case Handled(at=at, duration=duration):
                self._handled.append((at, duration))
                self._handle_sum += duration
        self._forget(event.at)

    def _forget(self, now: datetime) -> None:
        horizon = now - self.window
        # One second of starts is all the calls-per-second limit needs.
        while self._starts and self._starts[0] <= now - _SECOND:
            self._starts.popleft()
        while self._answers and self._answers[0][0] <= horizon:
            self._ring_sum -= self._answers.popleft()[1]
        while self._handled and self._handled[0][0] <= horizon:
            self._handle_sum -= self._handled.popleft()[1]
        for plain in (self._unanswered, self._abandons):
            while plain and plain[0] <= horizon:
                plain.popleft()

    def started_last_second(self, now: datetime) -> int:
        """Originations in ``(now - 1 s, now]``, for the calls-per-second limit."""
        return sum(1 for at in self._starts if now - _SECOND < at <= now)

    def summary(self, now: datetime) -> PacingStats:
        require_aware(now)
        # Pruning at a later ``now`` does not move the ordering check: a tick may run
        # ahead of an event the shell has yet to report.
        self._forget(now if self._latest is None else max(now, self._latest))
        answered = len(self._answers)
        handled = len(self._handled)
        return PacingStats(
            resolved=answered + len(self._unanswered),
            answered=answered,
            abandoned=len(self._abandons),
            handled=handled,
            lifetime_answered=self.lifetime_answered,
            lifetime_abandoned=self.lifetime_abandoned,
            aht=self._handle_sum / handled if handled else None,
            time_to_answer=self._ring_sum / answered if answered else None,
        )
