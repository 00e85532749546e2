"""Routing configuration: what the ACD is told, never what it has learned.

Every class is a frozen dataclass that checks itself at construction, so an
``AcdEngine`` never holds a policy it cannot apply. Sequences given as lists are
stored as tuples and mappings are copied, so a config object can be shared with the
shell and reloaded without either side mutating the other's view.
"""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, time
from typing import Literal, get_args

from callrouter.errors import InvalidInput

__all__ = [
    "DEFAULT_HANDLE_S",
    "DEFAULT_RETRY_S",
    "AcdConfig",
    "AnnouncePolicy",
    "AnnounceSounds",
    "Calendar",
    "EscalationStep",
    "OperatorSpec",
    "OverflowTarget",
    "QueuePolicy",
    "Strategy",
    "TenantFairness",
    "TenantFairnessMode",
    "TenantShare",
    "Weekday",
]

Strategy = Literal["longest_idle", "round_robin", "fewest_calls", "random", "linear", "ring_all"]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
# Whether a connected call is recorded: always, never, or when asked (HTTP API).
RecordingPolicy = Literal["always", "never", "on_demand"]
OverflowKind = Literal["queue", "context", "callback"]
# How an operator shared by several tenants chooses between their callers (_tenant_fairness).
TenantFairnessMode = Literal["none", "priority", "sla_risk", "weighted"]

STRATEGIES: frozenset[str] = frozenset(get_args(Strategy))
FAIRNESS_MODES: frozenset[str] = frozenset(get_args(TenantFairnessMode))
WEEKDAYS: tuple[Weekday, ...] = get_args(Weekday)

# app_queue's "retry" default: how long an operator who failed an offer rests before
# being offered again, so a busy phone is not rung in a tight loop.
DEFAULT_RETRY_S = 5.0
# Handle time assumed for expected-wait announcements before any call has completed.
DEFAULT_HANDLE_S = 120.0
_SPAN = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)$")


def _check(ok: bool, message: str) -> None:
    if not ok:
        raise InvalidInput(message)


@dataclass(frozen=True, slots=True)
class EscalationStep:
    """After ``after_s`` seconds in the queue, widen who may take the call."""

    after_s: float
    max_penalty: int | None = None
    add_queues: Sequence[str] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "add_queues", tuple(self.add_queues))
        _check(self.after_s >= 0, f"escalation after_s must be >= 0, not {self.after_s}")
        _check(
            self.max_penalty is None or self.max_penalty >= 0,
            "escalation max_penalty must be >= 0",
        )


@dataclass(frozen=True, slots=True)
class OverflowTarget:
    """Where a call goes when it cannot (or can no longer) wait in its queue."""

    kind: OverflowKind
    target: str = ""

    def __post_init__(self) -> None:
        _check(self.kind in ("queue", "context", "callback"), f"bad overflow kind {self.kind!r}")
        _check(self.kind == "callback" or bool(self.target), f"overflow {self.kind} needs a target")


@dataclass(frozen=True, slots=True)
class AnnounceSounds:
    position: str = "queue-thereare"
    calls_waiting: str = "queue-callswaiting"
    hold_time: str = "queue-holdtime"
    minutes: str = "queue-minutes"
    thank_you: str = "queue-thankyou"


@dataclass(frozen=True, slots=True)
class AnnouncePolicy:
    """Position/expected-wait announcements: on joining, then every ``every_s``.

    ``every_s == 0`` announces on joining only.
    """

    position: bool = True
    every_s: float = 45.0
    sounds: AnnounceSounds = AnnounceSounds()

    def __post_init__(self) -> None:
        _check(self.every_s >= 0, "announce every_s must be >= 0")


