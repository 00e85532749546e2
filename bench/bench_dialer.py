"""Dialer bench: operators' idle time on the simulator through the real service, pacing
modes in simulation, and the lead import rate.

    .venv/bin/python bench/bench_dialer.py [--seconds 60] [--operators 5] [--talk 6]
        [--answer-rate 0.7] [--hours 8] [--seed 1] [--rows 100000] [--shell-only]

Part 1 is the whole shell: an embedded PostgreSQL in a temporary folder, a
SimulatedAsterisk (time_scale 1, in this process) and a ``CallrouterService``. The
operators' phones answer after 0.3 s and hang up after a talk time (``--talk`` +-50%,
fixed per phone); wrap-up is 0, so an operator's idle time is the dialer's alone. Each
lead's phone is scripted: a person answers after 1-3 s with ``--answer-rate``
(AMD says HUMAN), the others are busy after 1 s or ring out. A progressive, then a
predictive campaign (dial-ahead on) run ``--seconds`` each on fresh leads; the
simulator's channel log gives, per operator, the gaps between leaving one customer's
bridge and entering the next: printed as percentiles, with the calls connected and
abandoned. Part 2 runs the pure discrete-event simulation (seeded, simulated clock) of
one campaign with 20 operators and a 30% answer rate, in progressive and predictive
mode on the same leads. Part 3 generates a CSV of 100,000 leads in memory and times the
import. Nothing here asserts on timing; it prints figures for people to compare.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import random
import shutil
import statistics
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import asyncpg
import structlog

from callrouter.calls import CallrouterService
from callrouter.config import Settings
from callrouter.dialer import (
    CampaignEvent,
    Lead,
    LeadImportOptions,
    LeadReader,
    PacingConfig,
    PacingMode,
    SimulationConfig,
    SimulationResult,
    simulate_campaign,
)
from callrouter.dialer.store import change_campaign_state, import_leads, sync_campaigns
from callrouter.sim import SimControl, SimulatedAsterisk
from callrouter.store import open_pool
from callrouter.store._embedded import start_embedded_postgres, stop_embedded_postgres

OPERATORS = 20
ANSWER_RATE = 0.3
# Area codes of a few US states and German city prefixes, so time zones vary as in a
# real list and the phonenumbers lookups are not all for one prefix.
US_AREA_CODES = ("212", "312", "415", "713", "305", "206", "617", "404", "602", "907")
DE_PREFIXES = ("30", "40", "89", "221", "69")


def _row(rng: random.Random, i: int) -> str:
    kind = rng.random()
    if kind < 0.6:
        number = f"({rng.choice(US_AREA_CODES)}) {rng.randint(200, 999)}-{rng.randint(0, 9999):04d}"
        region = ""
    elif kind < 0.9:
        number = f"+49 {rng.choice(DE_PREFIXES)} {rng.randint(1000000, 9999999)}"
        region = ""
    else:
        number = f"0{rng.choice(DE_PREFIXES)} {rng.randint(1000000, 9999999)}"
        region = "DE"
    return f'L{i},{number},"Lead {i}, Jr.",{region},{rng.choice(("gold", "silver"))}\n'


def generated_csv(rows: int, seed: int) -> Iterator[str]:
    rng = random.Random(seed)
    yield "key,phone,name,region,plan\n"
    for i in range(rows):
        yield _row(rng, i)


def bench_import(rows: int, seed: int) -> None:
    lines = list(generated_csv(rows, seed))  # generate first: time only the import
    options = LeadImportOptions(default_timezone="America/New_York", default_region="US")
    started = time.perf_counter()
    good = bad = 0
    for item in LeadReader(lines, options):
        if isinstance(item, Lead):
            good += 1
        else:
            bad += 1
    elapsed = time.perf_counter() - started
    print(f"CSV import: {rows:,} rows in {elapsed:.2f} s = {rows / elapsed:,.0f} rows/s "
          f"({good:,} leads, {bad:,} rejected)")


USERNAME, PASSWORD = "callrouter", "bench-secret"
FIRST_OPERATOR = 2000
OPERATOR_ANSWER_S = 0.3
ALWAYS = {"mon-sun": ["00:00-24:00"]}


@dataclass(frozen=True)
class ShellPlan:
    seconds: float
    operators: int
    talk_s: float
    answer_rate: float
    seed: int


def _shell_settings(url: str, plan: ShellPlan, mode: str) -> Settings:
    operators = {
        f"op{i}": {"endpoint": f"PJSIP/{FIRST_OPERATOR + i}", "queues": {"sales": 0},
                   "logged_in": True}
        for i in range(plan.operators)
    }  # fmt: skip
    return Settings.model_validate({
        "ari": {"url": url, "username": USERNAME, "password": PASSWORD},
        "agi": {"enabled": False}, "http": {"enabled": False},
        "logging": {"level": "warning"},
        "queues": {"sales": {"wrapup_s": 0, "ring_timeout_s": 10}},
        "operators": operators,
        "dialer": {"caller_id": "+14155550000", "ring_timeout_s": 5},
        "campaigns": {"bench": {"mode": mode, "queue": "sales", "windows": ALWAYS,
                                "default_region": "US", "max_attempts": 1}},
    })  # fmt: skip


async def _script_phones(control: SimControl, plan: ShellPlan, phones: list[str]) -> None:
    rng = random.Random(plan.seed)
    await control.set_stasis_context("callrouter-outbound", "callrouter,outbound")
    for i in range(plan.operators):
        talk = plan.talk_s * rng.uniform(0.5, 1.5)
        await control.set_endpoint("PJSIP", str(FIRST_OPERATOR + i), behavior="answer",
                                   answer_after=OPERATOR_ANSWER_S, hangup_after=talk)  # fmt: skip
    for phone in phones:
        kind = rng.random()
        if kind < plan.answer_rate:
            script: dict[str, Any] = {"behavior": "answer", "answer_after": rng.uniform(1, 3),
                                      "amd": True}  # fmt: skip
        elif kind < plan.answer_rate + (1 - plan.answer_rate) / 2:
            script = {"behavior": "busy", "answer_after": 1.0}
        else:
            script = {"behavior": "noanswer"}
        await control.set_endpoint("PJSIP", f"{phone}@pstn", **script)


def _idle_gaps(log: list[dict[str, Any]]) -> tuple[list[float], float]:
    """Per operator phone, the gaps between leaving one bridge and entering the next;
    and the operators' total time in bridges."""
    stays: dict[str, list[tuple[float, float]]] = {}
    for record in log:
        endpoint = str(record.get("endpoint", ""))
        if not endpoint.startswith(f"PJSIP/{str(FIRST_OPERATOR)[:2]}"):
            continue
        for stay in record.get("bridges") or []:
            if stay.get("entered") is not None and stay.get("left") is not None:
                stays.setdefault(endpoint, []).append((stay["entered"], stay["left"]))
    gaps: list[float] = []
    talking = 0.0
    for spans in stays.values():
        spans.sort()
        talking += sum(left - entered for entered, left in spans)
        gaps.extend(nxt[0] - prev[1] for prev, nxt in itertools.pairwise(spans))
    return gaps, talking


