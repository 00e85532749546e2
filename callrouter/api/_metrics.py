"""``GET /metrics``: Prometheus's text format, and what the API reads of the running
service beyond :class:`~callrouter.api.ports.CallCenterPort`.

Auth is the API's: ``Authorization: Bearer`` with ``http.token`` or the read-only
``http.viewer_token`` (give Prometheus the viewer token: ``authorization: {credentials:
...}`` in its scrape config). The body is rendered from the service's own registry at
each scrape, so every gauge is the value of that moment.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.registry import CollectorRegistry

from callrouter.api._report_routes import REPORT_SETTINGS
from callrouter.api._table import Inputs, Route
from callrouter.config import Settings
from callrouter.errors import NotFound

__all__ = ["METRICS_ROUTE", "Observability", "install_observability"]

_METRICS = web.AppKey("callrouter_metrics", CollectorRegistry)


@dataclass(frozen=True, slots=True)
class Observability:
    """The running service's settings (for the reports) and its metrics registry."""

    settings: Callable[[], Settings]
    metrics: CollectorRegistry


def install_observability(app: web.Application, observability: Observability) -> None:
    app[REPORT_SETTINGS] = observability.settings
    app[_METRICS] = observability.metrics


async def metrics(inp: Inputs) -> web.StreamResponse:
    registry = inp.request.app.get(_METRICS)
    if registry is None:
        raise NotFound("metrics are collected by callrouter serve")
    return web.Response(
        body=generate_latest(registry), headers={"Content-Type": CONTENT_TYPE_LATEST}
    )


METRICS_ROUTE = Route(
    "GET",
    "/metrics",
    "Prometheus metrics: calls, waits, queues, operators, ARI, writer and webhooks",
    metrics,
    tag="meta",
    media_type="text/plain",
    errors=(404,),
    description="Prometheus text format 0.0.4; the viewer token is enough."
    " The README's Metrics section lists every metric.",
)
