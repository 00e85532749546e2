"""Planning bench: how long one simulated day of a 200-operator center takes.

    .venv/bin/python bench/bench_plan.py [--operators 200] [--replications 3] [--seed 1]

A day from 08:00 to 20:00 in half hours, two queues (sales and support) with a
morning and an afternoon peak sized so that the Erlang C staffing of the peak is about
``--operators``; 4 min average handle time, 15 s wrap-up, callers' mean patience 3 min,
3 s ring. Three skill groups (sales, support, and a blended group that serves support
at penalty 1 with support escalating to it after 30 s), on duty per half hour as Erlang
C sizes each queue. Each replication runs the whole day through the real ``AcdEngine``
(``callrouter.planning.simulate_day``); the bench prints the calls simulated, the wall
time per day and the calls simulated per second. Nothing asserts on timing.

Then the same day with a predictive campaign blended into sales (30% of lines answered,
3 min talk, no lead limit, 2 operators kept for inbound, dial-ahead off): the dialer's
pacing decides every line, the customers go through the same engine. It prints the
wall time, the lines and customers simulated, the campaign's abandon rate and the
inbound service level beside the inbound-only run's (same seeds).
"""

from __future__ import annotations

import argparse
import math
import time

from callrouter.acd import EscalationStep, QueuePolicy
from callrouter.dialer import PacingConfig, PacingMode
from callrouter.planning import (
    Campaign,
    DayTally,
    Interval,
    OutboundLoad,
    Profile,
    QueueLoad,
    Roster,
    Routing,
    SimulationSettings,
    SkillGroup,
    StaffingTarget,
    required_agents,
    simulate_day,
)

HALF_HOUR = 1800
AHT_S, PATIENCE_S = 240.0, 180.0


def _shape(k: int) -> float:
    """Share of the peak load in half hour k of 24 (08:00-20:00): two bumps."""
    hour = 8 + k / 2
    return 0.35 + 0.65 * max(math.exp(-((hour - 11) ** 2) / 4), math.exp(-((hour - 15) ** 2) / 5))


def build(operators: int) -> tuple[Routing, Profile, Roster]:
    peak_calls = operators * 0.93 * HALF_HOUR / AHT_S  # both queues at peak
    routing = Routing(
        queues=(
            QueuePolicy("sales", wrapup_s=15),
            QueuePolicy(
                "support",
                wrapup_s=15,
                max_penalty=0,
                escalation=(EscalationStep(after_s=30, max_penalty=1),),
            ),
        ),
        groups=(
            SkillGroup("sales", {"sales": 0}),
            SkillGroup("support", {"support": 0}),
            SkillGroup("blended", {"sales": 0, "support": 1}),
        ),
    )
    target = StaffingTarget(service_level=0.8, within_s=20)
    intervals, staff = [], {}
    for k in range(24):
        start = 8 * 3600 + k * HALF_HOUR
        sales, support = peak_calls * 0.45 * _shape(k), peak_calls * 0.55 * _shape(k)
        loads = (
            QueueLoad("sales", sales, AHT_S, PATIENCE_S),
            QueueLoad("support", support, AHT_S, PATIENCE_S),
        )
        need = {
            ld.queue: required_agents(
                calls=ld.calls, interval_s=HALF_HOUR, aht_s=AHT_S, patience_s=None, target=target
            ).agents
            for ld in loads
        }
        blended = need["sales"] // 4
        staff[start] = {
            "sales": need["sales"] - blended,
            "support": need["support"],
            "blended": blended,
        }
        intervals.append(Interval(start, loads, (OutboundLoad("sales", 0.3, 180.0),)))
    return routing, Profile(HALF_HOUR, tuple(intervals)), Roster(staff)


CAMPAIGN = Campaign(
    "renewals", "sales", PacingConfig(mode=PacingMode.PREDICTIVE, abandon_cap=0.03),
    inbound_reserve=2,
)  # fmt: skip


def _service_level(day: DayTally) -> float:
    offered = sum(t.offered for t in day.calls.values())
    return sum(t.answered_within for t in day.calls.values()) / offered


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--operators", type=int, default=200)
    parser.add_argument("--replications", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    routing, profile, roster = build(args.operators)
    most = max(roster.total(i.start_s) for i in profile.intervals)
    print(f"day 08:00-20:00, {len(profile.intervals)} half hours, up to {most} operators on duty")
    for r in range(args.replications):
        settings = SimulationSettings(ring_s=3, seed=args.seed + r)
        started = time.perf_counter()
        day = simulate_day(routing, profile, roster, settings, within_s=20)
        took = time.perf_counter() - started
        print(
            f"run {r + 1}: {day.simulated_calls} calls in {took:.2f} s "
            f"({day.simulated_calls / took:,.0f} calls/s); "
            f"service level {_service_level(day):.1%}"
        )
    # Operators' phones ring 1 s here: at 3 s every answered customer would wait past the
    # 2 s abandon rule, and the pacing would stop the campaign at once.
    print(f"blended with {CAMPAIGN.name} into sales, 1 s ring:")
    for r in range(args.replications):
        settings = SimulationSettings(ring_s=1, seed=args.seed + r)
        alone = simulate_day(routing, profile, roster, settings, within_s=20)
        started = time.perf_counter()
        blended = simulate_day(
            routing, profile, roster, settings, within_s=20, campaigns=[CAMPAIGN]
        )
        took = time.perf_counter() - started
        lines = blended.outbound.values()
        attempts, answered = sum(t.attempts for t in lines), sum(t.answered for t in lines)
        abandoned = sum(t.abandoned for t in lines)
        print(
            f"run {r + 1}: {took:.2f} s for {blended.simulated_calls} calls and {attempts} "
            f"lines ({sum(t.connected for t in lines)} customers connected, abandon rate "
            f"{abandoned / answered:.2%}); inbound service level "
            f"{_service_level(blended):.1%} ({_service_level(alone):.1%} without)"
        )


if __name__ == "__main__":
    main()
