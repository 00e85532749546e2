"""app_queue and callrouter side by side on a real Asterisk: latency and CPU per call.

    .venv/bin/python bench/asterisk_kit/run.py --asterisk-prefix /opt/asterisk \\
        --rates 5,20,80 --duration 30

One command: it starts its own Asterisk from the installation in ``--asterisk-prefix``
with the kit's configuration (``conf/``, rendered into a work folder: HTTP/ARI on a free
loopback port, nothing else listening), an embedded PostgreSQL, and, for the callrouter
half, ``callrouter serve``. Callers and operators are Local channels; operators answer
at once and talk ``--talk`` seconds. Callers are offered at each rate for ``--duration``
seconds (Poisson arrivals, seeded), first all rates through app_queue (``Queue(bench)``),
then all rates through callrouter (``Stasis(callrouter,inbound,bench)``), with the same
operators. Latency comes from Asterisk's CEL log (``kit_measure``), CPU from /proc over
each run (offering plus draining). See README.md beside this file.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import os
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import aiohttp

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
for path in (str(HERE), str(ROOT)):
    if path not in sys.path:
        sys.path.insert(0, path)

from kit_measure import (  # noqa: E402
    CelRow,
    Latencies,
    call_latencies,
    own_cpu_s,
    parse_cel,
    percentile,
    postmaster_pid,
    process_tree_cpu_s,
)
from kit_render import (  # noqa: E402
    OPERATOR_CONTEXT,
    KitSettings,
    callrouter_config,
    render_asterisk,
    write_callrouter_config,
)

from callrouter.store._embedded import (  # noqa: E402
    start_embedded_postgres,
    stop_embedded_postgres,
)

DISTRIBUTORS = {"app_queue": "bench-queue", "callrouter": "bench-callrouter"}
START_TIMEOUT_S = 60.0
# After the last offer and a caller's longest stay: margin for the last hang-ups.
DRAIN_EXTRA_S = 10.0
PAUSE_BETWEEN_RUNS_S = 3.0


@dataclass
class RunResult:
    distributor: str
    rate: float
    offered: int
    failed_originates: int
    latencies: Latencies
    wall_s: float
    asterisk_cpu_s: float
    callrouter_cpu_s: float
    postgres_cpu_s: float
    driver_cpu_s: float
    load_average: float


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Ari:
    """The driver's few ARI requests: ping, originate a caller, count channels."""

    def __init__(self, http: aiohttp.ClientSession, port: int, user: str, password: str):
        self.http = http
        self.base = f"http://127.0.0.1:{port}/ari"
        self.auth = {"Authorization": aiohttp.encode_basic_auth(user, password)}

    async def ok(self, path: str) -> bool:
        try:
            async with self.http.get(self.base + path, headers=self.auth) as resp:
                return resp.status == 200
        except aiohttp.ClientError:
            return False

    async def channel_count(self) -> int:
        async with self.http.get(self.base + "/channels", headers=self.auth) as resp:
            return len(await resp.json())

    async def originate_caller(self, number: str, entry_context: str, timeout_s: int) -> bool:
        params = {
            "endpoint": f"Local/{number}@{entry_context}",
            "context": "bench-caller",
            "extension": number,
            "priority": "1",
            "callerId": f"Bench <{number}>",
            "timeout": str(timeout_s),
        }
        try:
            url = self.base + "/channels"
            async with self.http.post(url, params=params, headers=self.auth) as resp:
                return resp.status == 200
        except aiohttp.ClientError:
            return False


