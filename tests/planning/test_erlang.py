"""The formulas against published worked examples and independent computations."""

from __future__ import annotations

import math

import pytest

from callrouter.errors import InvalidInput
from callrouter.planning import (
    StaffingTarget,
    erlang_a,
    erlang_b,
    erlang_c,
    required_agents,
    scheduled_agents,
)


def test_erlang_c_matches_the_westbay_worked_example() -> None:
    # Westbay Engineers, "The Erlang-C formula" (erlang.com), the step-by-step example:
    # 360 calls per half hour, 4 minutes per call, 55 agents, 15 s target answer time.
    # Published: traffic 48 erlangs, occupancy 0.873, probability of waiting 0.2387,
    # average speed of answer 8.18 s, service level 84.6 % within 15 s.
    f = erlang_c(calls=360, interval_s=1800, aht_s=240, agents=55, within_s=15)
    assert f.offered_erlangs == 48
    assert f.occupancy == pytest.approx(0.873, abs=5e-4)
    assert f.wait_probability == pytest.approx(0.2387, abs=5e-5)
    assert f.asa_s == pytest.approx(8.18, abs=5e-3)
    assert f.service_level == pytest.approx(0.846, abs=5e-4)


@pytest.mark.parametrize(
    ("agents", "wait_probability", "service_level"),
    [(11, 0.6821, 0.3896), (12, 0.4494, 0.6402), (13, 0.2853, 0.7956), (14, 0.1741, 0.8884)],
)
def test_erlang_c_matches_the_call_centre_helper_worked_example(
    agents: int, wait_probability: float, service_level: float
) -> None:
    # Call Centre Helper, "Erlang C Formula - Made Simple With an Easy Worked Example":
    # 100 calls per 30 minutes, AHT 180 s (10 erlangs), 80 % in 20 s. Its table of
    # probability of waiting and service level for 11 to 14 agents.
    f = erlang_c(calls=100, interval_s=1800, aht_s=180, agents=agents, within_s=20)
    assert f.wait_probability == pytest.approx(wait_probability, abs=5e-5)
    assert f.service_level == pytest.approx(service_level, abs=5e-5)


def test_staffing_of_the_call_centre_helper_example_with_shrinkage() -> None:
    # Same article: 14 agents meet 80/20; with 30 % shrinkage, 20 to schedule.
    target = StaffingTarget(service_level=0.8, within_s=20, shrinkage=0.3)
    need = required_agents(calls=100, interval_s=1800, aht_s=180, patience_s=None, target=target)
    assert need.agents == 14
    assert scheduled_agents(need.agents, target.shrinkage) == 20
    assert need.occupancy == pytest.approx(10 / 14)


def _erlang_b_direct(a: float, n: int) -> float:
    # In log space, shifted by the largest term: A^k / k! itself overflows past k ~ 170.
    logs = [k * math.log(a) - math.lgamma(k + 1) for k in range(n + 1)]
    top = max(logs)
    terms = [math.exp(v - top) for v in logs]
    return terms[-1] / math.fsum(terms)


@pytest.mark.parametrize(("a", "n"), [(2, 5), (10, 14), (48, 55), (0.5, 3), (700, 750)])
def test_erlang_b_recursion_agrees_with_the_direct_sum(a: float, n: int) -> None:
    assert erlang_b(a, n) == pytest.approx(_erlang_b_direct(a, n), rel=1e-10)


def test_erlang_b_is_stable_for_thousands_of_agents() -> None:
    # 3000! overflows a float: the recursion never forms it.
    assert erlang_b(2900.0, 3000) == pytest.approx(_erlang_b_direct(2900.0, 3000), rel=1e-9)
    f = erlang_c(calls=2900 * 1800 / 240, interval_s=1800, aht_s=240, agents=3000, within_s=20)
    assert 0 < f.wait_probability < 1 and f.service_level > 0.9


