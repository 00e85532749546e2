"""Shared by ``bench_scale.py`` and ``bench_setups.py``: the simulator child with the
benches' instruments, the service in this process, and readings of /proc.

- ``InstrumentedSimulator``: a ``SimulatedAsterisk`` that counts ARI requests (a
  middleware) and events (its event history, counted by type), times the ring of an
  endpoint just freed, keeps a channel log long enough for a whole run, and places
  inbound calls by calling its call flows directly (no HTTP: the simulator's CPU goes to
  ARI, not to the control API).
- ``run_with_service``: the simulator in a spawned child (its own event loop, uvloop by
  default), ``CallrouterService`` in this process, a ``ProcSampler`` reading VmRSS and
  CPU of the service, the simulator and PostgreSQL every 0.25 s, and the database's
  committed transactions before and after.
- ``time.perf_counter()`` is CLOCK_MONOTONIC on Linux, one clock for every process, so
  a window marked in the simulator selects the service-side samples directly.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import math
import multiprocessing
import os
import random
import shutil
import tempfile
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, TypeVar

import structlog
from aiohttp import web
from bench_routing import _database_counters, _recv, _start_service, _stop_service, percentile
from scale_procfs import ProcSample, ProcSampler

from callrouter.calls import CallrouterService
from callrouter.config import Settings
from callrouter.log import configure_logging
from callrouter.sim import SimControl, SimulatedAsterisk
from callrouter.sim._base import JsonObj
from callrouter.sim._channel_log import ChannelLog
from callrouter.sim._state import CallerId, Channel
from callrouter.store._embedded import start_embedded_postgres, stop_embedded_postgres

T = TypeVar("T")
USERNAME = "callrouter"
PASSWORD = "bench-secret"
ANSWER_AFTER_S = 0.2
FIRST_EXTENSION = 1000
DID = "100"
QUEUE = "q0"
READY_TIMEOUT_S = 120.0
LAG_PROBE_S = 0.005
# Room for every channel of a long run (the simulator's default keeps 50,000).
CHANNEL_LOG_LIMIT = 400_000


def caller_number(n: int) -> str:
    return f"+1555{n:07d}"


def run_loop(kind: str) -> Callable[[Coroutine[Any, Any, T]], T]:
    if kind == "uvloop":
        import uvloop

        return uvloop.run
    return asyncio.run


def quantiles_ms(values: Iterable[float]) -> str:
    ordered = sorted(values)
    if not ordered:
        return "no samples"
    return (
        f"p50 {percentile(ordered, 0.5):.2f}  p90 {percentile(ordered, 0.9):.2f}  "
        f"p99 {percentile(ordered, 0.99):.2f}  max {ordered[-1]:.2f}  ({len(ordered)})"
    )


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.1f} / {five:.1f} / {fifteen:.1f} (1 / 5 / 15 min, 2 cores)"


# -- the simulator's side (child process) --------------------------------------------------


class CountingHistory(deque[JsonObj]):
    """The hub's event history that also counts every event emitted, by type."""

    def __init__(self, maxlen: int) -> None:
        super().__init__(maxlen=maxlen)
        self.by_type: Counter[str] = Counter()

    def append(self, event: JsonObj) -> None:
        self.by_type[str(event.get("type"))] += 1
        super().append(event)


def _is_ring(request: web.Request) -> bool:
    """An originate: POST /ari/channels, /channels/create or /channels/{id}."""
    parts = request.path.split("/")
    return request.method == "POST" and len(parts) in (3, 4) and parts[2] == "channels"


