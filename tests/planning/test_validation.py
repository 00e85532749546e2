"""The simulation (the real AcdEngine in a discrete-event loop) against the formulas.

Where Erlang's assumptions hold (one queue, Poisson arrivals, exponential handle times,
identical operators, wrap-up and ring time zero) the simulated service level and ASA
must hold Erlang C's value inside their 95 % confidence interval over the replications;
with exponential patience, Erlang A's (abandon rate too). Where the configured rules
matter, the simulation must part from the per-queue formula in the documented direction.
Seeds are fixed, so each run is the same.
"""

from __future__ import annotations

from callrouter.acd import EscalationStep, QueuePolicy
from callrouter.planning import (
    ALL_QUEUES,
    Interval,
    Plan,
    PlanRow,
    Profile,
    QueueLoad,
    Roster,
    Routing,
    RunSettings,
    SkillGroup,
    StaffingTarget,
    erlang_a,
    erlang_c,
    erlang_plan,
    simulation_plan,
)

HOURS = 4 * 3600
TARGET = StaffingTarget(service_level=0.8, within_s=20)
RUNS = RunSettings(replications=10, seed=7, warmup_s=1800)


def _one_queue(calls: float, aht_s: float, patience_s: float | None) -> Profile:
    return Profile(HOURS, (Interval(0, (QueueLoad("q", calls, aht_s, patience_s),)),))


def _routing() -> Routing:
    return Routing(queues=(QueuePolicy("q", wrapup_s=0),), groups=(SkillGroup("q", {"q": 0}),))


def _row(plan: Plan, queue: str) -> PlanRow:
    return next(r for r in plan.rows if r.queue == queue)


def test_simulation_agrees_with_erlang_c() -> None:
    calls, aht, agents = 1600.0, 120.0, 16  # 13.3 erlangs, 83 % occupancy
    plan = simulation_plan(
        _routing(), _one_queue(calls, aht, None), Roster({0: {"q": agents}}), TARGET, RUNS
    )
    sim = _row(plan, "q")
    exact = erlang_c(calls=calls, interval_s=HOURS, aht_s=aht, agents=agents, within_s=20)
    assert sim.service_level.contains(exact.service_level), (sim.service_level, exact)
    assert sim.asa_s.contains(exact.asa_s), (sim.asa_s, exact)
    assert sim.abandon_rate.mean == 0
    assert _row(plan, ALL_QUEUES).occupancy.contains(exact.occupancy)
    # The interval is narrow enough to mean something.
    assert sim.service_level.high - sim.service_level.low < 0.15


def test_simulation_agrees_with_erlang_a() -> None:
    calls, aht, patience, agents = 1800.0, 120.0, 90.0, 14  # 15 erlangs on 14 operators
    plan = simulation_plan(
        _routing(), _one_queue(calls, aht, patience), Roster({0: {"q": agents}}), TARGET, RUNS
    )
    sim = _row(plan, "q")
    exact = erlang_a(
        calls=calls, interval_s=HOURS, aht_s=aht, patience_s=patience, agents=agents, within_s=20
    )
    assert sim.service_level.contains(exact.service_level), (sim.service_level, exact)
    assert sim.asa_s.contains(exact.asa_s), (sim.asa_s, exact)
    assert sim.abandon_rate.contains(exact.abandon_rate), (sim.abandon_rate, exact)
    assert exact.abandon_rate > 0.05  # patience really matters here


def test_escalation_across_a_shared_pool_parts_from_per_queue_erlang_c() -> None:
    """Sales operators also serve support at penalty 1, and support escalates to them
    after 10 s. Per-queue Erlang C sees two separate teams of 10: support, the busier,
    badly served; sales fine. Through the routing core, sales operators take support's
    waiting callers: support does better than its Erlang C figure and sales worse."""
    profile = Profile(
        HOURS, (Interval(0, (QueueLoad("sales", 960, 120), QueueLoad("support", 1120, 120))),)
    )
    routing = Routing(
        queues=(
            QueuePolicy("sales", wrapup_s=0),
            QueuePolicy(
                "support",
                wrapup_s=0,
                max_penalty=0,
                escalation=(EscalationStep(after_s=10, max_penalty=1),),
            ),
        ),
        groups=(
            SkillGroup("sales", {"sales": 0, "support": 1}),
            SkillGroup("support", {"support": 0}),
        ),
    )
    roster = Roster({0: {"sales": 10, "support": 10}})
    spreadsheet = erlang_plan(
        profile, TARGET, roster=roster, routing=Routing.single_skill(["sales", "support"])
    )
    runs = RunSettings(replications=8, seed=3, warmup_s=1800)
    simulated = simulation_plan(routing, profile, roster, TARGET, runs)
    for queue, better in (("support", True), ("sales", False)):
        erlang = _row(spreadsheet, queue).service_level.mean
        sim = _row(simulated, queue).service_level
        if better:
            assert sim.low > erlang, (queue, sim, erlang)
        else:
            assert sim.high < erlang, (queue, sim, erlang)
