"""Erlang C (M/M/n) and Erlang A (Palm's M/M/n+M): the figures of one interval, analytically.

Rules
-----
* Pure functions of the load: ``calls`` Poisson arrivals over ``interval_s`` seconds,
  exponential handle times of mean ``aht_s`` (talk plus wrap-up), ``agents`` identical
  operators, and for Erlang A exponential patience of mean ``patience_s`` (None: callers
  never give up, which is Erlang C).
* Service level is the share of *all* offered calls answered within ``within_s``: an
  abandoned call counts against it, as a manager reading "80% in 20 s" expects.
  ASA is the mean wait of the answered calls; abandon rate is abandoned / offered;
  occupancy is the carried load over the agents.
* No factorial or power is ever formed: Erlang B comes from its recursion
  ``B(k) = A B(k-1) / (k + A B(k-1))``, stable for thousands of agents.

Erlang A (Mandelbaum & Zeltyn 2007, "The Palm/Erlang-A queue, with applications to call
centers"; Garnett, Mandelbaum & Reiman 2002). Let ``m`` be the number of callers an
arrival finds waiting ahead of it when all ``n`` agents are busy. The stationary
probabilities of the birth-death chain are, relative to "exactly n in system",
``A^k/k! / (A^n/n!)`` below n (their sum is ``1/B(n, A)``) and
``prod_{j=1..m} lambda / (n mu + j theta)`` above. Under first-come first-served the
caller's offered wait is a sum of exponentials of rates ``n mu + j theta`` (j = 0..m),
so it is served with probability ``n mu / (n mu + (m+1) theta)`` (the product
telescopes) and, given that it is served, its wait is a sum of exponentials of rates
``n mu + j theta``, j = 1..m+1 (exponential tilting). Its mean is a partial harmonic sum;
its distribution function comes from uniformizing that pure-death chain, which adds only
positive terms (the closed form with alternating coefficients does not survive
floating point).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from callrouter.errors import InvalidInput

__all__ = [
    "ErlangFigures",
    "StaffingTarget",
    "erlang_a",
    "erlang_b",
    "erlang_c",
    "erlang_c_wait_probability",
    "figures",
    "required_agents",
    "scheduled_agents",
]

# Stationary terms above this fraction of the running total still count.
_TAIL = 1e-15
# Uniformization stops when the Poisson terms left weigh less than this.
_POISSON_TAIL = 1e-13
# Staffing is searched up to this many agents before giving up.
MAX_AGENTS = 100_000


@dataclass(frozen=True, slots=True)
class ErlangFigures:
    agents: int
    offered_erlangs: float
    wait_probability: float
    service_level: float
    asa_s: float
    abandon_rate: float
    occupancy: float


@dataclass(frozen=True, slots=True)
class StaffingTarget:
    """What an interval must meet; None leaves a figure free."""

    service_level: float | None = 0.8
    within_s: float = 20.0
    asa_s: float | None = None
    abandon_rate: float | None = None
    max_occupancy: float | None = None
    shrinkage: float = 0.0

    def __post_init__(self) -> None:
        checks = (
            (self.service_level is None or 0 < self.service_level < 1, "service level in (0, 1)"),
            (self.within_s >= 0, "within_s must be >= 0"),
            (self.asa_s is None or self.asa_s > 0, "target ASA must be > 0"),
            (self.abandon_rate is None or 0 < self.abandon_rate < 1, "abandon rate in (0, 1)"),
            (self.max_occupancy is None or 0 < self.max_occupancy <= 1, "occupancy in (0, 1]"),
            (0 <= self.shrinkage < 1, "shrinkage must be in [0, 1)"),
        )
        for ok, message in checks:
            if not ok:
                raise InvalidInput(f"target: {message}")

    def met_by(self, f: ErlangFigures) -> bool:
        return (
            (self.service_level is None or f.service_level >= self.service_level)
            and (self.asa_s is None or f.asa_s <= self.asa_s)
            and (self.abandon_rate is None or f.abandon_rate <= self.abandon_rate)
            and (self.max_occupancy is None or f.occupancy <= self.max_occupancy)
        )


def _check_load(erlangs: float, agents: int) -> None:
    if not math.isfinite(erlangs) or erlangs < 0:
        raise InvalidInput(f"offered load must be a finite number >= 0, not {erlangs}")
    if agents < 0:
        raise InvalidInput(f"agents must be >= 0, not {agents}")


def erlang_b(erlangs: float, agents: int) -> float:
    """Blocking probability of M/M/n/n (the recursion, exact for any n)."""
    _check_load(erlangs, agents)
    b = 1.0
    for k in range(1, agents + 1):
        b = erlangs * b / (k + erlangs * b)
    return b


def erlang_c_wait_probability(erlangs: float, agents: int) -> float:
    """Probability that a caller waits in M/M/n; 1 when the agents cannot keep up."""
    if agents <= erlangs:
        _check_load(erlangs, agents)
        return 1.0
    b = erlang_b(erlangs, agents)
    return agents * b / (agents - erlangs * (1 - b))


def erlang_c(
    *, calls: float, interval_s: float, aht_s: float, agents: int, within_s: float
) -> ErlangFigures:
    erlangs = _erlangs(calls, interval_s, aht_s)
    if agents <= erlangs:
        return ErlangFigures(agents, erlangs, 1.0, 0.0, math.inf, 0.0, 1.0)
    c = erlang_c_wait_probability(erlangs, agents)
    gap = agents - erlangs
    return ErlangFigures(
        agents=agents,
        offered_erlangs=erlangs,
        wait_probability=c,
        service_level=1 - c * math.exp(-gap * within_s / aht_s),
        asa_s=c * aht_s / gap,
        abandon_rate=0.0,
        occupancy=erlangs / agents,
    )


def erlang_a(
    *,
    calls: float,
    interval_s: float,
    aht_s: float,
    patience_s: float,
    agents: int,
    within_s: float,
) -> ErlangFigures:
    erlangs = _erlangs(calls, interval_s, aht_s)
    if not patience_s > 0:
        raise InvalidInput(f"mean patience must be > 0 s, not {patience_s}")
    if agents == 0:
        return ErlangFigures(0, erlangs, 1.0, 0.0, math.inf, 1.0 if calls else 0.0, 0.0)
    lam, mu, theta = calls / interval_s, 1 / aht_s, 1 / patience_s
    full = agents * mu
    # Weights relative to "exactly n in system": below n they sum to 1/B (n itself incl.).
    below = 1 / erlang_b(erlangs, agents)
    waiting: list[float] = []  # weight of arriving to find m waiting, m = 0, 1, ...
    weight, total_above = 1.0, 0.0
    m = 0
    while True:
        waiting.append(weight)
        total_above += weight
        m += 1
        weight *= lam / (full + m * theta)
        if weight < _TAIL * (below + total_above) and m * theta > lam - full:
            break
    norm = below - 1 + total_above
    served_weights = [w / norm * full / (full + (k + 1) * theta) for k, w in enumerate(waiting)]
    no_wait = (below - 1) / norm
    served_after_wait = sum(served_weights)
    answered = no_wait + served_after_wait
    mean_wait_served = 0.0
    stages = 0.0
    for k, w in enumerate(served_weights):
        stages += 1 / (full + (k + 1) * theta)
        mean_wait_served += w * stages
    late = _served_later_than(served_weights, full, theta, within_s)
    return ErlangFigures(
        agents=agents,
        offered_erlangs=erlangs,
        wait_probability=1 - no_wait,
        service_level=answered - late,
        asa_s=mean_wait_served / answered if answered > 0 else math.inf,
        abandon_rate=1 - answered,
        occupancy=min(1.0, erlangs * answered / agents),
    )


def _served_later_than(weights: list[float], full: float, theta: float, t: float) -> float:
    """Sum over m of weights[m] * P(sum of Exp(full + j theta), j=1..m+1, > t)."""
    if t <= 0:
        return sum(weights)
    levels = len(weights)
    rate = full + levels * theta
    mass = [0.0, *weights]  # mass[i]: stages still to go
    mean = rate * t
    log_mean = math.log(mean)
    late = 0.0
    tail = 1.0
    k = 0
    while tail > _POISSON_TAIL or k < mean:
        poisson = math.exp(-mean + k * log_mean - math.lgamma(k + 1))
        late += poisson * sum(mass[1:])
        tail -= poisson
        # One uniformized step: from i stages, leave at (full + i theta) / rate.
        moved = [mass[i] * (full + i * theta) / rate for i in range(levels + 1)]
        for i in range(1, levels + 1):
            mass[i] += -moved[i] + (moved[i + 1] if i < levels else 0.0)
        k += 1
        if k > mean + 50 * math.sqrt(mean) + 100:
            break
    return late


def _erlangs(calls: float, interval_s: float, aht_s: float) -> float:
    if not (math.isfinite(calls) and calls >= 0):
        raise InvalidInput(f"calls must be a finite number >= 0, not {calls}")
    if not interval_s > 0:
        raise InvalidInput(f"interval must be > 0 s, not {interval_s}")
    if not aht_s > 0:
        raise InvalidInput(f"average handle time must be > 0 s, not {aht_s}")
    return calls * aht_s / interval_s


def figures(
    *,
    calls: float,
    interval_s: float,
    aht_s: float,
    patience_s: float | None,
    agents: int,
    within_s: float,
) -> ErlangFigures:
    """Erlang A when callers have a finite mean patience, else Erlang C."""
    if patience_s is None:
        return erlang_c(
            calls=calls, interval_s=interval_s, aht_s=aht_s, agents=agents, within_s=within_s
        )
    return erlang_a(
        calls=calls,
        interval_s=interval_s,
        aht_s=aht_s,
        patience_s=patience_s,
        agents=agents,
        within_s=within_s,
    )


def required_agents(
    *,
    calls: float,
    interval_s: float,
    aht_s: float,
    patience_s: float | None,
    target: StaffingTarget,
) -> ErlangFigures:
    """The smallest staffing (agents on the phones) meeting ``target``, and its figures.

    Every figure improves with each agent added, so the search doubles, then bisects.
    """

    def at(n: int) -> ErlangFigures:
        return figures(
            calls=calls,
            interval_s=interval_s,
            aht_s=aht_s,
            patience_s=patience_s,
            agents=n,
            within_s=target.within_s,
        )

    if calls == 0:
        return at(0)
    low, high = 0, max(1, math.ceil(_erlangs(calls, interval_s, aht_s)))
    while not target.met_by(at(high)):
        low, high = high, high * 2
        if high > MAX_AGENTS:
            raise InvalidInput(f"no staffing up to {MAX_AGENTS} agents meets the target")
    while high - low > 1:
        mid = (low + high) // 2
        low, high = (low, mid) if target.met_by(at(mid)) else (mid, high)
    return at(high)


def scheduled_agents(on_phones: int, shrinkage: float) -> int:
    """Operators to schedule so that ``on_phones`` remain after shrinkage (breaks,
    training, absence): ``ceil(n / (1 - shrinkage))``."""
    if not 0 <= shrinkage < 1:
        raise InvalidInput("shrinkage must be in [0, 1)")
    return math.ceil(on_phones / (1 - shrinkage) - 1e-9)
