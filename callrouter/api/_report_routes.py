"""``GET /api/v1/reports/{queues,operators,campaigns}``: the interval reports of
``callrouter report``, as JSON (readable with the viewer token, like every GET).

The figures and formulas are the store's (``callrouter.store.reports``). The call
center's time zone, the queues' thresholds and the configured names come from the
service's settings (:data:`REPORT_SETTINGS`); an API built without them (tests with a
fake call center) reports over the defaults: UTC and what the data holds.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from callrouter.api._handlers import API_PREFIX
from callrouter.api._table import Handler, Inputs, Route
from callrouter.config import Settings
from callrouter.store import database_errors
from callrouter.store.reports import (
    CampaignInterval,
    Interval,
    OperatorInterval,
    QueueInterval,
    ReportKind,
    period_of,
    run_report,
)

__all__ = ["REPORT_ROUTES", "REPORT_SETTINGS"]

SettingsSource = Callable[[], Settings]
REPORT_SETTINGS: web.AppKey[SettingsSource] = web.AppKey("callrouter_report_settings")
_ACQUIRE_TIMEOUT_S = 5.0


class ReportQuery(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    from_: str = Field(
        alias="from",
        description="First day (2026-03-29) or local time (2026-03-29T08:00), reports.timezone",
    )
    to: str | None = Field(
        None, description="Last day, included (default: the from day), or a local time"
    )
    interval: Interval = "1h"


class _ReportOut(BaseModel):
    model_config = ConfigDict(frozen=True)

    report: ReportKind
    timezone: str
    interval: Interval


class QueueReportOut(_ReportOut):
    rows: list[QueueInterval]


class OperatorReportOut(_ReportOut):
    rows: list[OperatorInterval]


class CampaignReportOut(_ReportOut):
    rows: list[CampaignInterval]


_OUT: dict[ReportKind, type[_ReportOut]] = {
    "queues": QueueReportOut,
    "operators": OperatorReportOut,
    "campaigns": CampaignReportOut,
}
_SUMMARY: dict[ReportKind, str] = {
    "queues": "Queues by interval: offered, answered, abandoned, service level, ASA, AHT",
    "operators": "Operators by interval: calls handled, time by state, pauses, occupancy",
    "campaigns": "Campaigns by interval: attempts by outcome, contact and abandon rates",
}


def _settings(request: web.Request) -> Settings:
    source = request.app.get(REPORT_SETTINGS)
    return source() if source is not None else Settings()


def _handler(kind: ReportKind) -> Handler:
    out = _OUT[kind]

    async def report(inp: Inputs) -> BaseModel:
        query = inp.query_as(ReportQuery)
        settings = _settings(inp.request)
        period = period_of(settings, start=query.from_, end=query.to, interval=query.interval)
        with database_errors(f"cannot compute the {kind} report"):
            async with inp.deps.pool.acquire(timeout=_ACQUIRE_TIMEOUT_S) as conn:
                rows = await run_report(conn, kind, period, settings, now=datetime.now(UTC))
        fields = {"timezone": period.timezone, "interval": period.interval, "rows": rows}
        return out.model_validate({"report": kind, **fields})

    report.__name__ = f"report_{kind}"
    return report


REPORT_ROUTES: tuple[Route, ...] = tuple(
    Route(
        "GET",
        f"{API_PREFIX}/reports/{kind}",
        _SUMMARY[kind],
        _handler(kind),
        tag="reports",
        response=_OUT[kind],
        query=ReportQuery,
        errors=(502,),
        description="Every interval of the period, in reports.timezone; formulas in the"
        " README (Reports).",
    )
    for kind in _OUT
)
