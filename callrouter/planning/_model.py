"""What a plan is made of: the load per interval, who is on duty, and the routing.

Every class checks itself at construction (``InvalidInput`` with a sentence that names
the culprit), so the simulation and the formulas never meet a negative call count, an
unknown queue or a roster for a group nobody defined.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from callrouter.acd import AcdConfig, QueuePolicy
from callrouter.errors import InvalidInput

__all__ = [
    "DAY_S",
    "Interval",
    "OutboundLoad",
    "Profile",
    "QueueLoad",
    "Roster",
    "Routing",
    "SkillGroup",
    "group_name",
]

DAY_S = 86_400


def _check(ok: bool, message: str) -> None:
    if not ok:
        raise InvalidInput(message)


@dataclass(frozen=True, slots=True)
class QueueLoad:
    """One queue's demand in one interval: Poisson arrivals, exponential handle time
    (talk plus wrap-up, as Erlang's AHT) and exponential patience (None: never gives up)."""

    queue: str
    calls: float
    aht_s: float
    patience_s: float | None = None

    def __post_init__(self) -> None:
        _check(bool(self.queue), "a load needs a queue name")
        _check(math.isfinite(self.calls) and self.calls >= 0, f"{self.queue}: calls must be >= 0")
        _check(math.isfinite(self.aht_s) and self.aht_s > 0, f"{self.queue}: aht_s must be > 0")
        _check(
            self.patience_s is None or (math.isfinite(self.patience_s) and self.patience_s > 0),
            f"{self.queue}: patience_s must be > 0 (or empty: callers never give up)",
        )


@dataclass(frozen=True, slots=True)
class OutboundLoad:
    """What the campaign dialling into ``queue`` has to dial in one interval."""

    queue: str
    answer_rate: float
    """Share of the lines dialled that a person answers."""
    talk_s: float
    """Mean talk time with an operator (exponential); wrap-up is the queue's."""
    leads: int | None = None
    """Lines that may be dialled in the interval (None: as many as the pacing wants)."""

    def __post_init__(self) -> None:
        _check(bool(self.queue), "an outbound load needs a queue name")
        _check(
            math.isfinite(self.answer_rate) and 0 <= self.answer_rate <= 1,
            f"{self.queue}: answer_rate must be in [0, 1]",
        )
        _check(math.isfinite(self.talk_s) and self.talk_s > 0, f"{self.queue}: talk_s must be > 0")
        _check(self.leads is None or self.leads >= 0, f"{self.queue}: leads must be >= 0")


@dataclass(frozen=True, slots=True)
class Interval:
    start_s: int
    """Seconds since the start of the planned day."""
    loads: tuple[QueueLoad, ...]
    outbound: tuple[OutboundLoad, ...] = ()

    def load(self, queue: str) -> QueueLoad | None:
        return next((load for load in self.loads if load.queue == queue), None)

    def outbound_load(self, queue: str) -> OutboundLoad | None:
        return next((load for load in self.outbound if load.queue == queue), None)


@dataclass(frozen=True, slots=True)
class Profile:
    """The arrival profile of one day: intervals of ``interval_s`` seconds, in order."""

    interval_s: int
    intervals: tuple[Interval, ...]

    def __post_init__(self) -> None:
        _check(self.interval_s >= 60, "intervals must last at least 60 s")
        _check(bool(self.intervals), "the profile has no interval")
        starts = [i.start_s for i in self.intervals]
        _check(starts == sorted(set(starts)), "interval starts must be distinct and in order")
        for i in self.intervals:
            _check(
                i.start_s % self.interval_s == 0 and 0 <= i.start_s < DAY_S,
                f"interval start {i.start_s} s is not on a {self.interval_s} s boundary of a day",
            )
            for loads in (i.loads, i.outbound):
                queues = [load.queue for load in loads]
                _check(len(set(queues)) == len(queues), f"queue twice in interval {i.start_s} s")

    @property
    def queues(self) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for interval in self.intervals:
            for load in interval.loads:
                seen.setdefault(load.queue)
        return tuple(seen)

    def only(self, index: int) -> Profile:
        """The profile of one interval alone (for a steady-state run)."""
        return Profile(self.interval_s, (self.intervals[index],))


def group_name(queues: Mapping[str, int]) -> str:
    """A skill profile's name: its queues, each with ``:penalty`` unless it is 0."""
    return "+".join(f"{q}:{p}" if p else q for q, p in sorted(queues.items()))


@dataclass(frozen=True, slots=True)
class SkillGroup:
    """Operators with the same skills (queue -> penalty), counted together in a roster."""

    name: str
    queues: Mapping[str, int]
    wrapup_s: float | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "queues", dict(self.queues))
        _check(bool(self.name), "a skill group needs a name")
        _check(bool(self.queues), f"group {self.name}: serves no queue")
        _check(
            all(p >= 0 for p in self.queues.values()), f"group {self.name}: penalty must be >= 0"
        )


