"""ARI request latency and errors, from aiohttp's request tracing.

:func:`ari_trace_config` gives an ``aiohttp.TraceConfig`` for the ARI client's session
(``aiohttp.ClientSession(trace_configs=[...])``): the ARI code itself stays untouched.
Latency is until the answer's headers (ARI's bodies are small). Requests are labelled
by method and ARI resource (``channels``, ``bridges``, ...), never by the path, which
holds channel and bridge ids.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from types import SimpleNamespace

import aiohttp
from prometheus_client.core import Metric
from prometheus_client.registry import Collector

from callrouter.metrics._series import Counters, Histograms

__all__ = ["AriMetrics", "ari_resource", "ari_trace_config"]

REQUEST_BOUNDS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
_RESOURCES = frozenset(
    {"applications", "asterisk", "bridges", "channels", "deviceStates", "endpoints",
     "events", "mailboxes", "playbacks", "recordings", "sounds"}
)  # fmt: skip


def ari_resource(path: str) -> str:
    """``/ari/channels/1234.5/answer`` -> ``channels``; anything else -> ``other``."""
    _, _, rest = path.partition("/ari/")
    first = rest.split("/", 1)[0]
    return first if first in _RESOURCES else "other"


class AriMetrics(Collector):
    def __init__(self) -> None:
        self.latency = Histograms(
            "callrouter_ari_request_duration_seconds",
            "ARI REST requests until the answer's headers, by method and resource",
            ["method", "resource"], REQUEST_BOUNDS,
        )  # fmt: skip
        self.errors = Counters(
            "callrouter_ari_request_errors",
            "ARI REST requests that failed, by method, resource and kind"
            " (4xx, 5xx, timeout, connection)",
            ["method", "resource", "kind"],
        )  # fmt: skip

    def collect(self) -> Iterator[Metric]:
        yield self.latency.family()
        yield self.errors.family()


def ari_trace_config(metrics: AriMetrics) -> aiohttp.TraceConfig:
    trace = aiohttp.TraceConfig()

    async def started(
        _: aiohttp.ClientSession, ctx: SimpleNamespace, __: aiohttp.TraceRequestStartParams
    ) -> None:
        ctx.started = time.perf_counter()

    async def ended(
        _: aiohttp.ClientSession, ctx: SimpleNamespace, params: aiohttp.TraceRequestEndParams
    ) -> None:
        labels = (params.method, ari_resource(params.url.path))
        metrics.latency.observe(labels, time.perf_counter() - ctx.started)
        status = params.response.status
        if status >= 400:
            metrics.errors.inc((*labels, f"{status // 100}xx"))

    async def failed(
        _: aiohttp.ClientSession,
        ctx: SimpleNamespace,
        params: aiohttp.TraceRequestExceptionParams,
    ) -> None:
        labels = (params.method, ari_resource(params.url.path))
        # The client's own timeout cancels the request: it arrives as a cancellation.
        timed_out = isinstance(params.exception, TimeoutError | asyncio.CancelledError)
        metrics.errors.inc((*labels, "timeout" if timed_out else "connection"))
        metrics.latency.observe(labels, time.perf_counter() - ctx.started)

    trace.on_request_start.append(started)
    trace.on_request_end.append(ended)
    trace.on_request_exception.append(failed)
    return trace