async def wait_until(
    check: Callable[[], Awaitable[bool]],
    what: str,
    timeout_s: float = START_TIMEOUT_S,
    *,
    required: bool = True,
) -> None:
    """Poll ``check`` until true; on timeout raise (or, not ``required``, return)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if await check():
            return
        await asyncio.sleep(0.2)
    if required:
        raise RuntimeError(f"timed out waiting for {what}")


def cel_size(path: Path) -> int:
    return path.stat().st_size if path.exists() else 0


def read_cel(path: Path, offset: int) -> list[CelRow]:
    with path.open() as cel:
        cel.seek(offset)
        return parse_cel(cel)


@dataclass
class Processes:
    asterisk: subprocess.Popen[bytes]
    pg_data: Path
    callrouter: subprocess.Popen[bytes] | None = None

    async def callrouter_ready(self, http: aiohttp.ClientSession, port: int) -> bool:
        """callrouter's own health answer: 200 once ARI and PostgreSQL are connected."""
        if self.callrouter is None or self.callrouter.poll() is not None:
            log = self.pg_data.parent / "callrouter.log"
            raise RuntimeError(f"callrouter serve exited; see {log}")
        try:
            async with http.get(f"http://127.0.0.1:{port}/api/v1/health") as resp:
                return resp.status == 200
        except aiohttp.ClientError:
            return False

    def cpu(self) -> tuple[float, float, float]:
        postgres = postmaster_pid(self.pg_data)
        return (
            process_tree_cpu_s(self.asterisk.pid),
            process_tree_cpu_s(self.callrouter.pid) if self.callrouter else 0.0,
            process_tree_cpu_s(postgres) if postgres else 0.0,
        )


async def offer_calls(
    ari: Ari, *, rate: float, duration_s: float, entry_context: str, seed: int, timeout_s: int
) -> tuple[int, int]:
    """Poisson arrivals for ``duration_s``; returns (offered, failed originates)."""
    rng = random.Random(seed)
    tasks: list[asyncio.Task[bool]] = []
    start = time.monotonic()
    due = 0.0
    number = 5_000_000 + seed * 100_000
    while True:
        due += rng.expovariate(rate)
        if due >= duration_s:
            break
        delay = start + due - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        number += 1
        call = ari.originate_caller(str(number), entry_context, timeout_s)
        tasks.append(asyncio.create_task(call))
    results = await asyncio.gather(*tasks)
    return len(results), results.count(False)


async def one_run(
    ari: Ari, procs: Processes, cel_path: Path, args: argparse.Namespace, *,
    distributor: str, rate: float, seed: int,
) -> RunResult:  # fmt: skip
    entry_context = DISTRIBUTORS[distributor]
    cel_offset = cel_size(cel_path)
    cpu_before, driver_before, t0 = procs.cpu(), own_cpu_s(), time.monotonic()
    offered, failed = await offer_calls(
        ari, rate=rate, duration_s=args.duration, entry_context=entry_context, seed=seed,
        timeout_s=args.caller_max,
    )  # fmt: skip

    async def drained() -> bool:
        return await ari.channel_count() == 0

    # Until the last caller gave up or hung up: a call left over would bill its CPU to the
    # next run.
    drain_s = args.caller_max + args.talk + DRAIN_EXTRA_S
    await wait_until(drained, "calls to end", drain_s, required=False)
    cpu_after, driver_after, t1 = procs.cpu(), own_cpu_s(), time.monotonic()
    rows = read_cel(cel_path, cel_offset)
    latencies = call_latencies(rows, entry_context=entry_context, operator_context=OPERATOR_CONTEXT)
    delta = [after - before for before, after in zip(cpu_before, cpu_after, strict=True)]
    return RunResult(
        distributor=distributor, rate=rate, offered=offered, failed_originates=failed,
        latencies=latencies, wall_s=t1 - t0, asterisk_cpu_s=delta[0], callrouter_cpu_s=delta[1],
        postgres_cpu_s=delta[2], driver_cpu_s=driver_after - driver_before,
        load_average=os.getloadavg()[0],
    )  # fmt: skip


def start_asterisk(prefix: Path, conf: Path, work: Path) -> subprocess.Popen[bytes]:
    binary = prefix / "sbin" / "asterisk"
    if not binary.exists():
        raise SystemExit(f"no Asterisk at {binary}: pass --asterisk-prefix")
    log = (work / "asterisk.out").open("wb")
    # -f: foreground, no console, so this script owns the process and can stop it.
    return subprocess.Popen([str(binary), "-f", "-C", str(conf)], stdout=log, stderr=log)


