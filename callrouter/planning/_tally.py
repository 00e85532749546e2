"""What one simulated day counted: callers per interval and queue, lines per interval and
campaign, and the operators' time."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["CallTally", "DayTally", "OutboundTally"]


@dataclass(slots=True)
class CallTally:
    """One queue's callers in one interval of one run."""

    offered: int = 0
    answered: int = 0
    answered_within: int = 0
    wait_answered_s: float = 0.0
    abandoned: int = 0
    other: int = 0
    """Overflowed, left, callback, unfinished: not answered, not abandoned."""


@dataclass(slots=True)
class OutboundTally:
    """One campaign's lines dialled in one interval of one run (and its operators' time
    in that interval)."""

    attempts: int = 0
    answered: int = 0
    """By a person (machines, busy and no answer are not)."""
    connected: int = 0
    abandoned: int = 0
    """Answered and not connected within the abandon threshold."""
    busy_s: float = 0.0
    """Operators' time on this campaign's customers (ringing, talk, wrap-up)."""


@dataclass(slots=True)
class DayTally:
    calls: dict[tuple[int, str], CallTally] = field(default_factory=dict)
    """(interval index, queue) -> tally."""
    busy_s: list[float] = field(default_factory=list)
    staffed_s: list[float] = field(default_factory=list)
    simulated_calls: int = 0
    outbound: dict[tuple[int, str], OutboundTally] = field(default_factory=dict)
    """(interval index, campaign) -> tally."""

    def call(self, index: int, queue: str) -> CallTally:
        tally = self.calls.get((index, queue))
        if tally is None:
            tally = self.calls[index, queue] = CallTally()
        return tally

    def lines(self, index: int, campaign: str) -> OutboundTally:
        tally = self.outbound.get((index, campaign))
        if tally is None:
            tally = self.outbound[index, campaign] = OutboundTally()
        return tally

    def outbound_busy_s(self, index: int) -> float:
        return sum(t.busy_s for (i, _), t in self.outbound.items() if i == index)
