"""Calling windows: when a lead may be called, in the lead's own local time.

Rules
-----
* A window is wall-clock time: "09:00-21:00" means the clock on the lead's wall reads
  at least 09:00 and less than 21:00. That is how calling-hour regulations are written
  (TCPA "8 a.m. to 9 p.m. local time", Ofcom, the German UWG), so DST falls out of it:
* Spring forward (the clock jumps 02:00 -> 03:00): a window spanning the gap stays open
  across it and is one hour shorter in real time. A window that *starts* inside the gap
  opens when the clock jumps (03:00 new time). A window lying wholly inside the gap does
  not happen that day.
* Fall back (the clock repeats 01:00-02:00): a window spanning the repeat is one hour
  longer in real time. A wall time that happens twice is inside the window both times,
  so a window ending inside the repeated hour closes at its end, then reopens when the
  clock falls back and closes again at the second occurrence of its end. That is the
  letter of the regulations and what ``is_callable`` reads; ``next_opening`` agrees with
  it exactly (the tests check this property around real transitions).
* Holidays are local dates of the lead: nothing on that date is callable.
* Windows are half-open ``[start, end)`` with minute resolution; ``end`` may be 24:00.
  Windows never cross midnight (write two windows instead). Overlapping windows of one
  day are merged.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from ..errors import InvalidInput
from ._tz import load_zone, require_aware

__all__ = [
    "DAY_NAMES",
    "WeeklySchedule",
    "Window",
    "is_callable",
    "next_opening",
]

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MINUTES_PER_DAY = 24 * 60
# Offsets move by whole seconds and real zones change them at most once in 6 hours, so
# sampling every 6 hours and bisecting to one second finds every transition exactly.
_TRANSITION_STEP = timedelta(hours=6)
_ZONE_PAD = timedelta(hours=15)  # beyond the widest UTC offset (+14:00)
_TIME = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*$")


def _parse_minute(text: str) -> int:
    match = _TIME.match(text)
    if not match:
        raise InvalidInput(f"bad time {text!r}: expected HH:MM")
    hours, minutes = int(match[1]), int(match[2])
    if minutes >= 60 or hours * 60 + minutes > MINUTES_PER_DAY:
        raise InvalidInput(f"bad time {text!r}: out of range")
    return hours * 60 + minutes


@dataclass(frozen=True, slots=True, order=True)
class Window:
    """``[start, end)`` in minutes after local midnight; ``end`` may be 1440 (24:00)."""

    start: int
    end: int

    def __post_init__(self) -> None:
        if not 0 <= self.start < self.end <= MINUTES_PER_DAY:
            raise InvalidInput(
                f"a window needs 00:00 <= start < end <= 24:00, got {self.start}..{self.end} "
                "minutes (split windows that cross midnight in two)"
            )

    @classmethod
    def parse(cls, text: str) -> Window:
        """``"09:00-21:00"``."""
        start, sep, end = text.partition("-")
        if not sep:
            raise InvalidInput(f"bad window {text!r}: expected HH:MM-HH:MM")
        return cls(_parse_minute(start), _parse_minute(end))

    def __str__(self) -> str:
        return "{:02d}:{:02d}-{:02d}:{:02d}".format(*divmod(self.start, 60), *divmod(self.end, 60))


def _merge(windows: Iterable[Window]) -> tuple[Window, ...]:
    merged: list[Window] = []
    for w in sorted(windows):
        if merged and w.start <= merged[-1].end:
            merged[-1] = Window(merged[-1].start, max(merged[-1].end, w.end))
        else:
            merged.append(w)
    return tuple(merged)


def _parse_days(spec: str) -> list[int]:
    days: list[int] = []
    for part in spec.lower().replace(" ", "").split(","):
        first, sep, last = part.partition("-")
        if first not in DAY_NAMES or (sep and last not in DAY_NAMES):
            raise InvalidInput(f"bad day spec {spec!r}: use mon..sun, ranges and commas")
        lo = DAY_NAMES.index(first)
        hi = DAY_NAMES.index(last) if sep else lo
        # "fri-mon" wraps over the weekend
        days.extend((lo + i) % 7 for i in range((hi - lo) % 7 + 1))
    return days


@dataclass(frozen=True, slots=True)
class WeeklySchedule:
    """Windows per weekday (Monday first) plus holiday dates, all in local time."""

    days: tuple[tuple[Window, ...], ...]
    holidays: frozenset[date] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        if len(self.days) != 7:
            raise InvalidInput(f"a weekly schedule needs 7 days, got {len(self.days)}")
        object.__setattr__(self, "days", tuple(_merge(d) for d in self.days))
        object.__setattr__(self, "holidays", frozenset(self.holidays))
        if not any(self.days):
            raise InvalidInput("a weekly schedule needs at least one window")

    @classmethod
    def from_spec(
        cls, spec: Mapping[str, str | Sequence[str]], *, holidays: Iterable[date] = ()
    ) -> WeeklySchedule:
        """``{"mon-fri": "09:00-21:00", "sat": ["10:00-13:00", "14:00-18:00"]}``."""
        days: list[list[Window]] = [[] for _ in range(7)]
        for day_spec, value in spec.items():
            texts = [value] if isinstance(value, str) else list(value)
            windows = [Window.parse(t) for t in texts]
            for day in _parse_days(day_spec):
                days[day].extend(windows)
        return cls(tuple(tuple(d) for d in days), frozenset(holidays))

    def contains_local(self, local: datetime) -> bool:
        """Whether a wall-clock reading lies in a window (ignores tzinfo)."""
        if local.date() in self.holidays:
            return False
        second = local.hour * 3600 + local.minute * 60 + local.second
        return any(w.start * 60 <= second < w.end * 60 for w in self.days[local.weekday()])


def is_callable(schedule: WeeklySchedule, tz: str | ZoneInfo, now: datetime) -> bool:
    """Whether a lead in zone ``tz`` may be called at the instant ``now``."""
    require_aware(now)
    return schedule.contains_local(now.astimezone(load_zone(tz)))


def _offset_at(zone: ZoneInfo, epoch: int) -> timedelta:
    offset = datetime.fromtimestamp(epoch, zone).utcoffset()
    assert offset is not None  # ZoneInfo always knows its offset
    return offset


@lru_cache(maxsize=8192)
def _transitions_near(zone: ZoneInfo, day: date) -> tuple[datetime, ...]:
    """UTC instants where ``zone`` changes offset, in a span covering local ``day``."""
    start = datetime.combine(day, time(0), UTC) - _ZONE_PAD
    end = datetime.combine(day + timedelta(days=1), time(0), UTC) + _ZONE_PAD
    found: list[datetime] = []
    lo = int(start.timestamp())
    step = int(_TRANSITION_STEP.total_seconds())
    lo_offset = _offset_at(zone, lo)
    while lo < end.timestamp():
        hi = lo + step
        hi_offset = _offset_at(zone, hi)
        if hi_offset != lo_offset:
            a, b = lo, hi  # offset(a) == lo_offset != offset(b)
            while b - a > 1:
                mid = (a + b) // 2
                if _offset_at(zone, mid) == lo_offset:
                    a = mid
                else:
                    b = mid
            found.append(datetime.fromtimestamp(b, UTC))
        lo, lo_offset = hi, hi_offset
    return tuple(found)


def _candidates(schedule: WeeklySchedule, zone: ZoneInfo, day: date) -> list[datetime]:
    """Every instant at which a window of local ``day`` could open (a superset).

    The clock reaches a window's start either continuously (an existing wall time, one
    or two instants with fold 0 and 1) or by jumping at an offset transition; resolving
    a start that falls in a gap yields instants that are simply not callable, and the
    caller filters on callability.
    """
    if day in schedule.holidays or not schedule.days[day.weekday()]:
        return []
    out: list[datetime] = []
    for w in schedule.days[day.weekday()]:
        wall = datetime.combine(day, time(*divmod(w.start, 60)), zone)
        out.append(wall.replace(fold=0).astimezone(UTC))
        out.append(wall.replace(fold=1).astimezone(UTC))
    out.extend(_transitions_near(zone, day))
    return out


def next_opening(schedule: WeeklySchedule, tz: str | ZoneInfo, now: datetime) -> datetime:
    """The first instant at or after ``now`` when ``is_callable`` is true, in UTC.

    Returns ``now`` (in UTC) if callable now. Raises ``InvalidInput`` if the schedule
    cannot open within a year plus its holidays (every open day is a holiday).
    """
    require_aware(now)
    zone = load_zone(tz)
    now_utc = now.astimezone(UTC)
    if schedule.contains_local(now_utc.astimezone(zone)):
        return now_utc
    first_day = now_utc.astimezone(zone).date() - timedelta(days=1)
    best: datetime | None = None
    horizon = 366 + len(schedule.holidays) + 2
    for offset in range(horizon):
        day = first_day + timedelta(days=offset)
        for candidate in _candidates(schedule, zone, day):
            if candidate > now_utc and (best is None or candidate < best) and (
                schedule.contains_local(candidate.astimezone(zone))
            ):
                best = candidate
        # A later local day can still hold an earlier instant only through the padded
        # transition spans, which overlap by a day; so stop one day after a find.
        if best is not None and day > best.astimezone(zone).date():
            return best
    if best is not None:
        return best
    raise InvalidInput("the calling schedule never opens (every open day is a holiday?)")