class InstrumentedSimulator(SimulatedAsterisk):
    """The simulator plus what the benches read: ARI requests and events counted, rings
    to an endpoint that was just freed timed, a channel log long enough for a run."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.core.switch.log = ChannelLog(clock=self.core.clock, limit=CHANNEL_LOG_LIMIT)
        self.events = CountingHistory(self.core.hub.history.maxlen or 1)
        self.core.hub.history = self.events
        self.ari_requests = 0
        self.freed_at: dict[str, float] = {}  # endpoint -> perf_counter of the hangup
        self.free_to_ring_ms: list[float] = []

    def build_app(self) -> web.Application:
        app = super().build_app()

        @web.middleware
        async def count(
            request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
        ) -> web.StreamResponse:
            if request.path.startswith("/ari/"):
                self.ari_requests += 1
                if self.freed_at and _is_ring(request):
                    freed = self.freed_at.pop(request.query.get("endpoint", ""), None)
                    if freed is not None:
                        self.free_to_ring_ms.append((time.perf_counter() - freed) * 1000)
            return await handler(request)

        app.middlewares.insert(0, count)
        return app

    def place(self, number: str) -> Channel:
        """An inbound call enters Stasis, as ``POST /sim/calls`` does, minus the HTTP."""
        core = self.core
        return core.calls.place_inbound(
            caller=CallerId(number=number), exten=DID, context="from-pstn",
            app=core.default_app, args=["inbound"], endpoint="PJSIP/pstn",
            channel_name=None, variables={}, hangup_after=None,
        )  # fmt: skip


async def place_paced(
    sim: InstrumentedSimulator,
    numbers: Iterable[str],
    rate: float,
    rng: random.Random,
    *,
    seconds: float = math.inf,
) -> list[tuple[str, float]]:
    """Poisson arrivals at ``rate`` for at most ``seconds``; late ones go at once (the
    schedule is absolute). Returns (number, perf_counter once in Stasis)."""
    placed: list[tuple[str, float]] = []
    started = time.perf_counter()
    offset = 0.0
    for number in numbers:
        offset += rng.expovariate(rate)
        if offset >= seconds:
            break
        delay = started + offset - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        sim.place(number)
        placed.append((number, time.perf_counter()))
    return placed


async def probe_loop_lag(lags_ms: list[float]) -> None:
    """How late the simulator's loop wakes up: a busy loop answers late."""
    while True:
        before = time.perf_counter()
        await asyncio.sleep(LAG_PROBE_S)
        lags_ms.append((time.perf_counter() - before - LAG_PROBE_S) * 1000)


Scenario = Callable[[InstrumentedSimulator, Any], Awaitable[JsonObj]]


@dataclass(frozen=True)
class SimJob:
    scenario: Scenario
    plan: Any
    operators: int
    talk_s: float | None  # None: the phones never hang up by themselves
    seed: int
    loop: str
    timeout_s: float
    profile_path: str | None = None  # cProfile the simulator (process time) into it


async def _script_operators(control: SimControl, job: SimJob) -> None:
    rng = random.Random(job.seed)
    for i in range(job.operators):
        hangup = None if job.talk_s is None else round(job.talk_s * rng.uniform(0.5, 1.5), 3)
        await control.set_endpoint(
            "PJSIP", str(FIRST_EXTENSION + i), behavior="answer",
            answer_after=ANSWER_AFTER_S, hangup_after=hangup,
        )  # fmt: skip


async def _simulator_main(conn: Connection, job: SimJob) -> None:
    sim = InstrumentedSimulator(username=USERNAME, password=PASSWORD, time_scale=1.0)
    async with sim, SimControl(sim.url) as control:
        await _script_operators(control, job)
        conn.send(("listening", sim.url))
        if await _recv(conn, READY_TIMEOUT_S) != "go":
            return
        lags: list[float] = []
        prober = asyncio.create_task(probe_loop_lag(lags))
        profile = cProfile.Profile(time.process_time)
        if job.profile_path is not None:
            profile.enable()
        results = await job.scenario(sim, job.plan)
        if job.profile_path is not None:
            profile.disable()
            profile.dump_stats(job.profile_path)
        prober.cancel()
        results["sim_loop_lag_ms"] = lags
        results["ari_requests"] = sim.ari_requests
        results["events_by_type"] = dict(sim.events.by_type)
        conn.send(("results", results))
        await _recv(conn, job.timeout_s)  # "stop": the service has let go of us


def simulator_process(conn: Connection, job: SimJob) -> None:
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(40))
    with contextlib.suppress(KeyboardInterrupt, TimeoutError):
        run_loop(job.loop)(_simulator_main(conn, job))


# -- the service's side (this process) -------------------------------------------------


def service_settings(
    url: str, *, operators: int, wrapup_s: float, recording: str, announce_every_s: float
) -> Settings:
    queue: JsonObj = {"ring_timeout_s": 15, "wrapup_s": wrapup_s, "recording": recording}
    if announce_every_s > 0:
        queue["announce"] = {"every_s": announce_every_s}
    else:
        queue["announce"] = {"position": False}
    operator_rows = {
        f"op{FIRST_EXTENSION + i}": {
            "endpoint": f"PJSIP/{FIRST_EXTENSION + i}", "queues": {QUEUE: 0}, "logged_in": True,
        }
        for i in range(operators)
    }  # fmt: skip
    return Settings.model_validate(
        {
            "ari": {"url": url, "username": USERNAME, "password": PASSWORD},
            "agi": {"enabled": False},
            "http": {"enabled": False},
            "queues": {QUEUE: queue},
            "operators": operator_rows,
            "routes": {DID: QUEUE},
        }
    )


