"""A discrete-event simulation of one outbound campaign, to judge pacing without a PBX.

Pure and deterministic: a simulated clock, a seeded ``random.Random``, no I/O. The
bench compares modes with it and the tests check the abandon cap with it; supervisors
can use it to try a campaign's settings before running them on people.

Each lead's fate (answered by a person or not, ring time, talk time) is drawn from one
lead stream, the same four draws per lead in dialing order, so two modes run with the
same seed dial the *same* leads and differ only in pacing. Operators serve only this
campaign. Once answered, a customer waits at most ``ABANDON_AFTER`` for an operator,
then counts as abandoned.
"""

from __future__ import annotations

import heapq
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from ..errors import InvalidInput
from ._pacing import ABANDON_AFTER, Load, PacingConfig, PacingSnapshot, decide
from ._stats import Abandoned, Answered, Handled, Originated, RollingStats, Unanswered

__all__ = [
    "DEFAULT_ANSWER_AFTER",
    "DEFAULT_GIVE_UP_AFTER",
    "LeadFate",
    "SimulationConfig",
    "SimulationResult",
    "draw_lead",
    "simulate_campaign",
]

_EPOCH = datetime(2024, 1, 8, 9, 0, tzinfo=UTC)
_TICK = timedelta(seconds=1)
_CHECK_EVERY = timedelta(minutes=1)
# Ties at one instant: free operators first, then call results, then the pacing tick, so
# a tick sees everything that happened at its instant.
_HANDLED, _HANGUP, _RESOLVED, _DEADLINE, _TICK_EVENT = range(5)
DEFAULT_ANSWER_AFTER = (4.0, 20.0)
"""Seconds of ringing before a person answers, uniform."""
DEFAULT_GIVE_UP_AFTER = (3.0, 30.0)
"""Seconds before an unanswered call resolves (busy is quick, no answer is slow)."""


@dataclass(frozen=True, slots=True)
class LeadFate:
    """What becomes of one dialled lead."""

    person: bool
    """Answered by a person (else busy, no answer, a machine...)."""
    ring_s: float
    """Seconds until the person answers, or until the line resolves unanswered."""
    talk_s: float
    """Seconds the person talks with an operator, once connected."""


def draw_lead(
    stream: random.Random,
    *,
    answer_rate: float,
    mean_talk_s: float,
    answer_after: tuple[float, float] = DEFAULT_ANSWER_AFTER,
    give_up_after: tuple[float, float] = DEFAULT_GIVE_UP_AFTER,
) -> LeadFate:
    """One lead's fate: the same four draws per lead whatever the outcome, so that two
    runs with one seed dial the *same* leads and differ only in pacing."""
    person = stream.random() < answer_rate
    ring_answered = stream.uniform(*answer_after)
    ring_unanswered = stream.uniform(*give_up_after)
    talk = stream.expovariate(1.0) * mean_talk_s
    return LeadFate(person, ring_answered if person else ring_unanswered, talk)


@dataclass(frozen=True, slots=True)
class SimulationConfig:
    pacing: PacingConfig
    operators: int = 20
    answer_rate: float = 0.3
    duration: timedelta = timedelta(hours=8)
    mean_talk: timedelta = timedelta(minutes=3)
    wrap_up: timedelta = timedelta(seconds=15)
    answer_after: tuple[float, float] = DEFAULT_ANSWER_AFTER
    give_up_after: tuple[float, float] = DEFAULT_GIVE_UP_AFTER
    window: timedelta = timedelta(minutes=30)
    seed: int = 1

    def __post_init__(self) -> None:
        if self.operators < 0 or not 0.0 <= self.answer_rate <= 1.0:
            raise InvalidInput("operators must be >= 0 and answer_rate in [0, 1]")


@dataclass(frozen=True, slots=True)
class SimulationResult:
    originated: int
    answered: int
    connected: int
    abandoned: int
    operator_seconds_busy: float
    operator_seconds: float
    max_concurrent: int
    max_starts_per_second: int
    rolling: tuple[tuple[int, int], ...] = field(default=())
    """(answered, abandoned) in the rolling window, once a minute."""

    @property
    def abandon_rate(self) -> float:
        return self.abandoned / self.answered if self.answered else 0.0

    @property
    def occupancy(self) -> float:
        return self.operator_seconds_busy / self.operator_seconds if self.operator_seconds else 0.0

    @property
    def connects_per_operator_hour(self) -> float:
        hours = self.operator_seconds / 3600
        return self.connected / hours if hours else 0.0


