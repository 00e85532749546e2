"""One entry for the CLI and the HTTP API: a report by name, over a period given as text,
with the queues' thresholds, targets and wrap-up times from the configuration."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any, Literal, get_args

from callrouter.config import Settings
from callrouter.errors import InvalidInput
from callrouter.store._pool import DbConnection
from callrouter.store.reports._campaigns import CampaignInterval, campaign_report
from callrouter.store.reports._frame import resolve_frame
from callrouter.store.reports._operators import OperatorInterval, operator_report
from callrouter.store.reports._period import INTERVALS, Interval, ReportPeriod, parse_bound
from callrouter.store.reports._queues import QueueInterval, queue_report

__all__ = ["REPORT_KINDS", "ReportKind", "ReportRow", "period_of", "report_rows", "run_report"]

ReportKind = Literal["queues", "operators", "campaigns"]
REPORT_KINDS: tuple[ReportKind, ...] = get_args(ReportKind)
ReportRow = QueueInterval | OperatorInterval | CampaignInterval


def period_of(settings: Settings, *, start: str, end: str | None, interval: str) -> ReportPeriod:
    """``--from``/``--to`` as typed; ``end`` defaults to the day of ``start``."""
    if interval not in INTERVALS:
        raise InvalidInput(f"interval must be one of {', '.join(INTERVALS)}, not {interval!r}")
    chosen: Interval = interval  # narrowed by the check above
    return ReportPeriod(
        start=parse_bound(start, end=False),
        end=parse_bound(end if end is not None else start[:10], end=True),
        timezone=settings.reports.timezone,
        interval=chosen,
    )


async def run_report(
    conn: DbConnection, kind: ReportKind, period: ReportPeriod, settings: Settings, *,
    now: datetime,
) -> list[ReportRow]:  # fmt: skip
    """Every interval of the period, for each configured queue, operator or campaign
    and each one that appears in the data (one removed from the config still counts)."""
    frame = await resolve_frame(conn, period, now=now)
    if kind == "queues":
        queues = settings.queues
        return list(
            await queue_report(
                conn,
                frame,
                service_levels={n: q.service_level_s for n, q in queues.items()},
                targets={n: q.service_level_target for n, q in queues.items()},
                wrapups={n: q.wrapup_s for n, q in queues.items()},
                queues=list(queues),
            )
        )
    if kind == "operators":
        return list(await operator_report(conn, frame, operators=list(settings.operators)))
    if kind == "campaigns":
        return list(await campaign_report(conn, frame, campaigns=list(settings.campaigns)))
    raise InvalidInput(f"no report {kind!r}: one of {', '.join(REPORT_KINDS)}")


def report_rows(rows: list[ReportRow]) -> list[dict[str, Any]]:
    """Plain dicts (interval starts as ISO 8601 with their UTC offset), for JSON and CSV."""
    out = []
    for row in rows:
        values = dataclasses.asdict(row)
        values["start"] = row.start.isoformat()
        out.append(values)
    return out
