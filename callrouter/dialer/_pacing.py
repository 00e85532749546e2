"""Pacing: how many new calls one campaign should originate, right now.

Rules
-----
* Everything that decides how fast we dial lives here. The shell measures (it feeds
  ``RollingStats`` and fills a ``PacingSnapshot``) and obeys ``decide``; it never
  second-guesses a decision, and nothing here awaits or reads a clock.
* Limits are absolute: a decision never exceeds the headroom left under the campaign's
  and the trunk's concurrent-call and calls-per-second limits, in any mode.
* Progressive never dials without a free operator: new calls <= free operators minus
  calls already ringing minus answered customers still waiting for an operator.
* The abandon cap is hard, in every mode that dials. Abandons are counted from the
  database so that every node sees the same figures (``AbandonCounts``), over a rolling
  window and over the campaign's day. From ``brake_from`` of the cap, new lines shrink
  in proportion to the window's room left under it; at the cap no new line is dialled
  at all, progressive included (slow operators make progressive abandon too), until
  abandons age out of the window. A day at the cap allows no overdial: at most one line
  per free operator, so that answered calls bring the day's rate back down (no line at
  all would keep it where it is until midnight).
* A rate is never judged on a handful of calls: it is abandoned / max(answered,
  ``min_answered``) (50), so one early abandon does not stop a campaign for the length
  of the window, while two in the first 50 answered calls do (4% > 3%).
* An abandoned call is a person who answered and was not connected to an operator
  within ``ABANDON_AFTER`` (2 s) *of the answer* (not of the end of answering-machine
  detection). The shell starts that timer and reports the result.
* Dialling ahead: predictive counts, besides free operators, the busy ones expected to
  be free before a line dialled now reaches a person: those whose time on their call
  is within the measured ring + AMD time of the campaign's average handle time.

Theory of operation
-------------------
Preview offers one lead per free operator; the operator dials. Progressive dials one
line per free operator. Both can leave operators idle while lines ring; predictive dials
more lines than operators, counting on most of them not answering.

Predictive works from an estimate ``p`` of the answer rate (answered by a person / calls
resolved) and a capacity ``c``: free operators, minus customers already waiting, plus
(optionally) the operators expected to finish their current call within the typical
time to answer. Model the ``M`` lines in flight (ringing now plus ``N`` new ones) as
independent trials answered with probability ``p``: the number answered is
``A ~ Binomial(M, p)`` and the customers left without an operator number
``(A - c)+``. We pick the largest ``N`` whose expected abandon ratio
``E[(A - c)+] / E[A]`` stays under a target. This ratio is exactly the regulated
quantity (abandoned / answered), it grows with ``M``, and it is 0 only when
``M <= c``, so progressive is the ``target == 0`` end of the same rule.

The target is ``cap * aggressiveness * (1 - observed / cap)``, where ``observed`` is
the larger of the window's and the day's abandon rates: the closer we get to the cap, the
more cautious the model; at the cap, nothing (see the rules). The model ignores that ringing calls
have been ringing for different times and that operators free up while lines ring, both
of which make it pessimistic (in the bench it lands near 0.3% against a 3% target); the
feedback through ``observed`` corrects it if it is ever optimistic.

Anticipation (``anticipation``, 0 by default in this pure core; the shell sets it from
the campaign's ``dial_ahead``) counts operators about to be free, scaled by the same
caution factor, once ``MIN_HANDLED_FOR_ANTICIPATION`` calls have been handled in the
window: before that only short calls have ended and the measured AHT is biased short,
which in simulation produced bursts of abandons. With each busy operator's time on
their current call (``busy_elapsed``) an operator counts when ``aht - elapsed <= tta``
(``tta``: the measured time from originate to a person, ring and AMD included), so the
line is dialled about when it will be needed; without it, ``busy * (1 - exp(-tta /
aht))`` (handle times roughly exponential).

The answer-rate estimate is shrunk toward a prior: ``p = (answered + w * p0) /
(resolved + w)``. With the default ``p0 = 1`` a fresh campaign dials exactly
progressively and earns its overdial as evidence comes in; the estimate always errs
high, which means fewer lines, which means fewer abandons. ``p`` is floored so that
an unlucky streak cannot make us dial hundreds of lines per operator, and
``max_lines_per_operator`` bounds the overdial outright.

Statistical slack: the cap holds in expectation, and the fallback reacts only after an
abandon has happened, with lines already in flight. Over a window holding ``n``
answered calls the measured rate has a standard deviation near ``sqrt(cap / n)``; the
simulation tests accept ``cap + 2 * sqrt(cap / n)`` on any rolling window holding at
least 50 answered calls, and the plain cap (no slack) over the campaign's life.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass, field
from datetime import timedelta

from ..errors import InvalidInput

__all__ = [
    "ABANDON_AFTER",
    "DEFAULT_ABANDON_CAP",
    "DEFAULT_BRAKE_FROM",
    "OUTBOUND_PRIORITY",
    "AbandonCounts",
    "Limits",
    "Load",
    "PacingConfig",
    "PacingDecision",
    "PacingMode",
    "PacingSnapshot",
    "PacingStats",
    "decide",
    "expected_abandon_ratio",
    "judged_rate",
]

ABANDON_AFTER = timedelta(seconds=2)
# The routing priority of an answered customer: above every inbound caller (a
# customer's card priority is clamped below it), since each second they wait counts
# towards an abandoned call.
OUTBOUND_PRIORITY = 1_000_000
DEFAULT_ABANDON_CAP = 0.03
DEFAULT_AGGRESSIVENESS = 1.0
DEFAULT_PRIOR_ANSWER_RATE = 1.0
DEFAULT_PRIOR_WEIGHT = 20.0
DEFAULT_MIN_ANSWER_RATE = 0.05
DEFAULT_MAX_LINES_PER_OPERATOR = 5.0
MIN_HANDLED_FOR_ANTICIPATION = 50
# From half the cap, new lines shrink linearly to none at the cap.
DEFAULT_BRAKE_FROM = 0.5
# Rates are judged over at least this many answered calls (see the rules).
DEFAULT_MIN_ANSWERED = 50


class PacingMode(enum.StrEnum):
    PREVIEW = "preview"
    PROGRESSIVE = "progressive"
    PREDICTIVE = "predictive"


@dataclass(frozen=True, slots=True)
class Limits:
    """A trunk's or a campaign's limits; None means unlimited."""

    max_concurrent: int | None = None
    max_per_second: int | None = None

    def __post_init__(self) -> None:
        for name in ("max_concurrent", "max_per_second"):
            value = getattr(self, name)
            if value is not None and value < 0:
                raise InvalidInput(f"{name} must not be negative, got {value}")


@dataclass(frozen=True, slots=True)
class Load:
    """What is in use against a ``Limits`` right now."""

    active: int = 0
    """Calls up (ringing or talking); for a trunk, inbound ones too."""
    started_last_second: int = 0


@dataclass(frozen=True, slots=True)
class PacingStats:
    """Measurements over the rolling window (``RollingStats.summary`` builds these)."""

    resolved: int = 0
    """Calls that ended ringing: answered by a person, or not (busy, no answer, machine)."""
    answered: int = 0
    abandoned: int = 0
    lifetime_answered: int = 0
    lifetime_abandoned: int = 0
    handled: int = 0
    aht: timedelta | None = None
    """Average handle time (talk plus wrap-up) of operators on this campaign."""
    time_to_answer: timedelta | None = None

    @property
    def answer_rate(self) -> float | None:
        return self.answered / self.resolved if self.resolved else None

    @property
    def abandon_rate(self) -> float | None:
        return self.abandoned / self.answered if self.answered else None

    @property
    def lifetime_abandon_rate(self) -> float | None:
        return self.lifetime_abandoned / self.lifetime_answered if self.lifetime_answered else None


@dataclass(frozen=True, slots=True)
class AbandonCounts:
    """Answered and abandoned calls of one campaign, from the database (every node's)."""

    window_answered: int = 0
    window_abandoned: int = 0
    """Over the rolling window (``abandon_window_s``)."""
    day_answered: int = 0
    day_abandoned: int = 0
    """Since midnight of the campaign's day (its default time zone)."""

    @property
    def window_rate(self) -> float:
        return self.window_abandoned / self.window_answered if self.window_answered else 0.0

    @property
    def day_rate(self) -> float:
        return self.day_abandoned / self.day_answered if self.day_answered else 0.0


def judged_rate(abandoned: int, answered: int, min_answered: int) -> float:
    """Abandoned / answered, over at least ``min_answered`` answered calls."""
    denominator = max(answered, min_answered)
    return abandoned / denominator if denominator else 0.0


@dataclass(frozen=True, slots=True)
class PacingConfig:
    mode: PacingMode
    abandon_cap: float = DEFAULT_ABANDON_CAP
    aggressiveness: float = DEFAULT_AGGRESSIVENESS
    """Fraction of the cap the model aims for when nothing has been abandoned yet.

    The model is pessimistic, so 1.0 still lands well under the cap in practice."""
    prior_answer_rate: float = DEFAULT_PRIOR_ANSWER_RATE
    prior_weight: float = DEFAULT_PRIOR_WEIGHT
    min_answer_rate: float = DEFAULT_MIN_ANSWER_RATE
    max_lines_per_operator: float = DEFAULT_MAX_LINES_PER_OPERATOR
    anticipation: float = 0.0
    """0..1: how far to count operators likely to finish within the time to answer."""
    brake_from: float = DEFAULT_BRAKE_FROM
    """Share of the cap from which new lines shrink (to none at the cap)."""
    min_answered: int = DEFAULT_MIN_ANSWERED
    """Answered calls a rate is judged over, at least."""
    min_handled_for_anticipation: int = MIN_HANDLED_FOR_ANTICIPATION
    campaign_limits: Limits = field(default_factory=Limits)
    trunk_limits: Limits = field(default_factory=Limits)

    def __post_init__(self) -> None:
        checks = (
            (0.0 <= self.abandon_cap < 1.0, "abandon_cap must be in [0, 1)"),
            (0.0 <= self.aggressiveness <= 1.0, "aggressiveness must be in [0, 1]"),
            (0.0 < self.prior_answer_rate <= 1.0, "prior_answer_rate must be in (0, 1]"),
            (self.prior_weight >= 0.0, "prior_weight must not be negative"),
            (0.0 < self.min_answer_rate <= 1.0, "min_answer_rate must be in (0, 1]"),
            (self.max_lines_per_operator >= 1.0, "max_lines_per_operator must be >= 1"),
            (0.0 <= self.anticipation <= 1.0, "anticipation must be in [0, 1]"),
            (0.0 <= self.brake_from <= 1.0, "brake_from must be in [0, 1]"),
            (self.min_handled_for_anticipation >= 0, "min_handled must not be negative"),
            (self.min_answered >= 0, "min_answered must not be negative"),
        )
        for ok, message in checks:
            if not ok:
                raise InvalidInput(message)


@dataclass(frozen=True, slots=True)
class PacingSnapshot:
    free_operators: int
    """Idle operators this campaign may use, after the inbound service-level reserve."""
    ringing: int
    """Originations in progress, not answered yet."""
    waiting: int = 0
    """Customers who answered and wait (at most 2 s) for an operator."""
    busy_operators: int = 0
    """Operators on this campaign's calls or wrap-up (for anticipation)."""
    busy_elapsed: tuple[timedelta, ...] = ()
    """How long each busy operator has been on their current call, when known."""
    stats: PacingStats = field(default_factory=PacingStats)
    abandons: AbandonCounts | None = None
    """Shared counts from the database; None: the rolling stats' own (one process)."""
    campaign_load: Load = field(default_factory=Load)
    trunk_load: Load = field(default_factory=Load)


@dataclass(frozen=True, slots=True)
class PacingDecision:
    originate: int
    """New calls to start now."""
    previews: int = 0
    """Preview mode: leads to offer to operators (they dial)."""
    reason: str = ""
    headroom: int = 0
    answer_rate: float | None = None
    """The estimate predictive used."""
    target_abandon: float | None = None


def _headroom(config: PacingConfig, snapshot: PacingSnapshot) -> int:
    room = math.inf
    for limits, load in (
        (config.campaign_limits, snapshot.campaign_load),
        (config.trunk_limits, snapshot.trunk_load),
    ):
        if limits.max_concurrent is not None:
            room = min(room, limits.max_concurrent - load.active)
        if limits.max_per_second is not None:
            room = min(room, limits.max_per_second - load.started_last_second)
    if room == math.inf:
        # no limit configured: lines per operator still bound it in every mode
        return 1 << 30
    return max(0, int(room))


def expected_abandon_ratio(lines: int, p: float, capacity: int) -> float:
    """``E[(A - capacity)+] / E[A]`` for ``A ~ Binomial(lines, p)``."""
    if lines <= 0 or p <= 0.0:
        return 0.0
    if capacity <= 0:
        return 1.0
    if lines <= capacity:
        return 0.0
    if p >= 1.0:
        return (lines - capacity) / lines
    # E[(A-c)+] = E[A] - c + E[(c-A)+]; the last sum has only c terms, so this stays
    # cheap for large line counts and in log space it never underflows.
    log_p, log_q = math.log(p), math.log1p(-p)
    head = math.lgamma(lines + 1)
    shortfall = 0.0
    for k in range(capacity):
        log_pmf = head - math.lgamma(k + 1) - math.lgamma(lines - k + 1)
        shortfall += (capacity - k) * math.exp(log_pmf + k * log_p + (lines - k) * log_q)
    mean = lines * p
    return max(0.0, mean - capacity + shortfall) / mean


def _answer_rate(config: PacingConfig, stats: PacingStats) -> float:
    w = config.prior_weight
    p = (stats.answered + w * config.prior_answer_rate) / (stats.resolved + w) if (
        stats.resolved + w > 0
    ) else config.prior_answer_rate
    return min(1.0, max(config.min_answer_rate, p))


def _anticipated(config: PacingConfig, snapshot: PacingSnapshot, caution: float) -> int:
    stats = snapshot.stats
    if not config.anticipation or not stats.aht or stats.time_to_answer is None:
        return 0
    if stats.handled < config.min_handled_for_anticipation:
        # Early on only the short calls have ended, so the measured AHT is too short and
        # would make us expect operators back sooner than they will be.
        return 0
    if snapshot.busy_elapsed:
        # Free by the time a line dialled now reaches a person (ring + AMD).
        freeing = sum(
            1 for elapsed in snapshot.busy_elapsed
            if stats.aht - elapsed <= stats.time_to_answer
        )  # fmt: skip
        # Rounded, not truncated: one operator freeing at caution 0.7 still counts.
        return math.floor(freeing * config.anticipation * caution + 0.5)
    # Handle times are roughly exponential, so a busy operator finishes within the time a
    # new call takes to be answered with probability 1 - exp(-tta / aht).
    fraction = 1.0 - math.exp(-stats.time_to_answer / stats.aht)
    return int(snapshot.busy_operators * fraction * config.anticipation * caution)


def _observed(config: PacingConfig, snapshot: PacingSnapshot) -> tuple[float, float]:
    """The window's and the day's abandon rates, as judged (``judged_rate``)."""
    stats, least = snapshot.stats, config.min_answered
    local = judged_rate(stats.abandoned, stats.answered, least)
    shared = snapshot.abandons
    if shared is not None:
        # This process's own window too: its latest abandons may not be written yet.
        window = judged_rate(shared.window_abandoned, shared.window_answered, least)
        return max(window, local), judged_rate(shared.day_abandoned, shared.day_answered, least)
    return local, judged_rate(stats.lifetime_abandoned, stats.lifetime_answered, least)


def _brake(config: PacingConfig, observed: float) -> float:
    """1 well under the cap, shrinking linearly from ``brake_from`` of it, 0 at it."""
    if observed >= config.abandon_cap:
        return 0.0
    start = config.abandon_cap * config.brake_from
    if observed <= start:
        return 1.0
    return (config.abandon_cap - observed) / (config.abandon_cap - start)


def decide(snapshot: PacingSnapshot, config: PacingConfig) -> PacingDecision:
    """How many calls to originate now (or leads to preview) for one campaign."""
    headroom = _headroom(config, snapshot)
    available = snapshot.free_operators - snapshot.waiting
    progressive = max(0, available - snapshot.ringing)

    if config.mode is PacingMode.PREVIEW:
        offers = min(max(0, available), headroom)
        return PacingDecision(0, offers, "one lead per free operator", headroom)
    window_rate, day_rate = _observed(config, snapshot)
    observed = max(window_rate, day_rate)
    brake = _brake(config, window_rate)
    if brake <= 0.0:
        return PacingDecision(
            0, 0, f"abandon rate {window_rate:.2%} over the window at cap: no new lines",
            headroom,
        )
    braked = math.floor(progressive * brake)
    if config.mode is PacingMode.PROGRESSIVE or day_rate >= config.abandon_cap:
        n = min(braked, headroom)
        if day_rate >= config.abandon_cap:
            reason = f"abandon rate {day_rate:.2%} today at cap: no overdial"
        elif brake < 1.0:
            reason = f"abandon rate {observed:.2%} near cap: {n} of {progressive} lines"
        else:
            reason = "one line per free operator"
        return PacingDecision(n, 0, reason, headroom)

    stats = snapshot.stats
    p = _answer_rate(config, stats)
    caution = 1.0 - observed / config.abandon_cap
    target = config.abandon_cap * config.aggressiveness * caution
    capacity = available + _anticipated(config, snapshot, caution)
    if capacity <= 0:
        return PacingDecision(0, 0, "no operator free or freeing", headroom, p, target)

    max_lines = math.floor(capacity * config.max_lines_per_operator)
    lo = min(progressive, headroom)
    hi = max(lo, min(headroom, max_lines - snapshot.ringing))
    # The ratio grows with the lines in flight, so bisect for the last N under target.
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if expected_abandon_ratio(snapshot.ringing + mid, p, capacity) <= target:
            lo = mid
        else:
            hi = mid - 1
    # The model trusts the answer rate; near the cap, trust it less (it may be wrong
    # about operators as much as about customers, as slow pickups showed).
    n = math.floor(lo * brake)
    return PacingDecision(
        n, 0, f"predictive at p={p:.3f} for {capacity} operators", headroom, p, target
    )
