"""The service's metrics: what the routing path feeds, and what is read at scrape time.

Fed as things happen (cheap, see ``_series``):

* a call's final record (the call journal's hook) counts the call by queue and outcome
  and observes its wait and talk time;
* each routing decision is timed by :class:`TimedAcdEngine` (the core's ``handle``);
* each ARI request is timed by :func:`callrouter.metrics.ari_trace_config`.

Read when Prometheus scrapes (:class:`ServiceCollector`): callers waiting, longest wait
and operators by state per queue from the engine's snapshot; ARI connection and
reconnects from the client's health; the row writer's and the webhook notifier's
backlogs and failures from their counters.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector, CollectorRegistry

from callrouter.acd import (
    AcdCommand,
    AcdConfig,
    AcdEngine,
    AcdEvent,
    AcdSnapshot,
    CallRecord,
    OperatorState,
)
from callrouter.metrics._series import Counters, Histograms

__all__ = [
    "CallMetrics",
    "ServiceCollector",
    "ServiceProbes",
    "TimedAcdEngine",
    "service_registry",
]

# Seconds. Waits: around typical service-level thresholds (20 s, 30 s, 60 s).
WAIT_BOUNDS = (1.0, 2.0, 5.0, 10.0, 15.0, 20.0, 30.0, 45.0, 60.0, 90.0, 120.0, 180.0, 300.0)
TALK_BOUNDS = (10.0, 30.0, 60.0, 120.0, 180.0, 300.0, 600.0, 900.0, 1800.0, 3600.0)
# A routing decision takes tens of microseconds; anything near a millisecond is news.
DECISION_BOUNDS = (1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 1e-2, 0.1)


class CallMetrics:
    """Everything fed while the service runs; one per service (tests run several)."""

    def __init__(self) -> None:
        self.calls = Counters(
            "callrouter_calls", "Calls that ended, by queue and outcome", ["queue", "outcome"]
        )
        self.wait = Histograms(
            "callrouter_call_wait_seconds", "Time callers waited in the queue, by queue",
            ["queue"], WAIT_BOUNDS,
        )  # fmt: skip
        self.talk = Histograms(
            "callrouter_call_talk_seconds", "Talk time of answered calls, by queue",
            ["queue"], TALK_BOUNDS,
        )  # fmt: skip
        self.decisions = Histograms(
            "callrouter_routing_decision_seconds",
            "Time the routing core took to decide on one event, by event type",
            ["event"], DECISION_BOUNDS,
        )  # fmt: skip

    def call_ended(self, record: CallRecord) -> None:
        """A call's final record (outcome set), as the call journal writes it."""
        if record.outcome is None:
            return
        queue = record.queue or "none"
        self.calls.inc((queue, record.outcome))
        self.wait.observe((queue,), record.wait_s)
        if record.talk_s is not None and record.outcome == "answered":
            self.talk.observe((queue,), record.talk_s)

    def families(self) -> list[Metric]:
        return [self.calls.family(), self.wait.family(), self.talk.family(),
                self.decisions.family()]  # fmt: skip


class TimedAcdEngine(AcdEngine):
    """The routing core, each ``handle`` timed into ``metrics.decisions``: two clock
    reads and a bucket increment per event, nothing else on the routing path."""

    def __init__(self, config: AcdConfig, *, start: datetime, metrics: CallMetrics) -> None:
        super().__init__(config, start=start)
        self._decisions = metrics.decisions

    def handle(self, event: AcdEvent) -> list[AcdCommand]:
        started = time.perf_counter()
        try:
            return super().handle(event)
        finally:
            self._decisions.observe((type(event).__name__,), time.perf_counter() - started)


@dataclass(frozen=True, slots=True)
class ServiceProbes:
    """Read at scrape time; each returns the current value, never waits."""

    snapshot: Callable[[], AcdSnapshot]
    ari_connected: Callable[[], bool]
    ari_reconnects: Callable[[], int]
    writer_backlog: Callable[[], int]
    writer_retries: Callable[[], int]
    webhook_backlog: Callable[[], int] = lambda: 0
    webhook_failures: Callable[[], int] = lambda: 0
    webhook_dropped: Callable[[], int] = lambda: 0


class ServiceCollector(Collector):
    def __init__(
        self, *, metrics: CallMetrics, probes: ServiceProbes, extra: Sequence[Collector] = ()
    ) -> None:
        self._metrics, self._probes, self._extra = metrics, probes, extra

    def collect(self) -> Iterator[Metric]:
        yield from self._queue_families(self._probes.snapshot())
        yield from self._metrics.families()
        for collector in self._extra:
            yield from collector.collect()
        probes = self._probes
        yield _gauge("callrouter_ari_connected", "1 while the ARI events WebSocket is up",
                     int(probes.ari_connected()))  # fmt: skip
        yield _counter("callrouter_ari_reconnects", "Reconnections of the ARI events WebSocket",
                       probes.ari_reconnects())  # fmt: skip
        yield _gauge(
            "callrouter_writer_backlog_rows",
            "Rows waiting for PostgreSQL in the row writer",
            probes.writer_backlog(),
        )
        yield _counter(
            "callrouter_writer_retries",
            "Batches the row writer had to retry (PostgreSQL unreachable)",
            probes.writer_retries(),
        )
        yield _gauge(
            "callrouter_webhook_backlog",
            "CRM webhook deliveries queued or in flight",
            probes.webhook_backlog(),
        )
        yield _counter(
            "callrouter_webhook_failures",
            "CRM webhook deliveries given up after their last attempt",
            probes.webhook_failures(),
        )
        yield _counter("callrouter_webhook_dropped",
                       "CRM webhook deliveries dropped (backlog full or notifier stopped)",
                       probes.webhook_dropped())  # fmt: skip

    @staticmethod
    def _queue_families(snapshot: AcdSnapshot) -> Iterator[Metric]:
        waiting = GaugeMetricFamily(
            "callrouter_queue_callers_waiting", "Callers waiting in the queue now", labels=["queue"]
        )
        longest = GaugeMetricFamily(
            "callrouter_queue_longest_wait_seconds",
            "How long the queue's longest-waiting caller has waited", labels=["queue"],
        )  # fmt: skip
        ringing = GaugeMetricFamily(
            "callrouter_queue_calls_ringing", "Calls of the queue ringing an operator now",
            labels=["queue"],
        )  # fmt: skip
        operators = GaugeMetricFamily(
            "callrouter_queue_operators", "Operators serving the queue, by state",
            labels=["queue", "state"],
        )  # fmt: skip
        for queue in snapshot.queues:
            waiting.add_metric([queue.name], len(queue.waiting))
            longest.add_metric([queue.name], round(queue.longest_wait_s, 3))
            ringing.add_metric([queue.name], queue.ringing)
            for state in OperatorState:
                operators.add_metric([queue.name, state.value], queue.operators.get(state, 0))
        yield from (waiting, longest, ringing, operators)


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)


def _counter(name: str, documentation: str, value: float) -> CounterMetricFamily:
    return CounterMetricFamily(name, documentation, value=value)


def service_registry(collector: ServiceCollector) -> CollectorRegistry:
    """A registry of its own (not prometheus-client's global one): two services in one
    process, as in tests, never share or clash."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(collector)
    return registry
