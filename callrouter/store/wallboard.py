"""What the wallboard reads from PostgreSQL: today's figures, by queue, by quarter hour
and by campaign. Live figures (waiting, ringing, states) come from the engine instead.

Per queue it reuses ``queue_figures`` (the definitions of ``queues status``: service
level with short abandons excluded, ASA, abandon rate). The intraday chart is the
interval report's (``store.reports.queue_report``, 15-minute intervals of the call
center's day, DST-correct), summed over the queues, and over each tenant's own.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from callrouter.store._pool import DbConnection
from callrouter.store.calls import queue_figures
from callrouter.store.reports import ReportPeriod, queue_report, resolve_frame

__all__ = [
    "CampaignBoardFigures",
    "IntervalFigures",
    "Intraday",
    "campaign_board_figures",
    "intraday_figures",
    "queue_figures",
]


@dataclass(frozen=True, slots=True)
class IntervalFigures:
    """Every queue together over one quarter hour (``start`` in the center's zone)."""

    start: datetime
    offered: int
    answered: int
    answered_in_sl: int
    counted_for_sl: int
    """Offered less the short abandons: the service level's denominator."""

    @property
    def service_level(self) -> float | None:
        return self.answered_in_sl / self.counted_for_sl if self.counted_for_sl else None


@dataclass(frozen=True, slots=True)
class Intraday:
    """Today's quarter hours, every queue summed, and each tenant's queues summed."""

    center: list[IntervalFigures]
    by_tenant: dict[str, list[IntervalFigures]]


async def intraday_figures(
    conn: DbConnection,
    *,
    day: date,
    timezone: str,
    now: datetime,
    service_levels: Mapping[str, float],
    targets: Mapping[str, float],
    wrapups: Mapping[str, float],
    tenant_of: Mapping[str, str] | None = None,
) -> Intraday:
    """The quarter hours of the call center's ``day`` up to ``now``: all queues summed,
    and (with ``tenant_of``, queue to tenant) each tenant's own queues summed, from one
    read of the interval report."""
    midnight = datetime.combine(day, time())
    period = ReportPeriod(
        start=midnight, end=midnight + timedelta(days=1), timezone=timezone, interval="15m"
    )
    frame = await resolve_frame(conn, period, now=now)
    rows = await queue_report(
        conn, frame, service_levels=service_levels, targets=targets, wrapups=wrapups
    )
    starts = [period.local(bucket) for bucket in frame.buckets if bucket <= now]
    tenant_of = tenant_of or {}
    groups: dict[str | None, dict[datetime, list[int]]] = {
        group: {start: [0, 0, 0, 0] for start in starts}
        for group in (None, *sorted(set(tenant_of.values())))
    }
    for row in rows:
        counted = row.offered - row.short_abandoned
        # The report gives the rate; its numerator is the rate times its denominator.
        figures = (row.offered, row.answered, round((row.service_level or 0.0) * counted), counted)
        for group in {None, tenant_of.get(row.queue)}:
            sums = groups.get(group, {}).get(row.start)
            if sums is not None:  # None: a quarter hour still to come
                for index, value in enumerate(figures):
                    sums[index] += value
    slots = {
        group: [
            IntervalFigures(start=start, offered=o, answered=a, answered_in_sl=s, counted_for_sl=c)
            for start, (o, a, s, c) in by_start.items()
        ]
        for group, by_start in groups.items()
    }
    center = slots.pop(None)
    return Intraday(center=center, by_tenant={str(k): v for k, v in slots.items()})


@dataclass(frozen=True, slots=True)
class CampaignBoardFigures:
    campaign: str
    mode: str
    state: str
    queue: str | None
    leads_left: int
    """Pending or being dialled: what the campaign can still call."""
    dialled: int
    answered: int
    """By a person (machines excluded): the abandon rate's denominator."""
    abandoned: int
    live_attempts: int

    @property
    def abandon_rate(self) -> float | None:
        return self.abandoned / self.answered if self.answered else None


async def campaign_board_figures(
    conn: DbConnection, *, day_start: datetime
) -> list[CampaignBoardFigures]:
    """Every campaign's attempts since ``day_start``, its live attempts and leads left."""
    rows = await conn.fetch(
        "SELECT c.name, c.mode, c.state, c.queue_name,"
        " (SELECT count(*) FROM leads l WHERE l.campaign_id = c.id"
        "   AND l.status IN ('pending', 'in_progress')) AS leads_left,"
        " count(a.id) FILTER (WHERE a.started_at >= $1) AS dialled,"
        " count(a.id) FILTER (WHERE a.started_at >= $1 AND a.answered_at IS NOT NULL"
        "   AND a.outcome IS DISTINCT FROM 'machine') AS answered,"
        " count(a.id) FILTER (WHERE a.started_at >= $1 AND a.outcome = 'abandoned')"
        "   AS abandoned,"
        " count(a.id) FILTER (WHERE a.ended_at IS NULL) AS live"
        " FROM campaigns c LEFT JOIN attempts a ON a.campaign_id = c.id"
        "  AND (a.started_at >= $1 OR a.ended_at IS NULL)"
        " GROUP BY c.id ORDER BY c.name",
        day_start,
    )
    return [
        CampaignBoardFigures(
            campaign=row["name"],
            mode=row["mode"],
            state=row["state"],
            queue=row["queue_name"],
            leads_left=row["leads_left"],
            dialled=row["dialled"],
            answered=row["answered"],
            abandoned=row["abandoned"],
            live_attempts=row["live"],
        )
        for row in rows
    ]