def _percentiles(values: list[float]) -> str:
    if len(values) < 2:
        return "too few gaps"
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return (f"idle between calls p50 {cuts[49]:.2f} s  p90 {cuts[89]:.2f} s  "
            f"p99 {cuts[98]:.2f} s  max {max(values):.2f} s  mean {statistics.mean(values):.2f} s")


async def _one_mode(admin_dsn: str, plan: ShellPlan, mode: str) -> str:
    database = f"bench_dialer_{mode}"
    admin = await asyncpg.connect(admin_dsn)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{database}"')
        await admin.execute(f'CREATE DATABASE "{database}"')
    finally:
        await admin.close()
    dsn = urlsplit(admin_dsn)._replace(path=f"/{database}").geturl()
    leads = int(plan.seconds * plan.operators * 2) + 50
    phones = [f"+1415{5500000 + i:07d}" for i in range(leads)]
    async with SimulatedAsterisk(username=USERNAME, password=PASSWORD, host="127.0.0.1",
                                 port=0, time_scale=1.0) as sim, SimControl(sim.url) as control:
        await _script_phones(control, plan, phones)
        settings = _shell_settings(sim.url, plan, mode)
        service = CallrouterService(settings=settings, dsn=dsn, node="bench")
        task = asyncio.create_task(service.run())
        try:
            await asyncio.wait_for(service.ready.wait(), 60)
            async with open_pool(dsn, max_size=1) as pool, pool.acquire() as conn:
                await sync_campaigns(conn, settings)
                await import_leads(conn, "bench", ["phone\n", *(f"{p}\n" for p in phones)],
                                   now=datetime.now(UTC))  # fmt: skip
                await change_campaign_state(conn, "bench", CampaignEvent.START)
            await asyncio.sleep(plan.seconds)
            log = await control.channel_log()
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
    conn = await asyncpg.connect(dsn)
    try:
        outcomes = dict(await conn.fetch(
            "SELECT outcome, count(*) FROM attempts WHERE outcome IS NOT NULL GROUP BY outcome"
        ))  # fmt: skip
    finally:
        await conn.close()
    gaps, talking = _idle_gaps(log)
    answered = outcomes.get("connected", 0) + outcomes.get("abandoned", 0)
    abandon = outcomes.get("abandoned", 0) / answered if answered else 0.0
    busy = talking / (plan.operators * plan.seconds)
    return (f"{mode:<12} connected {outcomes.get('connected', 0):4}  abandoned "
            f"{outcomes.get('abandoned', 0):3} ({abandon:5.1%})  in calls {busy:5.1%}  "
            f"{_percentiles(gaps)}")


