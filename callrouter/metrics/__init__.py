"""Prometheus metrics of a running callrouter (served on ``/metrics`` by the HTTP API).

Collected where the service already sees everything, so the routing path gains no
calls of its own: final call records (the call journal), the routing core's ``handle``
(:class:`TimedAcdEngine`), aiohttp's tracing of the ARI session
(:func:`ari_trace_config`), and at scrape time the engine's snapshot, the ARI client's
health, the row writer and the webhook notifier (:class:`ServiceCollector`).
"""

from callrouter.metrics._ari import AriMetrics, ari_resource, ari_trace_config
from callrouter.metrics._series import MAX_SERIES, Counters, Histograms
from callrouter.metrics._service import (
    CallMetrics,
    ServiceCollector,
    ServiceProbes,
    TimedAcdEngine,
    service_registry,
)

__all__ = [
    "MAX_SERIES",
    "AriMetrics",
    "CallMetrics",
    "Counters",
    "Histograms",
    "ServiceCollector",
    "ServiceProbes",
    "TimedAcdEngine",
    "ari_resource",
    "ari_trace_config",
    "service_registry",
]
