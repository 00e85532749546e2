"""Routing latency of the whole service: a caller's StasisStart to the ARI request that
rings an operator, at a sustained Poisson arrival rate.

    .venv/bin/python bench/bench_routing.py [--rate 20] [--seconds 30] [--operators 200]
                                            [--queues 1] [--talk 3] [--wrapup 1]

Three parts, all on loopback: an embedded PostgreSQL in a temporary folder (the service
applies the migrations itself), a SimulatedAsterisk (time_scale 1) in a child process,
as a real Asterisk would be, and a ``CallrouterService`` in this process. The operators'
phones ``PJSIP/1000``... are scripted in the simulator to answer after 0.2 s and hang up
after a talk time (``--talk`` +-50 %, fixed per phone), so operators cycle through talk
and wrap-up. With ``--queues K`` the operators are split over K queues, one DID each,
and the calls over the DIDs.

What is measured, and where: both ends of the interval are taken in the simulator's
process with ``time.perf_counter()`` by a timing middleware this script adds to the
simulator's aiohttp app (nothing in callrouter is changed or looked into). The start is
when ``POST /sim/calls`` has returned from its handler, which has put the caller's
StasisStart on the events WebSocket queue; the end is when ``POST /ari/channels/{id}``
(originate) with the caller's number in ``callerId`` reaches the simulator. Each call
has a unique caller number, which is how the two are matched. The simulator's own
request log was not used: its ``ts`` has only millisecond resolution. The breakdown
splits the interval at the first ARI request that names the caller's channel.

Nothing here asserts on timing; it prints figures for people to compare.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import json
import math
import multiprocessing
import os
import pstats
import random
import re
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import structlog
from aiohttp import web

from callrouter.calls import CallrouterService
from callrouter.config import Settings
from callrouter.log import configure_logging
from callrouter.sim import SimControl, SimulatedAsterisk
from callrouter.store._embedded import start_embedded_postgres, stop_embedded_postgres

T = TypeVar("T")
USERNAME = "callrouter"
PASSWORD = "bench-secret"
ANSWER_AFTER_S = 0.2
FIRST_EXTENSION = 1000
FIRST_DID = 100
QUICK_MS = 100.0
# One REST round trip to a real Asterisk 22 on loopback (../shared/ari-captures/README.md).
REAL_ASTERISK_RTT_MS = 0.6
READY_TIMEOUT_S = 60.0
CHILD_TIMEOUT_S = 30.0

_ORIGINATE_PATH = re.compile(r"^/ari/channels/(?!create$)[^/]+$")
_CALLER_ID_NUMBER = re.compile(r"<([^>]*)>")
_CHANNEL_PATH = re.compile(r"^/ari/channels/([^/]+)")
_ADD_CHANNEL_PATH = re.compile(r"^/ari/bridges/([^/]+)/addChannel$")


@dataclass(frozen=True)
class Plan:
    rate: float
    seconds: float
    operators: int
    queues: int
    talk_s: float
    drain_s: float
    seed: int

    @property
    def max_calls(self) -> int:
        # Bounded whatever the Poisson draw: twice the expected count, plus a margin.
        return int(self.rate * self.seconds * 2) + 10

    def did(self, queue: int) -> str:
        return str(FIRST_DID + queue)


def caller_number(n: int) -> str:
    return f"+1555{n:07d}"


# -- the simulator's side (child process) ----------------------------------------------


@dataclass
class Timings:
    """Stamps taken by the timing middleware, in the simulator process."""

    stasis: dict[str, tuple[float, str]] = field(default_factory=dict)  # number -> t, chan
    rung: dict[str, float] = field(default_factory=dict)  # number -> first originate
    originates: int = 0
    first_request: dict[str, float] = field(default_factory=dict)  # channel -> t
    ari_requests: int = 0
    # bridge -> [(t, channels added)]: when both parties are in, from addChannel returns.
    bridge_adds: dict[str, list[tuple[float, int]]] = field(default_factory=dict)
    caller_bridge: dict[str, str] = field(default_factory=dict)  # caller channel -> bridge


def timing_middleware(timings: Timings) -> Callable[..., Awaitable[web.StreamResponse]]:
    @web.middleware
    async def timing(
        request: web.Request,
        handler: Callable[[web.Request], Awaitable[web.StreamResponse]],
    ) -> web.StreamResponse:
        now = time.perf_counter()
        path = request.path
        if path.startswith("/ari/"):
            timings.ari_requests += 1
            if request.method == "POST" and _ORIGINATE_PATH.match(path):
                timings.originates += 1
                found = _CALLER_ID_NUMBER.search(request.query.get("callerId", ""))
                if found is not None:
                    timings.rung.setdefault(found.group(1), now)
            channel = _CHANNEL_PATH.match(path)
            if channel is not None:
                timings.first_request.setdefault(channel.group(1), now)
            added = _ADD_CHANNEL_PATH.match(path) if request.method == "POST" else None
            if added is None:
                return await handler(request)
            response = await handler(request)
            if response.status < 300:
                channels = request.query.get("channel", "").split(",")
                adds = timings.bridge_adds.setdefault(added.group(1), [])
                adds.append((time.perf_counter(), len(channels)))
                for channel_id in channels:
                    timings.caller_bridge.setdefault(channel_id, added.group(1))
            return response
        if request.method == "POST" and path == "/sim/calls":
            response = await handler(request)
            done = time.perf_counter()
            if response.status == 200 and isinstance(response, web.Response) and response.text:
                channel_json = json.loads(response.text)
                number = str(channel_json["caller"]["number"])
                timings.stasis[number] = (done, str(channel_json["id"]))
            return response
        return await handler(request)

    return timing


class TimedSimulatedAsterisk(SimulatedAsterisk):
    """The simulator with this bench's timing middleware outermost."""

    def __init__(self, timings: Timings, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.timings = timings

    def build_app(self) -> web.Application:
        app = super().build_app()
        app.middlewares.insert(0, timing_middleware(self.timings))
        return app


async def _recv(conn: Connection, wait_s: float, peer: BaseProcess | None = None) -> Any:
    """The next message, waiting at most ``wait_s``; fails early if ``peer`` has died."""
    loop = asyncio.get_running_loop()
    deadline = time.perf_counter() + wait_s
    while not await loop.run_in_executor(None, conn.poll, 0.2):
        if peer is not None and not peer.is_alive():
            raise RuntimeError(f"the simulator process died (exit code {peer.exitcode})")
        if time.perf_counter() >= deadline:
            raise TimeoutError("no word from the other process")
    return conn.recv()


async def _generate_load(control: SimControl, plan: Plan, timings: Timings) -> dict[str, Any]:
    rng = random.Random(plan.seed)
    timings.ari_requests = timings.originates = 0  # the service's start-up is not a call
    calls: list[asyncio.Task[Any]] = []
    placed: list[str] = []
    started = time.perf_counter()
    offset = 0.0
    while len(placed) < plan.max_calls:
        offset += rng.expovariate(plan.rate)
        if offset >= plan.seconds:
            break
        delay = started + offset - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        number = caller_number(len(placed))
        did = plan.did(rng.randrange(plan.queues))
        calls.append(asyncio.create_task(control.place_call(caller_number=number, exten=did)))
        placed.append(number)
    load_s = time.perf_counter() - started
    outcomes = await asyncio.gather(*calls, return_exceptions=True)
    errors = sum(1 for outcome in outcomes if isinstance(outcome, BaseException))
    deadline = time.perf_counter() + plan.drain_s
    while time.perf_counter() < deadline:
        if all(n in timings.rung for n in placed if n in timings.stasis):
            break
        await asyncio.sleep(0.05)
    rung_by = time.perf_counter() - started
    originates = timings.originates

    latencies: list[float] = []
    to_bridged: list[float] = []
    to_first: list[float] = []
    first_to_ring: list[float] = []
    unrouted = 0
    for number in placed:
        stamp = timings.stasis.get(number)
        if stamp is None:
            continue
        t_stasis, channel_id = stamp
        t_ring = timings.rung.get(number)
        if t_ring is None:
            unrouted += 1
            continue
        latencies.append((t_ring - t_stasis) * 1000)
        t_bridged = _both_in_bridge(timings, channel_id)
        if t_bridged is not None:
            to_bridged.append((t_bridged - t_stasis) * 1000)
        t_first = timings.first_request.get(channel_id)
        if t_first is not None and t_first <= t_ring:
            to_first.append((t_first - t_stasis) * 1000)
            first_to_ring.append((t_ring - t_first) * 1000)
    # Every call ends by itself (the operator hangs up): give them time, then count
    # what is left, which should be nothing.
    deadline = time.perf_counter() + plan.talk_s * 1.5 + ANSWER_AFTER_S + 2.0
    while True:
        live_channels = len((await control.state())["channels"])
        if live_channels == 0 or time.perf_counter() >= deadline:
            break
        await asyncio.sleep(0.1)
    return {
        "placed": len(placed),
        "errors": errors,
        "entered": len(timings.stasis),
        "unrouted": unrouted,
        "load_s": load_s,
        "rung_by_s": rung_by,
        "latencies_ms": latencies,
        "to_bridged_ms": to_bridged,
        "to_first_ms": to_first,
        "first_to_ring_ms": first_to_ring,
        "originates": originates,
        "ari_requests": timings.ari_requests,
        "live_channels": live_channels,
    }


def _both_in_bridge(timings: Timings, caller_channel: str) -> float | None:
    """When the second party joined the caller's bridge (the issue's "both bridged")."""
    bridge = timings.caller_bridge.get(caller_channel)
    joined = 0
    for stamp, count in timings.bridge_adds.get(bridge or "", []):
        joined += count
        if joined >= 2:
            return stamp
    return None


async def _simulator_main(conn: Connection, plan: Plan) -> None:
    timings = Timings()
    rng = random.Random(plan.seed + 1)
    async with (
        TimedSimulatedAsterisk(
            timings, username=USERNAME, password=PASSWORD, host="127.0.0.1", port=0,
            time_scale=1.0,
        ) as sim,
        SimControl(sim.url) as control,
    ):  # fmt: skip
        for i in range(plan.operators):
            await control.set_endpoint(
                "PJSIP",
                str(FIRST_EXTENSION + i),
                behavior="answer",
                answer_after=ANSWER_AFTER_S,
                hangup_after=round(plan.talk_s * rng.uniform(0.5, 1.5), 3),
            )
        conn.send(("listening", sim.url))
        if await _recv(conn, READY_TIMEOUT_S) != "go":
            return
        conn.send(("results", await _generate_load(control, plan, timings)))
        await _recv(conn, CHILD_TIMEOUT_S)  # "stop": the service has let go of us


def simulator_process(conn: Connection, plan: Plan) -> None:
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(40))
    with contextlib.suppress(KeyboardInterrupt, TimeoutError):
        asyncio.run(_simulator_main(conn, plan))