class _Sim:
    """The mutable world of one run; methods are the event handlers."""

    def __init__(self, config: SimulationConfig) -> None:
        self.config = config
        self.stats = RollingStats(window=config.window)
        self.leads = random.Random(config.seed)
        self.now = _EPOCH
        self.idle = config.operators
        self.busy = 0  # operators talking or wrapping up
        self.talking = 0
        self.ringing = 0
        self.waiting: dict[int, float] = {}  # answered customers: event id -> talk time
        self.queue: list[tuple[datetime, int, int, float, float]] = []
        self.seq = 0
        self.originated = self.answered = self.connected = self.abandoned = 0
        self.busy_seconds = 0.0
        self.max_concurrent = self.max_starts = 0

    def push(self, at: datetime, kind: int, a: float = 0.0, b: float = 0.0) -> int:
        self.seq += 1
        heapq.heappush(self.queue, (at, kind, self.seq, a, b))
        return self.seq

    def connect(self, talk: float) -> None:
        self.idle -= 1
        self.busy += 1
        self.talking += 1
        self.connected += 1
        self.push(self.now + timedelta(seconds=talk), _HANGUP, talk)

    def originate(self) -> None:
        cfg = self.config
        self.originated += 1
        self.ringing += 1
        self.stats.record(Originated(self.now))
        fate = draw_lead(
            self.leads,
            answer_rate=cfg.answer_rate,
            mean_talk_s=cfg.mean_talk.total_seconds(),
            answer_after=cfg.answer_after,
            give_up_after=cfg.give_up_after,
        )
        talk = fate.talk_s if fate.person else -1.0
        self.push(self.now + timedelta(seconds=fate.ring_s), _RESOLVED, talk, fate.ring_s)

    def resolved(self, talk: float, ring: float) -> None:
        self.ringing -= 1
        if talk < 0:
            self.stats.record(Unanswered(self.now))
            return
        self.answered += 1
        self.stats.record(Answered(self.now, timedelta(seconds=ring)))
        if self.idle > 0:
            self.connect(talk)
        else:
            ident = self.push(self.now + ABANDON_AFTER, _DEADLINE)
            self.waiting[ident] = talk

    def deadline(self, ident: int) -> None:
        if self.waiting.pop(ident, None) is not None:
            self.abandoned += 1
            self.stats.record(Abandoned(self.now))

    def hangup(self, talk: float) -> None:
        self.talking -= 1
        self.push(self.now + self.config.wrap_up, _HANDLED, talk)

    def handled(self, talk: float) -> None:
        self.busy -= 1
        self.idle += 1
        self.stats.record(Handled(self.now, timedelta(seconds=talk) + self.config.wrap_up))
        if self.waiting:
            first = next(iter(self.waiting))
            self.connect(self.waiting.pop(first))

    def tick(self) -> None:
        active = self.ringing + len(self.waiting) + self.talking
        load = Load(active=active, started_last_second=self.stats.started_last_second(self.now))
        snapshot = PacingSnapshot(
            free_operators=self.idle,
            ringing=self.ringing,
            waiting=len(self.waiting),
            busy_operators=self.busy,
            stats=self.stats.summary(self.now),
            campaign_load=load,
            trunk_load=load,
        )
        n = decide(snapshot, self.config.pacing).originate
        for _ in range(n):
            self.originate()
        self.max_concurrent = max(self.max_concurrent, active + n)
        self.max_starts = max(self.max_starts, self.stats.started_last_second(self.now))


def simulate_campaign(config: SimulationConfig) -> SimulationResult:
    """Run one campaign for ``config.duration`` of simulated time."""
    sim = _Sim(config)
    end = _EPOCH + config.duration
    rolling: list[tuple[int, int]] = []
    next_check = _EPOCH + config.window
    sim.push(_EPOCH, _TICK_EVENT)
    while sim.queue:
        at, kind, ident, a, b = heapq.heappop(sim.queue)
        if at > end:
            break
        sim.busy_seconds += sim.busy * (at - sim.now).total_seconds()
        sim.now = at
        if kind == _TICK_EVENT:
            sim.tick()
            if at >= next_check:
                summary = sim.stats.summary(at)
                rolling.append((summary.answered, summary.abandoned))
                next_check = at + _CHECK_EVERY
            sim.push(at + _TICK, _TICK_EVENT)
        elif kind == _RESOLVED:
            sim.resolved(a, b)
        elif kind == _DEADLINE:
            sim.deadline(ident)  # the deadline's own id keys the waiting customer
        elif kind == _HANGUP:
            sim.hangup(a)
        else:
            sim.handled(a)
    return SimulationResult(
        originated=sim.originated,
        answered=sim.answered,
        connected=sim.connected,
        abandoned=sim.abandoned,
        operator_seconds_busy=sim.busy_seconds,
        operator_seconds=config.operators * config.duration.total_seconds(),
        max_concurrent=sim.max_concurrent,
        max_starts_per_second=sim.max_starts,
        rolling=tuple(rolling),
    )