def start_callrouter(
    kit: KitSettings, dsn: str, http_port: int, args: argparse.Namespace
) -> subprocess.Popen[bytes]:
    config = kit.work / "callrouter.yml"
    write_callrouter_config(
        config,
        callrouter_config(kit, dsn=dsn, agi_port=free_port(), http_port=http_port,
                          log_level=args.callrouter_log_level),
    )  # fmt: skip
    env = dict(os.environ)
    if args.callrouter_src:
        env["PYTHONPATH"] = str(Path(args.callrouter_src).resolve())
    log = (kit.work / "callrouter.log").open("wb")
    command = [sys.executable, "-m", "callrouter", "-c", str(config), "serve"]
    return subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)


def stop(proc: subprocess.Popen[bytes] | None) -> None:
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


async def run_all(args: argparse.Namespace, work: Path) -> list[RunResult]:
    kit = KitSettings(
        prefix=args.asterisk_prefix, work=work, ari_port=free_port(),
        ari_user="bench", ari_password=secrets.token_hex(12), operators=args.operators,
        talk_s=args.talk, caller_max_s=args.caller_max,
    )  # fmt: skip
    conf = render_asterisk(kit)
    pg_data = work / "pgdata"
    pg_data.mkdir()
    pg_data.chmod(0o755)  # as root, pgserver runs PostgreSQL as its own user
    dsn = start_embedded_postgres(pg_data)
    procs = Processes(asterisk=start_asterisk(kit.prefix, conf, work), pg_data=pg_data)
    results: list[RunResult] = []
    try:
        async with aiohttp.ClientSession() as http:
            ari = Ari(http, kit.ari_port, kit.ari_user, kit.ari_password)
            await wait_until(lambda: ari.ok("/asterisk/ping"), "Asterisk's ARI")
            cel_path = work / "log" / "bench_cel.csv"
            for distributor in args.distributors:
                if distributor == "callrouter":
                    port = free_port()
                    procs.callrouter = start_callrouter(kit, dsn, port, args)
                    ready = functools.partial(procs.callrouter_ready, http, port)
                    await wait_until(ready, "callrouter serve")
                    # Operators are loaded before ARI connects; give the first events a beat.
                    await asyncio.sleep(PAUSE_BETWEEN_RUNS_S)
                for index, rate in enumerate(args.rates):
                    await asyncio.sleep(PAUSE_BETWEEN_RUNS_S)
                    result = await one_run(
                        ari, procs, cel_path, args, distributor=distributor, rate=rate,
                        seed=args.seed + index,
                    )  # fmt: skip
                    print(progress_line(result), flush=True)
                    results.append(result)
                stop(procs.callrouter)
                procs.callrouter = None
    finally:
        stop(procs.callrouter)
        stop(procs.asterisk)
        stop_embedded_postgres(pg_data)
    return results


def progress_line(r: RunResult) -> str:
    lat = r.latencies.connected_ms
    return (
        f"  {r.distributor:10} {r.rate:6g}/s: offered {r.offered}, connected {len(lat)},"
        f" p50 {percentile(lat, 0.5):.1f} ms, p99 {percentile(lat, 0.99):.1f} ms,"
        f" Asterisk {r.asterisk_cpu_s:.2f} s, callrouter {r.callrouter_cpu_s:.2f} s,"
        f" PostgreSQL {r.postgres_cpu_s:.2f} s, driver {r.driver_cpu_s:.2f} s CPU over"
        f" {r.wall_s:.1f} s; load average {r.load_average:.1f} (other processes compete)"
    )


