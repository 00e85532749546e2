"""Per-decision cost of the ACD engine at call-center scale.

Plain script, prints figures; nothing asserts on time. For 10, 1,000 and 10,000 calls
waiting with 2,000 operators (all busy, spread over 8 queues, each in 2 of them):

- ``arrive``: ``engine.handle(CallArrived)`` for a call that must wait;
- ``free``: ``engine.handle(CallCompleted)`` with no wrap-up, so the freed operator takes
  the best waiting call across their queues (the one-dispatcher decision) and is rung.

Run: ``.venv/bin/python bench/bench_acd_decision.py``
"""

from __future__ import annotations

import random
import statistics
import time
from datetime import UTC, datetime, timedelta

from callrouter.acd import (
    AcdConfig,
    AcdEngine,
    CallArrived,
    CallCompleted,
    OfferAnswered,
    OperatorSpec,
    QueuePolicy,
    RingOperator,
)

OPERATORS = 2_000
QUEUES = 8
SAMPLES = 2_000
START = datetime(2024, 1, 1, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        self.now += timedelta(milliseconds=1)
        return self.now


def build(waiting: int) -> tuple[AcdEngine, Clock, random.Random, list[str]]:
    rng = random.Random(1)
    queues = [QueuePolicy(f"q{i}", wrapup_s=0, join_empty=True) for i in range(QUEUES)]
    operators = [
        OperatorSpec(
            f"op{n}",
            f"PJSIP/op{n}",
            {f"q{n % QUEUES}": 0, f"q{(n + 1) % QUEUES}": rng.randint(0, 2)},
            logged_in=True,
        )
        for n in range(OPERATORS)
    ]
    engine = AcdEngine(AcdConfig(queues=queues, operators=operators), start=START)
    clock = Clock()
    connected: list[str] = []
    seq = 0
    # Occupy every operator, then leave ``waiting`` calls in line.
    while len(connected) < OPERATORS:
        call_id = f"c{seq}"
        seq += 1
        for cmd in engine.handle(CallArrived(call_id, f"q{seq % QUEUES}", clock())):
            if isinstance(cmd, RingOperator):
                engine.handle(OfferAnswered(cmd.call_id, cmd.operator_id, clock()))
                connected.append(cmd.call_id)
    for _ in range(waiting):
        engine.handle(CallArrived(f"w{seq}", f"q{seq % QUEUES}", clock(), priority=seq % 3))
        seq += 1
    return engine, clock, rng, connected


def percentiles(samples: list[float]) -> str:
    q = statistics.quantiles(samples, n=100)
    return f"p50 {q[49]:7.1f} us   p99 {q[98]:7.1f} us"


def run(waiting: int) -> None:
    engine, clock, rng, connected = build(waiting)
    arrive: list[float] = []
    free: list[float] = []
    for n in range(SAMPLES):
        # An operator frees up: the dispatcher picks across their queues.
        victim = connected.pop(rng.randrange(len(connected)))
        event = CallCompleted(victim, clock())
        t0 = time.perf_counter_ns()
        out = engine.handle(event)
        free.append((time.perf_counter_ns() - t0) / 1000)
        for cmd in out:
            if isinstance(cmd, RingOperator):
                engine.handle(OfferAnswered(cmd.call_id, cmd.operator_id, clock()))
                connected.append(cmd.call_id)
        # A new caller replaces the one taken, so the line stays ``waiting`` long.
        event2 = CallArrived(f"b{n}", f"q{n % QUEUES}", clock(), priority=n % 3)
        t0 = time.perf_counter_ns()
        out = engine.handle(event2)
        arrive.append((time.perf_counter_ns() - t0) / 1000)
        for cmd in out:
            if isinstance(cmd, RingOperator):
                engine.handle(OfferAnswered(cmd.call_id, cmd.operator_id, clock()))
                connected.append(cmd.call_id)
    waiting_now = sum(len(q.waiting) for q in engine.snapshot().queues)
    print(f"{waiting:>6} waiting ({waiting_now} at end), {OPERATORS} operators:")
    print(f"    CallArrived (joins the line)      {percentiles(arrive)}")
    print(f"    operator free (picks across q's)  {percentiles(free)}")


def main() -> None:
    for waiting in (10, 1_000, 10_000):
        run(waiting)


if __name__ == "__main__":
    main()