@dataclass(frozen=True, slots=True)
class QueuePolicy:
    name: str
    strategy: Strategy = "longest_idle"
    ring_timeout_s: float = 15.0
    retry_s: float = DEFAULT_RETRY_S
    wrapup_s: float = 5.0
    max_waiting: int | None = None
    max_wait_s: float | None = None
    join_empty: bool = False
    leave_when_empty: bool = False
    overflow: OverflowTarget | None = None
    # Where callers go while the calendar says closed; None plays the closed sound.
    closed_overflow: OverflowTarget | None = None
    service_level_s: float = 20.0
    # A caller is "service level at risk" once waiting this fraction of service_level_s.
    service_level_risk: float = 0.8
    calendar: str | None = None
    music_class: str = "default"
    announce: AnnouncePolicy = AnnouncePolicy()
    # Highest operator penalty a fresh caller may reach; None means every tier
    # (lower tiers are still preferred). Escalation steps widen it.
    max_penalty: int | None = None
    escalation: Sequence[EscalationStep] = ()
    auto_pause_on_no_answer: bool = True
    default_handle_s: float = DEFAULT_HANDLE_S
    # Callers transferred into this queue go ahead of every caller of equal priority
    # who was not (False: they keep the place their original arrival gives them).
    escalated_first: bool = False
    recording: RecordingPolicy = "always"
    # The client company the queue answers for; the config layer's DEFAULT_TENANT.
    tenant: str = "default"

    def __post_init__(self) -> None:
        steps = tuple(sorted(self.escalation, key=lambda s: s.after_s))
        object.__setattr__(self, "escalation", steps)
        _check(bool(self.name), "queue name must not be empty")
        _check(bool(self.tenant), f"queue {self.name}: tenant must not be empty")
        _check(self.strategy in STRATEGIES, f"queue {self.name}: unknown strategy")
        _check(self.ring_timeout_s > 0, f"queue {self.name}: ring_timeout_s must be > 0")
        _check(self.retry_s >= 0, f"queue {self.name}: retry_s must be >= 0")
        _check(self.wrapup_s >= 0, f"queue {self.name}: wrapup_s must be >= 0")
        _check(
            self.max_waiting is None or self.max_waiting >= 1,
            f"queue {self.name}: max_waiting must be >= 1",
        )
        _check(
            self.max_wait_s is None or self.max_wait_s > 0,
            f"queue {self.name}: max_wait_s must be > 0",
        )
        _check(self.service_level_s > 0, f"queue {self.name}: service_level_s must be > 0")
        _check(
            0 < self.service_level_risk <= 1,
            f"queue {self.name}: service_level_risk must be in (0, 1]",
        )
        _check(self.default_handle_s > 0, f"queue {self.name}: default_handle_s must be > 0")
        _check(
            self.max_penalty is None or self.max_penalty >= 0,
            f"queue {self.name}: max_penalty must be >= 0",
        )


@dataclass(frozen=True, slots=True)
class OperatorSpec:
    operator_id: str
    endpoint: str
    # queue name -> penalty (skill tier): 0 is the first tier asked.
    queues: Mapping[str, int] = field(default_factory=dict)
    # Overrides the queue's wrap-up time for this operator.
    wrapup_s: float | None = None
    # Only read when the engine is built or the operator first appears in a reload.
    logged_in: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "queues", dict(self.queues))
        _check(bool(self.operator_id), "operator_id must not be empty")
        _check(bool(self.endpoint), f"operator {self.operator_id}: endpoint must not be empty")
        _check(
            all(p >= 0 for p in self.queues.values()),
            f"operator {self.operator_id}: penalties must be >= 0",
        )
        _check(
            self.wrapup_s is None or self.wrapup_s >= 0,
            f"operator {self.operator_id}: wrapup_s must be >= 0",
        )


