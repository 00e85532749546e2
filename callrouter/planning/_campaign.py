"""A campaign blended into the planned day: who dials, into which queue, and how hard.

A ``Campaign`` is the configured campaign as the live dialer runs it (its pacing
configuration is the dialer shell's own translation, ``pacing_config``) plus the
customers' behaviour the planner expects: how long a person takes to answer, how long
an unanswered line rings, how long answering-machine detection listens. What it has to
dial in each interval (answer rate, talk time, leads) is an ``OutboundLoad`` of the
profile's interval, keyed by the campaign's queue: one blended campaign per queue.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

from callrouter.dialer import (
    DEFAULT_ANSWER_AFTER,
    DEFAULT_GIVE_UP_AFTER,
    PacingConfig,
    PacingMode,
)
from callrouter.errors import InvalidInput
from callrouter.planning._model import OutboundLoad, Profile, Routing

__all__ = [
    "Campaign",
    "MissingOutbound",
    "OutboundDefaults",
    "blend",
    "check_campaigns",
    "parse_span",
]

DEFAULT_ABANDON_AFTER_S = 2.0
DEFAULT_ABANDON_WINDOW_S = 3600.0


def _span_ok(span: tuple[float, float]) -> bool:
    low, high = span
    return math.isfinite(low) and math.isfinite(high) and 0 <= low <= high


def parse_span(text: str, what: str) -> tuple[float, float]:
    """``"4-20"`` (or one number) -> ``(4.0, 20.0)`` seconds."""
    low, _, high = text.strip().partition("-")
    try:
        span = (float(low), float(high or low))
    except ValueError:
        raise InvalidInput(f"{what} {text!r} is not LOW-HIGH seconds") from None
    if not _span_ok(span):
        raise InvalidInput(f"{what} {text!r}: seconds from low to high, low >= 0")
    return span


@dataclass(frozen=True, slots=True)
class Campaign:
    name: str
    queue: str
    pacing: PacingConfig
    abandon_after_s: float = DEFAULT_ABANDON_AFTER_S
    """An answered customer not connected this long after answering is abandoned."""
    abandon_window_s: float = DEFAULT_ABANDON_WINDOW_S
    inbound_reserve: int = 0
    answer_after_s: tuple[float, float] = DEFAULT_ANSWER_AFTER
    """Seconds of ringing before a person answers, uniform."""
    give_up_after_s: tuple[float, float] = DEFAULT_GIVE_UP_AFTER
    """Seconds before a line nobody answers resolves, uniform."""
    amd_s: float = 0.0
    """Seconds answering-machine detection listens after a person answers."""

    def __post_init__(self) -> None:
        checks = (
            (bool(self.name) and bool(self.queue), "a campaign needs a name and a queue"),
            (
                self.pacing.mode is not PacingMode.PREVIEW,
                "preview campaigns are dialled by operators, not paced: not simulated",
            ),
            (self.abandon_after_s > 0, "abandon_after_s must be > 0"),
            (self.abandon_window_s > 0, "abandon_window_s must be > 0"),
            (self.inbound_reserve >= 0, "inbound_reserve must be >= 0"),
            (_span_ok(self.answer_after_s), "answer_after_s: low <= high, both >= 0"),
            (_span_ok(self.give_up_after_s), "give_up_after_s: low <= high, both >= 0"),
            (math.isfinite(self.amd_s) and self.amd_s >= 0, "amd_s must be >= 0"),
        )
        for ok, message in checks:
            if not ok:
                raise InvalidInput(f"campaign {self.name or '?'}: {message}")

    def check(self, routing: Routing, profile: Profile) -> None:
        routing.policy(self.queue)  # an unknown queue is refused with its name
        if not any(i.outbound_load(self.queue) for i in profile.intervals):
            raise InvalidInput(
                f"campaign {self.name}: no interval says what it dials into {self.queue} "
                "(give answer_rate and talk_s in the profile, or --answer-rate and --talk)"
            )


def check_campaigns(campaigns: Sequence[Campaign], routing: Routing, profile: Profile) -> None:
    queues = [c.queue for c in campaigns]
    if len(set(queues)) != len(queues):
        raise InvalidInput("one blended campaign per queue: two dial into the same queue")
    if len({c.name for c in campaigns}) != len(campaigns):
        raise InvalidInput("a campaign is named twice")
    for campaign in campaigns:
        campaign.check(routing, profile)


@dataclass(frozen=True, slots=True)
class OutboundDefaults:
    """What the command line gives for every interval the profile leaves empty."""

    answer_rate: float | None = None
    talk_s: float | None = None
    leads: int | None = None

    def load(self, queue: str) -> OutboundLoad | None:
        if self.answer_rate is None or self.talk_s is None:
            return None
        return OutboundLoad(queue, self.answer_rate, self.talk_s, self.leads)

    def merge(
        self, queue: str, *, answer_rate: float | None, talk_s: float | None, leads: int | None
    ) -> OutboundLoad | None:
        """One row's outbound load: its own values, these defaults where it gives none
        (None: the row gives none at all). ``MissingOutbound`` names what is missing."""
        if answer_rate is None and talk_s is None and leads is None:
            return None
        answer_rate = self.answer_rate if answer_rate is None else answer_rate
        talk_s = self.talk_s if talk_s is None else talk_s
        if answer_rate is None:
            raise MissingOutbound("answer_rate")
        if talk_s is None:
            raise MissingOutbound("talk_s")
        return OutboundLoad(queue, answer_rate, talk_s, self.leads if leads is None else leads)


class MissingOutbound(InvalidInput):
    def __init__(self, field: str) -> None:
        super().__init__(f"{field} is empty")
        self.field = field


def blend(profile: Profile, campaigns: Sequence[Campaign], defaults: OutboundDefaults) -> Profile:
    """The profile with the defaults' outbound load in every interval where a campaign's
    queue has none."""
    intervals = []
    for interval in profile.intervals:
        added = tuple(
            load
            for c in campaigns
            if interval.outbound_load(c.queue) is None
            and (load := defaults.load(c.queue)) is not None
        )
        intervals.append(replace(interval, outbound=interval.outbound + added))
    return replace(profile, intervals=tuple(intervals))
