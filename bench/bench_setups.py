"""Call set-ups per second sustained by one callrouter process, with the simulated
Asterisk kept off the critical path.

    .venv/bin/python bench/bench_setups.py [--rates 500,700] [--seconds 20] [--warmup 3]
                                           [--operators 2000] [--talk 1] [--wrapup 0.5]
                                           [--profile FILE]

For each rate, a fresh simulator child and service (``scale_harness.py``) on one
embedded PostgreSQL. Callers arrive as a Poisson stream for ``--warmup`` + ``--seconds``;
the operators (answer after 0.2 s, talk ``--talk`` +-50 %) are enough that every call
can be connected at once. Only callers that enter Stasis after the warm-up count.
Figures, per call, read from the simulator's channel log (one clock, the simulator's):

- StasisStart -> originate of the operator's leg, and StasisStart -> both parties in
  the bridge (the later of the two ``ChannelEnteredBridge``; includes the 0.2 s answer);
- set-ups routed per second in the window (calls rung, and calls with both bridged);
- ARI requests and ARI events (by type) per call, PostgreSQL committed transactions per
  call, over the whole run, all calls ended;
- CPU of callrouter, the simulator and PostgreSQL over the window (``/proc``), per call
  and in cores busy.

How the simulator is kept from being the bottleneck: it runs in its own process on
uvloop, calls are placed by calling its call flows in that process (no HTTP control
requests), and the figures show its cores busy (below 1.0 means it waited for work)
and its event loop's lag (a 5 ms probe: how late it wakes). The simulator is one ARI
server, as Asterisk is, so it cannot be sharded behind one callrouter.

``--profile FILE``: cProfile (process-time timer) of the service (into FILE) and of the
simulator (FILE.sim) at the last rate, a separate run after the measured ones (the
profiler slows both down); prints the internal time by package (a C function counts for
its own package, e.g. pydantic_core, orjson, _asyncio, else for its Python callers') and
the service's top 20 functions by internal time.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import dataclasses
import itertools
import pstats
import random
import re
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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

from callrouter.config import Settings
from callrouter.sim._base import JsonObj

TOP = 20


@dataclass(frozen=True)
class SetupsPlan:
    rate: float
    warmup_s: float
    seconds: float
    talk_s: float
    drain_s: float
    seed: int


# -- the simulator's side: load, then the channel log read back ------------------------


def call_timings(records: list[JsonObj], start: float, end: float) -> JsonObj:
    """Per caller who entered Stasis in [start, end) (simulator clock): ms from its
    StasisStart to the first leg originated with its number, and to both in the bridge."""
    legs: dict[str, list[JsonObj]] = defaultdict(list)
    for record in records:
        if record["origin"] != "inbound":
            legs[record["caller"]["number"]].append(record)
    entered = 0
    to_ring: list[float] = []
    to_bridged: list[float] = []
    for record in records:
        if record["origin"] != "inbound" or not record["stasis"]:
            continue
        stasis_at = next(m["at"] for m in record["timeline"] if m["event"] == "stasis_start")
        if not start <= stasis_at < end:
            continue
        entered += 1
        its_legs = legs.get(record["caller"]["number"], [])
        if its_legs:
            to_ring.append((min(leg["created"] for leg in its_legs) - stasis_at) * 1000)
        if record["bridges"]:
            stay = record["bridges"][0]
            peers = [s for leg in its_legs for s in leg["bridges"] if s["bridge"] == stay["bridge"]]
            if peers:
                both = max(stay["entered"], min(s["entered"] for s in peers))
                to_bridged.append((both - stasis_at) * 1000)
    return {"entered": entered, "to_ring_ms": to_ring, "to_bridged_ms": to_bridged}


async def setups_scenario(sim: InstrumentedSimulator, plan: SetupsPlan) -> JsonObj:
    rng = random.Random(plan.seed)
    clock = sim.core.clock
    to_sim_clock = clock.now() - time.perf_counter()
    t_go = time.perf_counter()
    numbers = (caller_number(n) for n in itertools.count())
    placed = await place_paced(sim, numbers, plan.rate, rng, seconds=plan.warmup_s + plan.seconds)
    window = (t_go + plan.warmup_s, t_go + plan.warmup_s + plan.seconds)
    offered = sum(1 for _, t in placed if window[0] <= t < window[1])
    late = time.perf_counter() - (t_go + plan.warmup_s + plan.seconds)
    deadline = time.perf_counter() + plan.drain_s + plan.talk_s * 1.5 + ANSWER_AFTER_S + 2
    while time.perf_counter() < deadline:
        if not sim.core.switch.channels:
            break
        await asyncio.sleep(0.1)
    timings = call_timings(
        sim.core.switch.log.to_json(), window[0] + to_sim_clock, window[1] + to_sim_clock
    )
    return {
        **timings,
        "placed": len(placed),
        "offered_in_window": offered,
        "generator_late_s": late,
        "window": window,
        "left_live": len(sim.core.switch.channels),
    }


# -- figures ---------------------------------------------------------------------------


def report_setups(plan: SetupsPlan, operators: int, wrapup_s: float, run: ServiceRun) -> None:
    r = run.results
    placed, entered = int(r["placed"]), int(r["entered"])
    rung, bridged = r["to_ring_ms"], r["to_bridged_ms"]
    print(
        f"set-ups at {plan.rate:g} calls/s offered (Poisson), {operators} operators "
        f"(answer {ANSWER_AFTER_S:g} s, talk {plan.talk_s:g} s +-50 %, wrap-up {wrapup_s:g} s),"
        f" window {plan.seconds:g} s after {plan.warmup_s:g} s warm-up"
    )
    print(f"  {load_average()} (at the end of the run)")
    print(
        f"  offered in the window {r['offered_in_window'] / plan.seconds:.1f}/s (generator "
        f"{r['generator_late_s'] * 1000:.0f} ms late at the end); of {entered} callers that "
        f"entered: rung {len(rung) / plan.seconds:.1f}/s, both bridged "
        f"{len(bridged) / plan.seconds:.1f}/s, never rung {entered - len(rung)}"
    )
    print(f"  StasisStart -> originate (ms): {quantiles_ms(rung)}")
    print(f"  StasisStart -> both in the bridge (ms, incl. answer): {quantiles_ms(bridged)}")
    start, end = r["window"]
    share = run.sampler.cpu_share(start, end)
    print(f"  {describe_cpu(share)}")
    if share:
        rate = r["offered_in_window"] / plan.seconds
        per_call = {k: share[k] * 1000 / max(rate, 1e-9) for k in ("service", "sim", "postgres")}
        print(
            f"  CPU per call offered (ms): callrouter {per_call['service']:.2f}, simulator "
            f"{per_call['sim']:.2f}, PostgreSQL {per_call['postgres']:.2f}"
        )
    print(f"  {describe_lag(r['sim_loop_lag_ms'])}")
    events = r["events_by_type"]
    top_events = sorted(events.items(), key=lambda kv: -kv[1])
    print(
        f"  per call over the run ({placed} placed, {r['left_live']} channels left): ARI "
        f"requests {r['ari_requests'] / max(placed, 1):.1f}, ARI events "
        f"{sum(events.values()) / max(placed, 1):.1f} ("
        + ", ".join(f"{k} {v / max(placed, 1):.1f}" for k, v in top_events)
        + f"), PostgreSQL commits {run.db_commits / max(placed, 1):.2f}, "
        f"WAL syncs {run.wal_syncs / max(placed, 1):.2f}"
    )


def package_of(filename: str) -> str:
    """``.../site-packages/aiohttp/client.py`` -> aiohttp; callrouter/ari/_http.py ->
    callrouter.ari; stdlib ``asyncio/events.py`` -> asyncio; ``bench/...`` -> bench."""
    parts = Path(filename).parts
    if "site-packages" in parts:
        return parts[parts.index("site-packages") + 1].removesuffix(".py")
    if "callrouter" in parts:
        index = len(parts) - 1 - parts[::-1].index("callrouter")
        return ".".join(parts[index : index + 2]).removesuffix(".py")
    if "bench" in parts:
        return "bench"
    for index, part in enumerate(parts):
        if part.startswith("python3"):
            return parts[index + 1].removesuffix(".py") if index + 1 < len(parts) else part
    return filename


def c_owner(name: str) -> str | None:
    """The package of a C function from cProfile's name for it, e.g. "<method
    'validate_python' of 'pydantic_core._pydantic_core.SchemaValidator' objects>" ->
    pydantic, "<built-in method _asyncio.get_running_loop>" -> asyncio; None for the
    builtins (dict.get, isinstance, ...), which belong to whoever calls them."""
    found = _C_OWNER.search(name)
    qualified = (found.group(1) or found.group(2)) if found is not None else ""
    if "." not in qualified or qualified.startswith("builtins."):
        return None
    top = qualified.split(".", 1)[0].lstrip("_")
    return _C_PACKAGES.get(top, top)


_C_OWNER = re.compile(r"of '([\w.]+)' objects|built-in method ([\w.]+)")
_C_PACKAGES = {"pydantic_core": "pydantic", "posix": "os", "socket": "socket (C)"}


def by_package(stats: pstats.Stats) -> list[tuple[str, float]]:
    """Internal time per package. A C function counts for its own package when it has
    one (pydantic_core, orjson, _asyncio, re), else for the package of its callers."""
    totals: dict[str, float] = defaultdict(float)
    raw: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    for (filename, _, name), (_, _, tottime, _, callers) in raw.items():
        if filename != "~":
            totals[package_of(filename)] += tottime
            continue
        owner = c_owner(name)
        if owner is not None:
            totals[owner] += tottime
            continue
        charged = sum(edge[2] for edge in callers.values())
        for (caller_file, _, _), edge in callers.items():
            totals[package_of(caller_file)] += edge[2]
        totals["builtins called from C (the event loop)"] += max(tottime - charged, 0.0)
    return sorted(totals.items(), key=lambda kv: -kv[1])


def report_profile(path: str, whose: str, *, functions: int) -> None:
    stats = pstats.Stats(path)
    total = sum(v[2] for v in stats.stats.values())  # type: ignore[attr-defined]
    print(f"profile of {whose} (cProfile, process time, {total:.1f} s), saved in {path}")
    print(f"  internal time by package (top {TOP}):")
    for name, seconds in by_package(stats)[:TOP]:
        print(f"    {seconds:7.2f} s  {seconds / total:5.1%}  {name}")
    if functions:
        print(f"  top {functions} functions by internal time:")
        stats.sort_stats("tottime").print_stats(functions)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--rates", default="500,700", help="calls per second, comma-separated")
    parser.add_argument("--seconds", type=float, default=20.0, help="measured window")
    parser.add_argument("--warmup", type=float, default=3.0, help="arrivals not counted, s")
    parser.add_argument("--operators", type=int, default=2000)
    parser.add_argument("--talk", type=float, default=1.0, help="mean talk time, seconds")
    parser.add_argument("--wrapup", type=float, default=0.5, help="queue wrap-up, seconds")
    parser.add_argument("--drain", type=float, default=5.0, help="wait for late calls, s")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--profile", metavar="FILE", help="also profile the last rate (the simulator: FILE.sim)"
    )
    service_arguments(parser)
    args = parser.parse_args()
    try:
        rates = [float(rate) for rate in args.rates.split(",")]
    except ValueError:
        parser.error("--rates: numbers separated by commas, e.g. 500,700")
    if min(rates) <= 0 or args.seconds <= 0 or args.operators < 1 or args.talk <= 0:
        parser.error("--rates, --seconds, --operators and --talk must be positive")

    def settings_for(url: str) -> Settings:
        return service_settings(
            url, operators=args.operators, wrapup_s=args.wrapup, recording=args.recording,
            announce_every_s=args.announce_every,
        )  # fmt: skip

    def job_for(rate: float) -> tuple[SetupsPlan, SimJob]:
        plan = SetupsPlan(
            rate=rate, warmup_s=args.warmup, seconds=args.seconds, talk_s=args.talk,
            drain_s=args.drain, seed=args.seed,
        )  # fmt: skip
        timeout = plan.warmup_s + plan.seconds + plan.drain_s + plan.talk_s * 2 + 120.0
        return plan, SimJob(
            scenario=setups_scenario, plan=plan, operators=args.operators, talk_s=args.talk,
            seed=args.seed, loop=args.sim_loop, timeout_s=timeout,
        )  # fmt: skip

    with embedded_postgres(args) as (dsn, postmaster_pid):
        for rate in rates:
            plan, job = job_for(rate)
            run = run_loop(args.loop)(
                run_with_service(job, settings_for, dsn=dsn, postmaster_pid=postmaster_pid)
            )
            report_setups(plan, args.operators, args.wrapup, run)
        if args.profile:
            profile = cProfile.Profile(time.process_time)
            plan, job = job_for(rates[-1])
            sim_profile = args.profile + ".sim"
            job = dataclasses.replace(job, profile_path=sim_profile)
            run = run_loop(args.loop)(
                run_with_service(
                    job, settings_for, dsn=dsn, postmaster_pid=postmaster_pid, profile=profile
                )
            )
            print("(profiled run, both processes under cProfile, slower than the figures above:)")
            report_setups(plan, args.operators, args.wrapup, run)
            profile.dump_stats(args.profile)
            report_profile(args.profile, "the service", functions=TOP)
            report_profile(sim_profile, "the simulator", functions=0)
    print(f"  the simulator ran on {args.sim_loop}, the service on {args.loop}")


if __name__ == "__main__":
    main()