def report(results: list[RunResult], args: argparse.Namespace) -> None:
    by = {(r.distributor, r.rate): r for r in results}
    print()
    print(
        f"Real Asterisk, {args.operators} Local-channel operators ({args.talk:g} s talk),"
        f" {args.duration:g} s of Poisson arrivals per rate; latency = caller enters the"
        " distributor -> caller and operator in one bridge (CEL); CPU % of one core over"
        " the run (offer + drain)."
    )
    print()
    print(
        "| calls/s | app_queue p50 / p99 ms | callrouter p50 / p99 ms"
        " | Asterisk CPU %, app_queue · callrouter | callrouter CPU % | PostgreSQL CPU %"
        " | CPU ms per call: app_queue (Asterisk) · callrouter (Asterisk + callrouter +"
        " PostgreSQL) | connected / offered, app_queue · callrouter |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for rate in args.rates:
        queue, router = by.get(("app_queue", rate)), by.get(("callrouter", rate))
        print(
            f"| {rate:g} | {_lat(queue)} | {_lat(router)} | {_pct(queue, 'asterisk')} · "
            f"{_pct(router, 'asterisk')} | {_pct(router, 'callrouter')} |"
            f" {_pct(router, 'postgres')} | {_per_call(queue)} · {_per_call(router)} |"
            f" {_counts(queue)} · {_counts(router)} |"
        )
    failed = sum(r.failed_originates for r in results)
    if failed:
        print(f"\n{failed} caller originates failed (see the run's asterisk.out)")


def _lat(r: RunResult | None) -> str:
    if r is None or not r.latencies.connected_ms:
        return "-"
    lat = r.latencies.connected_ms
    return f"{percentile(lat, 0.5):.1f} / {percentile(lat, 0.99):.1f}"


def _pct(r: RunResult | None, part: str) -> str:
    if r is None or r.wall_s <= 0:
        return "-"
    return f"{100.0 * getattr(r, f'{part}_cpu_s') / r.wall_s:.0f}"


def _per_call(r: RunResult | None) -> str:
    if r is None or not r.latencies.connected_ms:
        return "-"
    total = r.asterisk_cpu_s + r.callrouter_cpu_s + r.postgres_cpu_s
    calls = len(r.latencies.connected_ms)
    if r.distributor == "app_queue":
        return f"{1000.0 * r.asterisk_cpu_s / calls:.1f}"
    return (
        f"{1000.0 * total / calls:.1f} ({1000.0 * r.asterisk_cpu_s / calls:.1f} +"
        f" {1000.0 * r.callrouter_cpu_s / calls:.1f} + {1000.0 * r.postgres_cpu_s / calls:.1f})"
    )


def _counts(r: RunResult | None) -> str:
    return "-" if r is None else f"{len(r.latencies.connected_ms)}/{r.offered}"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument(
        "--asterisk-prefix",
        default="/opt/asterisk",
        help="where Asterisk is installed (sbin/asterisk, lib/asterisk/modules)",
    )
    parser.add_argument("--rates", default="5,20,80", help="calls per second, comma-separated")
    parser.add_argument("--duration", type=float, default=30.0, help="seconds of arrivals per rate")
    parser.add_argument("--operators", type=int, default=800)
    parser.add_argument("--talk", type=float, default=2.0, help="operators' talk time, seconds")
    parser.add_argument(
        "--distributors",
        default="app_queue,callrouter",
        help="which to run, in order: app_queue, callrouter",
    )
    parser.add_argument(
        "--caller-max", type=int, default=60, help="a caller gives up after this many seconds"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--callrouter-src",
        help="run callrouter from this source tree "
        "(PYTHONPATH), e.g. a clean `git archive` export; default: installed",
    )
    parser.add_argument(
        "--callrouter-log-level", default="info", help="callrouter's logging.level (its default)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the work folder (logs, CEL)")
    args = parser.parse_args()  # fmt: skip
    try:
        args.rates = [float(rate) for rate in args.rates.split(",") if rate.strip()]
    except ValueError:
        parser.error("--rates: numbers separated by commas, e.g. 5,20,80")
    args.distributors = [d.strip() for d in args.distributors.split(",") if d.strip()]
    unknown = [d for d in args.distributors if d not in DISTRIBUTORS]
    if unknown or not args.distributors:
        parser.error(f"--distributors: choose from {', '.join(DISTRIBUTORS)}")
    if not args.rates or min(args.rates) <= 0 or args.duration <= 0 or args.operators < 1:
        parser.error("--rates and --duration must be positive, --operators at least 1")
    return args


def main() -> None:
    args = parse_args()
    args.asterisk_prefix = Path(args.asterisk_prefix).resolve()
    work = Path(tempfile.mkdtemp(prefix="asterisk-kit-"))
    work.chmod(0o755)
    print(f"work folder: {work}", flush=True)
    try:
        results = asyncio.run(run_all(args, work))
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    report(results, args)


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        main()