@dataclass(frozen=True, slots=True)
class Routing:
    """The rules the simulation runs: the queues' policies and the skill groups."""

    queues: tuple[QueuePolicy, ...]
    groups: tuple[SkillGroup, ...]

    def __post_init__(self) -> None:
        names = [q.name for q in self.queues]
        _check(len(set(names)) == len(names), "queue names must be unique")
        group_names = [g.name for g in self.groups]
        _check(len(set(group_names)) == len(group_names), "group names must be unique")
        for g in self.groups:
            for q in g.queues:
                _check(q in names, f"group {g.name}: unknown queue {q!r}")

    @classmethod
    def single_skill(cls, queues: Sequence[str]) -> Routing:
        """Default rules: each queue with default policy and its own group of operators."""
        return cls(
            queues=tuple(QueuePolicy(name=q) for q in queues),
            groups=tuple(SkillGroup(q, {q: 0}) for q in queues),
        )

    @classmethod
    def from_acd_config(cls, config: AcdConfig) -> Routing:
        """The configured queues, and the configured operators grouped by identical
        skills (and wrap-up): a roster counts operators of each such group."""
        groups: dict[str, SkillGroup] = {}
        for op in config.operators:
            if not op.queues:
                continue
            name = group_name(op.queues)
            if op.wrapup_s is not None:
                name += f"/wrapup={op.wrapup_s:g}"
            groups.setdefault(name, SkillGroup(name, op.queues, op.wrapup_s))
        return cls(queues=tuple(config.queues), groups=tuple(groups.values()))

    def policy(self, queue: str) -> QueuePolicy:
        for q in self.queues:
            if q.name == queue:
                return q
        raise InvalidInput(f"no queue {queue!r} in the routing")

    def group(self, name: str) -> SkillGroup:
        for g in self.groups:
            if g.name == name:
                return g
        known = ", ".join(g.name for g in self.groups)
        raise InvalidInput(f"no skill group {name!r} (known: {known})")

    def check_profile(self, profile: Profile) -> None:
        known = {q.name for q in self.queues}
        for queue in profile.queues:
            _check(queue in known, f"the profile has calls for {queue!r}, not a routed queue")


@dataclass(frozen=True, slots=True)
class Roster:
    """Operators on duty per interval start and skill group."""

    staff: Mapping[int, Mapping[str, int]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "staff", {s: dict(g) for s, g in sorted(self.staff.items())})
        for start, groups in self.staff.items():
            for name, count in groups.items():
                _check(count >= 0, f"roster at {start} s: {name} must not be negative")

    def at(self, start_s: int) -> Mapping[str, int]:
        return self.staff.get(start_s, {})

    def total(self, start_s: int) -> int:
        return sum(self.at(start_s).values())

    def check(self, routing: Routing, profile: Profile) -> None:
        starts = {i.start_s for i in profile.intervals}
        for start, groups in self.staff.items():
            _check(start in starts, f"the roster has {start} s, which the profile does not")
            for name in groups:
                routing.group(name)
        for start in starts:
            _check(start in self.staff, f"the roster has nobody planned at {start} s")
