"""Fuzz every parser of outside input with 100,000 generated inputs each.

    .venv/bin/python bench/fuzz_inputs.py [--inputs 100000] [--seed 1] [--target ari ...]

Targets (``tests/fuzz/targets.py``): the ARI event parser, the FastAGI request block
parser, the lead CSV import, the customer CSV import and the config loader. Inputs are
mutations of real seeds (captured ARI events and AGI requests, sample CSVs, the sample
``callrouter.yml``), typed mutations of their JSON/YAML trees, and pure noise; the same
seed gives the same inputs. Each input must give the target's documented outcome (a
parsed value or its documented error); anything else is a failure, printed with the
input that caused it. Prints, per target, how many inputs gave each outcome, the
failures and the time taken; exits 1 if anything failed. The test suite runs a few
hundred inputs of the same targets (``tests/fuzz/test_fuzz.py``).
"""

from __future__ import annotations

import argparse
import collections
import logging
import random
import sys
import tempfile
import time
from pathlib import Path

import structlog

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the tests package

from tests.fuzz.targets import TARGETS, Broken, Target, targets

SHOWN_FAILURES = 5


def run(target: Target, count: int, seed: int) -> tuple[collections.Counter[str], list[Broken]]:
    rng = random.Random(f"{seed}:{target.name}")
    outcomes: collections.Counter[str] = collections.Counter()
    failures: list[Broken] = []
    for _ in range(count):
        data = target.generate(rng)
        try:
            outcomes[target.check(data)] += 1
        except Broken as broken:
            outcomes["FAILED"] += 1
            failures.append(broken)
    return outcomes, failures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--inputs", type=int, default=100_000, help="inputs per target")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--target", action="append", choices=TARGETS, help="default: all")
    args = parser.parse_args()
    # Rejected inputs log one line each: a million lines would measure the terminal.
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.CRITICAL))
    failed = 0
    with tempfile.TemporaryDirectory() as folder:
        available = targets(Path(folder))
        for name in args.target or TARGETS:
            started = time.perf_counter()
            outcomes, failures = run(available[name], args.inputs, args.seed)
            elapsed = time.perf_counter() - started
            counts = ", ".join(f"{label} {n:,}" for label, n in sorted(outcomes.items()))
            print(f"{name:10} {args.inputs:,} inputs in {elapsed:.1f} s: {counts}", flush=True)
            kinds = collections.Counter(broken.problem.split(":")[0] for broken in failures)
            for kind, n in kinds.most_common():
                print(f"    FAILED {n:,}x {kind}")
            for broken in failures[:SHOWN_FAILURES]:
                print(f"    {broken}")
            failed += len(failures)
    print(f"failures: {failed:,}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
