"""Interval reports from the call log, computed in PostgreSQL in the call center's time
zone: queues, operators and campaigns, by 15 or 30 minutes, hours or local days.

Resolve the period once (:func:`resolve_frame`), then ask for any report over it::

    period = ReportPeriod(start=parse_bound("2026-03-29", end=False),
                          end=parse_bound("2026-03-29", end=True),
                          timezone="Europe/Berlin", interval="1h")
    frame = await resolve_frame(conn, period, now=datetime.now(UTC))
    rows = await queue_report(conn, frame, service_levels=..., targets=..., wrapups=...)
"""

from callrouter.store.reports._arrivals import arrivals_by_interval
from callrouter.store.reports._campaigns import CampaignInterval, campaign_report
from callrouter.store.reports._frame import Frame, resolve_frame
from callrouter.store.reports._operators import OperatorInterval, operator_report
from callrouter.store.reports._period import (
    INTERVALS,
    MAX_INTERVALS,
    Interval,
    ReportPeriod,
    parse_bound,
)
from callrouter.store.reports._queues import QueueInterval, queue_report
from callrouter.store.reports._run import (
    REPORT_KINDS,
    ReportKind,
    ReportRow,
    period_of,
    report_rows,
    run_report,
)

__all__ = [
    "INTERVALS",
    "MAX_INTERVALS",
    "REPORT_KINDS",
    "CampaignInterval",
    "Frame",
    "Interval",
    "OperatorInterval",
    "QueueInterval",
    "ReportKind",
    "ReportPeriod",
    "ReportRow",
    "arrivals_by_interval",
    "campaign_report",
    "operator_report",
    "parse_bound",
    "period_of",
    "queue_report",
    "report_rows",
    "resolve_frame",
    "run_report",
]