@dataclass
class ServiceRun:
    results: JsonObj
    sampler: ProcSampler
    baseline: ProcSample
    db_commits: int
    wal_syncs: int


async def run_with_service(
    job: SimJob,
    settings_for: Callable[[str], Settings],
    *,
    dsn: str,
    postmaster_pid: int,
    profile: cProfile.Profile | None = None,
) -> ServiceRun:
    """Start the simulator child and the service, run ``job``, stop both."""
    ctx = multiprocessing.get_context("spawn")
    ours, theirs = ctx.Pipe()
    child = ctx.Process(target=simulator_process, args=(theirs, job), daemon=True)
    child.start()
    try:
        kind, url = await _recv(ours, READY_TIMEOUT_S, child)
        assert kind == "listening"
        service = CallrouterService(settings=settings_for(url), dsn=dsn, node="bench")
        task = await _start_service(service)
        assert child.pid is not None
        sampler = ProcSampler(sim_pid=child.pid, postmaster_pid=postmaster_pid)
        try:
            commits, syncs = await _database_counters(dsn)
            baseline = sampler.take()
            sampling = asyncio.create_task(sampler.run())
            if profile is not None:
                profile.enable()
            ours.send("go")
            kind, results = await _recv(ours, job.timeout_s, child)
            if profile is not None:
                profile.disable()
            sampling.cancel()
            assert kind == "results"
        finally:
            await _stop_service(task)
        ours.send("stop")
        commits_after, syncs_after = await _database_counters(dsn)
        return ServiceRun(results, sampler, baseline, commits_after - commits, syncs_after - syncs)
    finally:
        await asyncio.get_running_loop().run_in_executor(None, child.join, 30.0)
        if child.is_alive():
            child.terminate()
            child.join()


def describe_cpu(share: dict[str, float]) -> str:
    if not share:
        return "CPU: too short a window to tell"
    return (
        f"CPU over {share['wall_s']:.1f} s, cores busy: callrouter {share['service']:.2f}, "
        f"simulator {share['sim']:.2f}, PostgreSQL {share['postgres']:.2f}, whole machine "
        f"{share['box']:.2f} of 2; event loops runnable but waiting for a CPU: callrouter "
        f"{share['service_waiting']:.0%}, simulator {share['sim_waiting']:.0%} of the time"
    )


def describe_lag(lags_ms: list[float]) -> str:
    probe = f"{LAG_PROBE_S * 1000:g} ms probe"
    return f"simulator event-loop lag (ms, {probe}): {quantiles_ms(lags_ms)}"


# -- the command line and the database shared by both benches ----------------------------


def service_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--loop", choices=("uvloop", "asyncio"), default="uvloop",
        help="the service's event loop (serve runs on uvloop)",
    )  # fmt: skip
    parser.add_argument(
        "--sim-loop", choices=("uvloop", "asyncio"), default="uvloop",
        help="the simulator's event loop",
    )  # fmt: skip
    parser.add_argument("--recording", choices=("always", "never"), default="always",
                        help="the queue's recording (the service's default: always)")  # fmt: skip
    parser.add_argument("--announce-every", type=float, default=45.0,
                        help="position announcement period, s (0: none; default 45)")  # fmt: skip
    parser.add_argument("--log-level", default="info", help="the service's log level")
    parser.add_argument("--log-file", default=os.devnull, help="the service's log (JSON)")


@contextlib.contextmanager
def embedded_postgres(args: argparse.Namespace) -> Iterator[tuple[str, int]]:
    """Logging as ``serve`` does, and a PostgreSQL in a temporary folder: (dsn, pid)."""
    configure_logging(args.log_level, "json", stream=open(args.log_file, "w"))  # noqa: SIM115
    # Not 0700: as root, pgserver runs PostgreSQL as its own user, which must get in.
    data_dir = Path(tempfile.mkdtemp(prefix="callrouter-bench-pg-"))
    data_dir.chmod(0o755)
    try:
        dsn = start_embedded_postgres(data_dir)
        try:
            postmaster = int((data_dir / "postmaster.pid").read_text().split("\n", 1)[0])
            yield dsn, postmaster
        finally:
            stop_embedded_postgres(data_dir)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