def test_erlang_a_tends_to_erlang_c_as_callers_grow_patient() -> None:
    c = erlang_c(calls=360, interval_s=1800, aht_s=240, agents=55, within_s=15)
    a = erlang_a(calls=360, interval_s=1800, aht_s=240, patience_s=1e9, agents=55, within_s=15)
    assert a.service_level == pytest.approx(c.service_level, abs=1e-6)
    assert a.asa_s == pytest.approx(c.asa_s, rel=1e-5)
    assert a.abandon_rate < 1e-8


def test_erlang_a_agrees_with_the_published_formulas_and_littles_law() -> None:
    # Mandelbaum & Zeltyn (2007), "The Palm/Erlang-A queue, with applications to call
    # centers": P(W > 0) = A E / (1 + (A - 1) E) with E = Erlang B(n, lambda/mu) and
    # A = A(n mu / theta, lambda / theta), A(x, y) = 1 + sum_j y^j / prod_{k<=j} (x + k);
    # and abandonment obeys lambda P(Ab) = theta E[queue length].
    lam, mu, theta, n = 0.2, 1 / 240, 1 / 90, 46
    x, y = n * mu / theta, lam / theta
    series, term, j = 1.0, 1.0, 0
    while term > 1e-18 or j < y:
        j += 1
        term *= y / (x + j)
        series += term
    e = erlang_b(lam / mu, n)
    f = erlang_a(calls=lam * 1800, interval_s=1800, aht_s=240, patience_s=90, agents=n,
                 within_s=20)  # fmt: skip
    assert f.wait_probability == pytest.approx(series * e / (1 + (series - 1) * e), rel=1e-9)
    # E[queue] from the stationary distribution, independently of the formulas used.
    low = [math.exp(k * math.log(lam / mu) - math.lgamma(k + 1)) for k in range(n + 1)]
    high, w = [], low[-1]
    for m in range(1, 2000):
        w *= lam / (n * mu + m * theta)
        high.append(w)
    total = math.fsum(low) + math.fsum(high)
    queue = math.fsum(m * p for m, p in enumerate(high, start=1)) / total
    assert f.abandon_rate == pytest.approx(theta * queue / lam, rel=1e-9)
    assert 0 < f.service_level < 1 - f.abandon_rate


def test_erlang_a_service_level_is_zero_wait_share_at_zero_seconds() -> None:
    f = erlang_a(calls=300, interval_s=1800, aht_s=240, patience_s=60, agents=40, within_s=0)
    assert f.service_level == pytest.approx(1 - f.wait_probability, abs=1e-12)


def test_required_staffing_is_the_smallest_meeting_every_target() -> None:
    target = StaffingTarget(service_level=0.8, within_s=20, abandon_rate=0.02, asa_s=10)
    need = required_agents(calls=400, interval_s=1800, aht_s=300, patience_s=120, target=target)
    assert target.met_by(need)
    fewer = erlang_a(calls=400, interval_s=1800, aht_s=300, patience_s=120,
                     agents=need.agents - 1, within_s=20)  # fmt: skip
    assert not target.met_by(fewer)


def test_overloaded_erlang_c_is_reported_not_crashed() -> None:
    f = erlang_c(calls=100, interval_s=1800, aht_s=180, agents=10, within_s=20)
    assert (f.wait_probability, f.service_level, f.asa_s) == (1.0, 0.0, math.inf)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"calls": -1, "interval_s": 1800, "aht_s": 180},
        {"calls": 10, "interval_s": 0, "aht_s": 180},
        {"calls": 10, "interval_s": 1800, "aht_s": 0},
        {"calls": math.nan, "interval_s": 1800, "aht_s": 180},
    ],
)
def test_bad_loads_are_refused_clearly(kwargs: dict[str, float]) -> None:
    with pytest.raises(InvalidInput):
        erlang_c(**kwargs, agents=5, within_s=20)  # type: ignore[arg-type]


def test_bad_targets_are_refused() -> None:
    with pytest.raises(InvalidInput, match="shrinkage"):
        StaffingTarget(shrinkage=1.0)
    with pytest.raises(InvalidInput, match="service level"):
        StaffingTarget(service_level=80)