@dataclass(frozen=True, slots=True)
class Calendar:
    """Weekly opening spans ("HH:MM-HH:MM", local time) and holiday dates.

    A weekday missing from ``weekly`` is closed, except that a calendar with no weekly
    entries at all is open every day: a holidays-only calendar.
    """

    timezone: str = "UTC"
    weekly: Mapping[Weekday, Sequence[str]] = field(default_factory=dict)
    holidays: frozenset[date] = frozenset()
    closed_sound: str = "vm-goodbye"
    spans: Mapping[int, tuple[tuple[time, time | None], ...]] = field(
        init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        object.__setattr__(self, "holidays", frozenset(self.holidays))
        try:
            zoneinfo.ZoneInfo(self.timezone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
            raise InvalidInput(f"unknown time zone {self.timezone!r}") from exc
        parsed: dict[int, tuple[tuple[time, time | None], ...]] = {}
        for day, spans in self.weekly.items():
            _check(day in WEEKDAYS, f"unknown weekday {day!r}")
            out = []
            for span in spans:
                m = _SPAN.match(span)
                _check(m is not None, f"{day}: {span!r} is not HH:MM-HH:MM")
                assert m is not None
                h1, m1, h2, m2 = (int(g) for g in m.groups())
                # None stands for midnight at the end of the day ("24:00").
                end = None if (h2, m2) >= (24, 0) else time(h2, m2)
                out.append((time(h1, m1), end))
            parsed[WEEKDAYS.index(day)] = tuple(out)
        object.__setattr__(self, "weekly", {d: tuple(s) for d, s in self.weekly.items()})
        object.__setattr__(self, "spans", parsed)


@dataclass(frozen=True, slots=True)
class TenantShare:
    """What one tenant counts for against the others on a shared operator."""

    priority: int = 0
    weight: int = 1

    def __post_init__(self) -> None:
        _check(self.weight >= 1, f"tenant weight must be >= 1, not {self.weight}")


@dataclass(frozen=True, slots=True)
class TenantFairness:
    """The center's rule between tenants; a tenant not listed has ``TenantShare()``."""

    mode: TenantFairnessMode = "none"
    tenants: Mapping[str, TenantShare] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "tenants", dict(self.tenants))
        _check(self.mode in FAIRNESS_MODES, f"unknown tenant fairness mode {self.mode!r}")

    def share(self, tenant: str) -> TenantShare:
        return self.tenants.get(tenant, _EVEN_SHARE)


_EVEN_SHARE = TenantShare()


@dataclass(frozen=True, slots=True)
class AcdConfig:
    """The whole routing configuration; cross-references are checked here."""

    queues: Sequence[QueuePolicy] = ()
    operators: Sequence[OperatorSpec] = ()
    calendars: Mapping[str, Calendar] = field(default_factory=dict)
    fairness: TenantFairness = TenantFairness()

    def __post_init__(self) -> None:
        object.__setattr__(self, "queues", tuple(self.queues))
        object.__setattr__(self, "operators", tuple(self.operators))
        object.__setattr__(self, "calendars", dict(self.calendars))
        names = [q.name for q in self.queues]
        _check(len(set(names)) == len(names), "queue names must be unique")
        ids = [o.operator_id for o in self.operators]
        _check(len(set(ids)) == len(ids), "operator ids must be unique")
        known = set(names)
        for q in self.queues:
            for step in q.escalation:
                for extra in step.add_queues:
                    _check(extra in known, f"queue {q.name}: escalation to unknown queue {extra}")
            for target in (q.overflow, q.closed_overflow):
                if target is not None and target.kind == "queue":
                    _check(
                        target.target in known,
                        f"queue {q.name}: overflow to unknown queue {target.target}",
                    )
            _check(
                q.calendar is None or q.calendar in self.calendars,
                f"queue {q.name}: unknown calendar {q.calendar}",
            )
        for o in self.operators:
            for name in o.queues:
                _check(name in known, f"operator {o.operator_id}: unknown queue {name}")

    def queue(self, name: str) -> QueuePolicy:
        for q in self.queues:
            if q.name == name:
                return q
        raise InvalidInput(f"no queue {name!r}")