# -- the service's side (this process) -------------------------------------------------


def make_settings(url: str, plan: Plan, wrapup_s: float) -> Settings:
    queues = {f"q{q}": {"ring_timeout_s": 15, "wrapup_s": wrapup_s} for q in range(plan.queues)}
    operators = {
        f"op{FIRST_EXTENSION + i}": {
            "endpoint": f"PJSIP/{FIRST_EXTENSION + i}",
            "queues": {f"q{i % plan.queues}": 0},
            "logged_in": True,
        }
        for i in range(plan.operators)
    }
    return Settings.model_validate(
        {
            "ari": {"url": url, "username": USERNAME, "password": PASSWORD},
            "agi": {"enabled": False},
            "http": {"enabled": False},
            "queues": queues,
            "operators": operators,
            "routes": {plan.did(q): f"q{q}" for q in range(plan.queues)},
        }
    )


async def _start_service(service: CallrouterService) -> asyncio.Task[None]:
    task = asyncio.create_task(service.run(), name="callrouter")
    ready = asyncio.create_task(service.ready.wait())
    done, _ = await asyncio.wait({task, ready}, timeout=READY_TIMEOUT_S,
                                 return_when=asyncio.FIRST_COMPLETED)  # fmt: skip
    if ready not in done:
        ready.cancel()
        if task in done:
            task.result()  # raises the start-up failure
        task.cancel()
        raise TimeoutError("callrouter did not become ready")
    return task


