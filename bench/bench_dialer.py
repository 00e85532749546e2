"""Dialer bench: pacing modes in simulation, and the lead import rate.

    .venv/bin/python bench/bench_dialer.py [--hours 8] [--seed 1] [--rows 100000]

Part 1 runs the pure discrete-event simulation (seeded, simulated clock) of one
campaign with 20 operators and a 30% answer rate, in progressive and predictive mode on
the same leads, and prints the abandon rate, operator occupancy and connects per
operator-hour. Part 2 generates a CSV of 100,000 leads in memory and times the import.
Nothing here asserts on timing; it prints figures for people to compare.
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Iterator
from datetime import timedelta

from callrouter.dialer import (
    Lead,
    LeadImportOptions,
    LeadReader,
    PacingConfig,
    PacingMode,
    SimulationConfig,
    SimulationResult,
    simulate_campaign,
)

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
    args = parser.parse_args()
    bench_pacing(args.hours, args.seed)
    print()
    bench_import(args.rows, args.seed)


if __name__ == "__main__":
    main()
