"""The service's edges that only read what the call path built: the FastAGI server and
what ``/metrics`` reads at scrape time. Split from the composition root (``service``)."""

from __future__ import annotations

import asyncpg

from callrouter.acd import AcdEngine
from callrouter.agi import FastAgiServer, build_routes
from callrouter.api import Observability
from callrouter.ari import AriClient
from callrouter.calls._agi_ports import (
    DatabaseCustomerDirectory,
    ReloadingRoutePlanner,
    RouterOperatorControl,
)
from callrouter.calls._clock import Clock
from callrouter.calls._router import Router
from callrouter.calls._settings import SettingsHolder
from callrouter.crm import WebhookNotifier
from callrouter.metrics import (
    AriMetrics,
    CallMetrics,
    ServiceCollector,
    ServiceProbes,
    service_registry,
)
from callrouter.store.writer import RecordWriter

__all__ = ["agi_edge", "observability"]


def agi_edge(
    holder: SettingsHolder, pool: asyncpg.Pool, router: Router, clock: Clock
) -> FastAgiServer | None:
    """The FastAGI server, when enabled: it answers from the settings of the moment."""
    agi = holder.current.agi
    if not agi.enabled:
        return None
    planner = ReloadingRoutePlanner(holder)
    routes = build_routes(
        directory=DatabaseCustomerDirectory(pool, settings=holder, queue_for=planner.queue_for),
        planner=planner,
        operators=RouterOperatorControl(router=router, settings=holder),
        clock=clock.now,
    )
    return FastAgiServer(
        routes=routes, host=agi.host, port=agi.port, allowlist=agi.allow,
        max_connections=agi.max_connections,
    )  # fmt: skip


def observability(
    metrics: CallMetrics,
    ari_metrics: AriMetrics,
    holder: SettingsHolder,
    engine: AcdEngine,
    writer: RecordWriter,
    ari: AriClient,
    notifier: WebhookNotifier | None,
) -> Observability:
    """What /metrics reads at scrape time, and the settings the reports use."""
    probes = ServiceProbes(
        snapshot=engine.snapshot,
        ari_connected=lambda: ari.health.connected,
        ari_reconnects=lambda: ari.health.reconnects,
        writer_backlog=lambda: writer.backlog,
        writer_retries=lambda: writer.failures,
        webhook_backlog=lambda: notifier.backlog if notifier else 0,
        webhook_failures=lambda: notifier.failed if notifier else 0,
        webhook_dropped=lambda: notifier.dropped if notifier else 0,
    )
    collector = ServiceCollector(metrics=metrics, probes=probes, extra=[ari_metrics])
    return Observability(settings=lambda: holder.current, metrics=service_registry(collector))
