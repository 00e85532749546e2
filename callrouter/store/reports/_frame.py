"""A report period resolved by PostgreSQL: its instants and the start of every interval.

Every report query opens with :data:`PARAMS_CTE`, a one-row ``p`` holding the step, the
zone, the origin of the quarter-hour grid, the bounds and the clock's ``now`` (injected,
so a test's fixture day is never clipped by the real date). Referencing every parameter
there also lets a query leave one unused (a ``1d`` report never needs the origin).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from callrouter.store._pool import DbConnection
from callrouter.store.reports._period import Interval, ReportPeriod, bucket_sql

__all__ = ["PARAMS_CTE", "Frame", "resolve_frame"]

PARAMS_CTE = (
    "p AS MATERIALIZED (SELECT $1::interval AS step, $2::text AS zone,"
    " $3::timestamptz AS origin, $4::timestamptz AS t0, $5::timestamptz AS t1,"
    " least($5::timestamptz, $6::timestamptz) AS until)"
)
"""``until``: where states still open end (the period's end, or now if sooner)."""


@dataclass(frozen=True, slots=True)
class Frame:
    period: ReportPeriod
    origin: datetime
    t0: datetime
    t1: datetime
    now: datetime
    buckets: tuple[datetime, ...]
    """Every interval's start, as an instant, in order (empty intervals included)."""

    @property
    def interval(self) -> Interval:
        return self.period.interval

    def args(self) -> tuple[object, ...]:
        """The parameters ``$1``..``$6`` of :data:`PARAMS_CTE`."""
        return (self.period.step, self.period.timezone, self.origin, self.t0, self.t1, self.now)

    def bucket(self, column: str) -> str:
        """SQL for the interval start of ``column`` (inside a query that has ``p``)."""
        return bucket_sql(column, self.interval, step="p.step", zone="p.zone", origin="p.origin")


async def resolve_frame(conn: DbConnection, period: ReportPeriod, *, now: datetime) -> Frame:
    """Turn local wall-clock bounds into instants and list the intervals, in the database
    (its zone rules are the ones the report queries cut by)."""
    bounds = await conn.fetchrow(
        "SELECT $1::timestamp AT TIME ZONE $3 AS t0, $2::timestamp AT TIME ZONE $3 AS t1,"
        " date_trunc('day', $1::timestamp) AT TIME ZONE $3 AS origin",
        period.start,
        period.end,
        period.timezone,
    )
    assert bounds is not None
    frame = Frame(
        period=period, origin=bounds["origin"], t0=bounds["t0"], t1=bounds["t1"], now=now,
        buckets=(),
    )  # fmt: skip
    rows = await conn.fetch(
        f"WITH {PARAMS_CTE} SELECT generate_series({frame.bucket('p.t0')},"
        " p.t1 - interval '1 microsecond', p.step, p.zone) AS bucket FROM p",
        *frame.args(),
    )
    return replace(frame, buckets=tuple(row["bucket"] for row in rows))
