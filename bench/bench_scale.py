"""Call-center scale: free operator to next ring with 10,000 callers waiting, and the
service's memory while 12,000 calls are live.

    .venv/bin/python bench/bench_scale.py [--operators 2000] [--waiting 10000]
                                          [--fill-rate 250] [--free-rate 20] [--samples 500]

Parts as in ``bench_routing.py``: an embedded PostgreSQL in a temporary folder, a
``SimulatedAsterisk`` (time_scale 1, on uvloop) in a child process and a
``CallrouterService`` (on uvloop, logging JSON at info to /dev/null, as ``serve`` does)
in this process (``scale_harness.py``). The operators' phones answer after 0.2 s and
never hang up by themselves; the queue has no wrap-up, so an operator is free the moment
their leg ends.

1. Fill: ``operators + waiting`` callers enter Stasis at ``--fill-rate`` per second
   (Poisson); the first ``operators`` are connected, the rest wait (answered, on hold,
   with the position announcement every 45 s, the service's default).
2. Memory: once every operator is talking and every waiting caller is answered, the
   service's VmRSS (``/proc/self/status``) is read for ``--hold`` seconds and compared
   with its VmRSS before the first call.
3. Free to ring: ``--samples`` times, at ``--free-rate`` per second, a random talking
   operator hangs up (a SIP BYE, made in the simulator process); the interval is from
   just before that hangup to the originate (``POST /ari/channels...`` naming that
   operator's endpoint) reaching the simulator, both read with ``time.perf_counter()``
   in the simulator process. Half a period later a new caller arrives, so the queue
   stays at ``--waiting``.

Nothing asserts on timing; the machine's load average is printed with the figures,
since the box is shared.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time
from dataclasses import dataclass

from scale_harness import (
    ANSWER_AFTER_S,
    InstrumentedSimulator,
    ServiceRun,
    SimJob,
    caller_number,
    describe_cpu,
    describe_lag,
    embedded_postgres,
    load_average,
    place_paced,
    quantiles_ms,
    run_loop,
    run_with_service,
    service_arguments,
    service_settings,
)
from scale_procfs import rss_kb

from callrouter.config import Settings
from callrouter.sim._base import JsonObj
from callrouter.sim._core import SimCore
from callrouter.sim._state import Channel

# -- the crowd scenario ----------------------------------------------------------------


@dataclass(frozen=True)
class CrowdPlan:
    operators: int
    waiting: int
    fill_rate: float
    free_rate: float
    samples: int
    hold_s: float
    settle_timeout_s: float
    seed: int


def crowd_counts(core: SimCore) -> dict[str, int]:
    counts = {"talking_operators": 0, "callers": 0, "waiting_answered": 0}
    for ch in core.switch.channels.values():
        if ch.origin == "originate" and ch.bridge is not None and ch.state == "Up":
            counts["talking_operators"] += 1
        elif ch.origin == "inbound" and ch.app is not None:
            counts["callers"] += 1
            if ch.bridge is None and ch.state == "Up":
                counts["waiting_answered"] += 1
    return counts


def _settled(plan: CrowdPlan, counts: dict[str, int]) -> bool:
    return (
        counts["talking_operators"] >= plan.operators and counts["waiting_answered"] >= plan.waiting
    )


def talking_operators(core: SimCore) -> list[Channel]:
    return [
        ch
        for ch in core.switch.channels.values()
        if ch.origin == "originate" and ch.bridge is not None and ch.state == "Up"
        and not ch.hanging_up
    ]  # fmt: skip


async def crowd_scenario(sim: InstrumentedSimulator, plan: CrowdPlan) -> JsonObj:
    rng = random.Random(plan.seed)
    loop = asyncio.get_running_loop()
    total = plan.operators + plan.waiting
    t_go = time.perf_counter()
    await place_paced(sim, (caller_number(n) for n in range(total)), plan.fill_rate, rng)
    t_placed = time.perf_counter()
    deadline = t_placed + plan.settle_timeout_s
    counts = crowd_counts(sim.core)
    while time.perf_counter() < deadline:
        if _settled(plan, counts):
            break
        await asyncio.sleep(0.2)
        counts = crowd_counts(sim.core)
    t_settled = time.perf_counter()
    await asyncio.sleep(plan.hold_s)
    t_held = time.perf_counter()
    period = 1.0 / plan.free_rate
    next_number = total
    for i in range(plan.samples):
        await asyncio.sleep(max(0.0, t_held + i * period - time.perf_counter()))
        candidates = talking_operators(sim.core)
        if not candidates:
            continue
        operator = rng.choice(candidates)
        sim.freed_at[f"{operator.tech}/{operator.resource}"] = time.perf_counter()
        sim.core.calls.far_end_hangup(operator, cause=None)
        loop.call_later(period / 2, sim.place, caller_number(next_number))
        next_number += 1
    deadline = time.perf_counter() + 5.0
    while time.perf_counter() < deadline:
        if not sim.freed_at:
            break
        await asyncio.sleep(0.05)
    return {
        "fill_s": t_placed - t_go,
        "settle_s": t_settled - t_placed,
        "settled_counts": counts,
        "live_window": (t_settled, t_held),
        "measure_window": (t_held, time.perf_counter()),
        "free_to_ring_ms": sim.free_to_ring_ms,
        "never_rung": len(sim.freed_at),
        "end_counts": crowd_counts(sim.core),
    }


def report_crowd(plan: CrowdPlan, run: ServiceRun) -> None:
    r = run.results
    counts = r["settled_counts"]
    live = counts["callers"]
    print(
        f"crowd: {plan.operators} operators (answer after {ANSWER_AFTER_S:g} s, no wrap-up), "
        f"{plan.operators + plan.waiting} callers placed at {plan.fill_rate:g}/s in "
        f"{r['fill_s']:.1f} s; settled {r['settle_s']:.1f} s later with "
        f"{counts['talking_operators']} operators talking, {counts['waiting_answered']} "
        f"callers waiting (answered), {live} callers in Stasis"
    )
    print(f"  {load_average()} (at the end of the run)")
    start, end = r["live_window"]
    rss = [s.service_rss_kb for s in run.sampler.between(start, end)] or [rss_kb()]
    grown_kb = max(rss) - run.baseline.service_rss_kb
    print(
        f"  callrouter VmRSS: {run.baseline.service_rss_kb / 1024:.0f} MB before the first "
        f"call, {max(rss) / 1024:.0f} MB with {live} calls live (max of {len(rss)} readings "
        f"over {end - start:.1f} s): {grown_kb / max(live, 1):.1f} kB per live call"
    )
    print(f"  {describe_cpu(run.sampler.cpu_share(start, end))} (calls live, none arriving)")
    m_start, m_end = r["measure_window"]
    print(
        f"  free operator -> next ring (ms), operators hanging up at {plan.free_rate:g}/s "
        f"with {plan.waiting} waiting: {quantiles_ms(r['free_to_ring_ms'])}; "
        f"never rung: {r['never_rung']}"
    )
    print(f"  {describe_cpu(run.sampler.cpu_share(m_start, m_end))} (while measuring)")
    print(f"  {describe_lag(r['sim_loop_lag_ms'])} (the whole run)")
    end_counts = r["end_counts"]
    print(
        f"  at the end: {end_counts['talking_operators']} operators talking, "
        f"{end_counts['waiting_answered']} callers waiting"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--operators", type=int, default=2000)
    parser.add_argument("--waiting", type=int, default=10000, help="callers kept waiting")
    parser.add_argument("--fill-rate", type=float, default=250.0, help="calls/s to fill")
    parser.add_argument("--free-rate", type=float, default=20.0, help="hang-ups per second")
    parser.add_argument("--samples", type=int, default=500, help="operators freed")
    parser.add_argument("--hold", type=float, default=5.0, help="seconds all calls live")
    parser.add_argument("--settle-timeout", type=float, default=180.0)
    parser.add_argument("--seed", type=int, default=1)
    service_arguments(parser)
    args = parser.parse_args()
    if min(args.operators, args.waiting, args.samples) < 1 or args.fill_rate <= 0:
        parser.error("--operators, --waiting, --samples and --fill-rate must be positive")
    if args.free_rate <= 0:
        parser.error("--free-rate must be positive")
    plan = CrowdPlan(
        operators=args.operators, waiting=args.waiting, fill_rate=args.fill_rate,
        free_rate=args.free_rate, samples=args.samples, hold_s=args.hold,
        settle_timeout_s=args.settle_timeout, seed=args.seed,
    )  # fmt: skip
    timeout = (
        (plan.operators + plan.waiting) / plan.fill_rate + plan.settle_timeout_s + plan.hold_s
        + plan.samples / plan.free_rate + 60.0
    )  # fmt: skip
    job = SimJob(
        scenario=crowd_scenario, plan=plan, operators=plan.operators, talk_s=None,
        seed=plan.seed, loop=args.sim_loop, timeout_s=timeout,
    )  # fmt: skip

    def settings_for(url: str) -> Settings:
        return service_settings(
            url, operators=plan.operators, wrapup_s=0.0, recording=args.recording,
            announce_every_s=args.announce_every,
        )  # fmt: skip

    with embedded_postgres(args) as (dsn, postmaster_pid):
        run = run_loop(args.loop)(
            run_with_service(job, settings_for, dsn=dsn, postmaster_pid=postmaster_pid)
        )
    report_crowd(plan, run)
    print(f"  the simulator ran on {args.sim_loop}, the service on {args.loop}")


if __name__ == "__main__":
    main()