def bench_shell(plan: ShellPlan) -> None:
    print(f"Through the service on the simulator: {plan.operators} operators, talk "
          f"{plan.talk_s:g} s +-50%, no wrap-up, {plan.answer_rate:.0%} answer after 1-3 s "
          f"ring, {plan.seconds:g} s per mode")
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(40))
    data_dir = Path(tempfile.mkdtemp(prefix="bench-dialer-pg-"))
    try:
        admin_dsn = start_embedded_postgres(data_dir)
        try:
            for mode in ("progressive", "predictive"):
                print(asyncio.run(_one_mode(admin_dsn, plan, mode)))
        finally:
            stop_embedded_postgres(data_dir)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


def _line(mode: str, r: SimulationResult) -> str:
    return (f"{mode:<12} abandon {r.abandon_rate:6.2%}  occupancy {r.occupancy:6.1%}  "
            f"connects/operator-hour {r.connects_per_operator_hour:5.2f}  "
            f"dialled {r.originated:6,}  answered {r.answered:5,}  abandoned {r.abandoned:4,}")


def bench_pacing(hours: float, seed: int) -> None:
    print(f"Simulation: {OPERATORS} operators, {ANSWER_RATE:.0%} answer rate, mean talk 3 min "
          f"+ 15 s wrap-up, {hours:g} h, seed {seed}, abandon cap 3%")
    runs = [
        ("progressive", PacingConfig(mode=PacingMode.PROGRESSIVE)),
        ("predictive", PacingConfig(mode=PacingMode.PREDICTIVE)),
        ("predictive+a", PacingConfig(mode=PacingMode.PREDICTIVE, anticipation=1.0)),
    ]
    for name, pacing in runs:
        started = time.perf_counter()
        result = simulate_campaign(SimulationConfig(
            pacing=pacing, operators=OPERATORS, answer_rate=ANSWER_RATE,
            duration=timedelta(hours=hours), seed=seed,
        ))
        rolling = [ab / an for an, ab in result.rolling if an >= 100]
        worst = f"  worst 30-min window {max(rolling):.2%}" if rolling else ""
        print(_line(name, result) + worst + f"  ({time.perf_counter() - started:.1f} s)")
    print("(predictive+a: predictive counting operators likely to free up during ringing)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=float, default=8.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--operators", type=int, default=5)
    parser.add_argument("--talk", type=float, default=6.0)
    parser.add_argument("--answer-rate", type=float, default=0.7)
    parser.add_argument("--shell-only", action="store_true")
    args = parser.parse_args()
    bench_shell(ShellPlan(args.seconds, args.operators, args.talk, args.answer_rate, args.seed))
    if args.shell_only:
        return
    print()
    bench_pacing(args.hours, args.seed)
    print()
    bench_import(args.rows, args.seed)


if __name__ == "__main__":
    main()
