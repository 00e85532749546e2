"""What a report covers: a period in the call center's local time, cut into intervals.

Pure: parsing and checking only. PostgreSQL does every time-zone computation (see
:func:`bucket_sql`), so a DST day is cut exactly as the zone database says:

* A period's bounds are local wall-clock times (``--from 2026-03-29``), turned into
  instants with ``AT TIME ZONE`` in the database.
* ``1d`` intervals are local days (``date_trunc('day', t, zone)``): 23 hours on the
  spring-forward day, 25 on the fall-back day.
* ``15m``, ``30m`` and ``1h`` intervals are real 15, 30 or 60 minutes, aligned on the
  local midnight of the period's first day (``date_bin``). A DST change moves clocks by a
  whole hour, so they stay on the local quarter hours on both sides: the spring-forward
  day has 92 quarter hours (none at 02:xx), the fall-back day 100 (02:00 twice, told
  apart by their UTC offsets, +02:00 then +01:00 in Europe/Berlin).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Final, Literal, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from callrouter.errors import InvalidInput

__all__ = [
    "INTERVALS",
    "MAX_INTERVALS",
    "Interval",
    "ReportPeriod",
    "bucket_sql",
    "parse_bound",
]

Interval = Literal["15m", "30m", "1h", "1d"]
INTERVALS: Final[tuple[Interval, ...]] = get_args(Interval)
_STEPS: Final[dict[Interval, timedelta]] = {
    "15m": timedelta(minutes=15),
    "30m": timedelta(minutes=30),
    "1h": timedelta(hours=1),
    "1d": timedelta(days=1),
}
MAX_INTERVALS: Final = 40_000
"""A year of quarter hours (35,040) fits; more is a mistake, not a report."""


@dataclass(frozen=True, slots=True)
class ReportPeriod:
    """``[start, end)`` in local wall-clock time of ``timezone``, cut into ``interval``."""

    start: datetime
    end: datetime
    timezone: str
    interval: Interval

    def __post_init__(self) -> None:
        if self.start.tzinfo is not None or self.end.tzinfo is not None:
            raise InvalidInput("report bounds are local times of reports.timezone, no offset")
        if self.end <= self.start:
            raise InvalidInput(f"the period ends ({self.end}) before it starts ({self.start})")
        if self.interval not in _STEPS:
            raise InvalidInput(f"interval must be one of {', '.join(INTERVALS)}")
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise InvalidInput(f"unknown time zone {self.timezone!r}") from exc
        # An upper bound (a DST day may add one interval): refuse absurd periods early.
        if (self.end - self.start) / self.step > MAX_INTERVALS:
            raise InvalidInput(
                f"{self.interval} intervals over {self.start} to {self.end} are more than"
                f" {MAX_INTERVALS}: take a longer interval or a shorter period"
            )

    @property
    def step(self) -> timedelta:
        return _STEPS[self.interval]

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def local(self, instant: datetime) -> datetime:
        """An interval's start (an instant) as the call center's clock showed it."""
        return instant.astimezone(self.zone)


def parse_bound(text: str, *, end: bool) -> datetime:
    """``2026-03-29`` (a whole day: the start of it, or for ``end`` the start of the next)
    or ``2026-03-29T08:00`` (local time, as is). Offsets are refused: the report's clock
    is ``reports.timezone``'s."""
    value = text.strip()
    try:
        day = date.fromisoformat(value)
    except ValueError:
        pass
    else:
        midnight = datetime.combine(day, time())
        return midnight + timedelta(days=1) if end else midnight
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise InvalidInput(f"{text!r} is neither a date (2026-03-29) nor a local time") from exc
    if moment.tzinfo is not None:
        raise InvalidInput(f"{text!r}: give the local time of reports.timezone, no offset")
    return moment


def bucket_sql(column: str, interval: Interval, *, step: str, zone: str, origin: str) -> str:
    """SQL for the start (an instant) of the interval holding ``column``.

    ``step``, ``zone`` and ``origin`` are SQL expressions for the step (an interval), the
    zone's name and the local midnight of the period's first day (an instant). Only fixed
    column names and expressions are put in; no input reaches the SQL text.
    """
    if interval == "1d":
        return f"date_trunc('day', {column}, {zone})"
    return f"date_bin({step}, {column}, {origin})"