async def _stop_service(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def _database_counters(dsn: str) -> tuple[int, int]:
    """Committed transactions in the service's database, and WAL syncs (server-wide)."""
    conn = await asyncpg.connect(dsn)
    try:
        commits = await conn.fetchval(
            "SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()"
        )
        syncs = await conn.fetchval("SELECT wal_sync FROM pg_stat_wal")
    finally:
        await conn.close()
    return int(commits), int(syncs)


async def run(
    plan: Plan, wrapup_s: float, dsn: str, profile: cProfile.Profile | None = None
) -> dict[str, Any]:
    ctx = multiprocessing.get_context("spawn")
    ours, theirs = ctx.Pipe()
    child = ctx.Process(target=simulator_process, args=(theirs, plan), daemon=True)
    child.start()
    try:
        kind, url = await _recv(ours, READY_TIMEOUT_S, child)
        assert kind == "listening"
        service = CallrouterService(
            settings=make_settings(url, plan, wrapup_s), dsn=dsn, node="bench"
        )
        task = await _start_service(service)
        try:
            commits, syncs = await _database_counters(dsn)
            cpu_before = time.process_time()
            if profile is not None:
                profile.enable()
            ours.send("go")
            kind, results = await _recv(
                ours, plan.seconds + plan.drain_s + plan.talk_s * 1.5 + CHILD_TIMEOUT_S, child
            )
            if profile is not None:
                profile.disable()
            # This process is callrouter alone (the simulator is the child); the pipe
            # polling costs a few ms over the whole run.
            results["service_cpu_s"] = time.process_time() - cpu_before
            assert kind == "results"
        finally:
            await _stop_service(task)
        ours.send("stop")
        # After the stop: the writer has flushed and the pool's backends have exited,
        # which is when PostgreSQL publishes their statistics.
        commits_after, syncs_after = await _database_counters(dsn)
        results["db_commits"] = commits_after - commits
        results["wal_syncs"] = syncs_after - syncs
        return dict(results)
    finally:
        await asyncio.get_running_loop().run_in_executor(None, child.join, CHILD_TIMEOUT_S)
        if child.is_alive():
            child.terminate()
            child.join()


# -- figures -----------------------------------------------------------------------------


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile of sorted ``values``."""
    rank = max(1, math.ceil(fraction * len(values)))
    return values[rank - 1]


def report(plan: Plan, wrapup_s: float, results: dict[str, Any]) -> None:
    latencies: list[float] = sorted(results["latencies_ms"])
    placed, entered = int(results["placed"]), int(results["entered"])
    rung = len(latencies)
    cycle = ANSWER_AFTER_S + plan.talk_s + wrapup_s
    print(
        f"routing: {plan.operators} operators in {plan.queues} queue(s), talk {plan.talk_s:g} s "
        f"(+-50%), wrap-up {wrapup_s:g} s: capacity about {plan.operators / cycle:.0f} calls/s"
    )
    print(
        f"  offered {placed} calls in {results['load_s']:.1f} s = "
        f"{placed / results['load_s']:.1f} calls/s (Poisson, target {plan.rate:g}/s); "
        f"entered Stasis {entered}, place errors {results['errors']}"
    )
    print(
        f"  rung {rung} = {rung / results['rung_by_s']:.1f} calls/s routed; "
        f"not rung {plan.drain_s:g} s after the last arrival: {results['unrouted']}; "
        f"originates {results['originates']} "
        f"(re-rings {results['originates'] - rung}); "
        f"ARI requests {results['ari_requests'] / max(entered, 1):.1f} per call; "
        f"channels left once calls ended {results['live_channels']}"
    )
    print(
        f"  PostgreSQL while the calls ran (approximate: all of the service's sessions): "
        f"{results['db_commits'] / max(entered, 1):.1f} committed transactions and "
        f"{results['wal_syncs'] / max(entered, 1):.1f} WAL syncs per call"
    )
    if not latencies:
        print("  no call was rung: no latency figures")
        return
    p50, p90, p99 = (percentile(latencies, f) for f in (0.50, 0.90, 0.99))
    print(
        f"  StasisStart -> originate, calls rung (ms): p50 {p50:.2f}  p90 {p90:.2f}  "
        f"p99 {p99:.2f}  max {latencies[-1]:.2f}  mean {statistics.fmean(latencies):.2f}"
    )
    quick = sum(1 for value in latencies if value <= QUICK_MS)
    print(
        f"  rung within {QUICK_MS:g} ms (no queue wait): {quick / max(entered, 1):.1%} "
        f"of the calls that entered Stasis ({quick}/{entered})"
    )
    print(
        f"  p99 / real Asterisk REST round trip median ({REAL_ASTERISK_RTT_MS} ms, "
        f"../shared/ari-captures): {p99 / REAL_ASTERISK_RTT_MS:.1f}x"
    )
    bridged: list[float] = sorted(results["to_bridged_ms"])
    if bridged:
        print(
            f"  StasisStart -> both parties in the bridge (ms, {len(bridged)} calls): "
            f"p50 {percentile(bridged, 0.5):.2f}  p90 {percentile(bridged, 0.9):.2f}  "
            f"p99 {percentile(bridged, 0.99):.2f}  (operators answer after "
            f"{ANSWER_AFTER_S * 1000:.0f} ms, included)"
        )
    print(
        f"  callrouter CPU per call: {results['service_cpu_s'] * 1000 / max(entered, 1):.2f} ms "
        f"(process time of the service's process over the run / calls that entered)"
    )
    to_first: list[float] = sorted(results["to_first_ms"])
    first_to_ring: list[float] = sorted(results["first_to_ring_ms"])
    if to_first:
        print(
            "  split at the first ARI request on the caller's channel (ms, p50 / p99): "
            f"StasisStart -> it {percentile(to_first, 0.5):.2f} / "
            f"{percentile(to_first, 0.99):.2f}; it -> originate "
            f"{percentile(first_to_ring, 0.5):.2f} / {percentile(first_to_ring, 0.99):.2f}"
        )
    print(
        "  (both stamps taken in the simulator process with time.perf_counter() by a timing "
        "middleware of this bench; the sim's request-log ts has only 1 ms resolution)"
    )


def run_loop(kind: str) -> Callable[[Coroutine[Any, Any, T]], T]:
    if kind == "uvloop":
        import uvloop

        return uvloop.run
    return asyncio.run


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=20.0, help="calls per second")
    parser.add_argument("--seconds", type=float, default=30.0, help="arrival window")
    parser.add_argument("--operators", type=int, default=200)
    parser.add_argument("--queues", type=int, default=1, help="split operators and calls")
    parser.add_argument("--talk", type=float, default=3.0, help="mean talk time, seconds")
    parser.add_argument("--wrapup", type=float, default=1.0, help="queue wrap-up, seconds")
    parser.add_argument("--drain", type=float, default=5.0, help="wait for late rings, s")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--profile", metavar="FILE", help="cProfile the service into FILE")
    parser.add_argument(
        "--log-level", default="info", help="the service's log level (serve logs at info)"
    )
    parser.add_argument("--log-file", default=os.devnull, help="the service's log (JSON lines)")
    parser.add_argument(
        "--loop", choices=("uvloop", "asyncio"), default="uvloop",
        help="the service's event loop (serve runs on uvloop)",
    )
    args = parser.parse_args()
    if args.rate <= 0 or args.seconds <= 0 or args.operators < 1 or args.queues < 1:
        parser.error("--rate and --seconds must be positive, --operators and --queues >= 1")
    plan = Plan(
        rate=args.rate, seconds=args.seconds, operators=args.operators, queues=args.queues,
        talk_s=args.talk, drain_s=args.drain, seed=args.seed,
    )  # fmt: skip
    configure_logging(args.log_level, "json", stream=open(args.log_file, "w"))  # noqa: SIM115
    profile = cProfile.Profile(time.process_time) if args.profile else None
    # Not 0700: as root, pgserver runs PostgreSQL as its own user, which must get in.
    data_dir = Path(tempfile.mkdtemp(prefix="callrouter-bench-pg-"))
    data_dir.chmod(0o755)
    try:
        dsn = start_embedded_postgres(data_dir)
        try:
            results = run_loop(args.loop)(run(plan, args.wrapup, dsn, profile))
        finally:
            stop_embedded_postgres(data_dir)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
    report(plan, args.wrapup, results)
    if profile is not None:
        profile.dump_stats(args.profile)
        stats = pstats.Stats(profile, stream=sys.stdout)
        stats.sort_stats("tottime").print_stats(25)


if __name__ == "__main__":
    main()
