"""Calling windows in the lead's local time, across DST changes in both directions."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from callrouter.dialer import WeeklySchedule, Window, is_callable, next_opening
from callrouter.errors import InvalidInput

NY = "America/New_York"
BERLIN = "Europe/Berlin"
WEEKDAYS = WeeklySchedule.from_spec({"mon-fri": "09:00-21:00", "sat": "10:00-18:00"})


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def sundays(window: str) -> WeeklySchedule:
    return WeeklySchedule.from_spec({"sun": window})


def open_seconds(schedule: WeeklySchedule, tz: str, start: datetime, end: datetime) -> int:
    """Real seconds callable in [start, end), sampled each minute (windows are minutes)."""
    t, total = start, 0
    while t < end:
        total += 60 if is_callable(schedule, tz, t) else 0
        t += timedelta(minutes=1)
    return total


# --- plain weeks -----------------------------------------------------------------------


def test_weekday_window_edges_are_half_open() -> None:
    friday = datetime(2024, 1, 12, 20, 59, 59, tzinfo=ZoneInfo(NY))
    assert is_callable(WEEKDAYS, NY, friday)
    assert not is_callable(WEEKDAYS, NY, friday + timedelta(seconds=1))
    assert is_callable(WEEKDAYS, NY, datetime(2024, 1, 12, 9, 0, tzinfo=ZoneInfo(NY)))
    assert not is_callable(WEEKDAYS, NY, datetime(2024, 1, 12, 8, 59, tzinfo=ZoneInfo(NY)))


def test_next_opening_friday_night_is_saturday_ten_local_in_utc() -> None:
    friday_late = utc(2024, 1, 13, 2, 30)  # 21:30 Friday in New York
    assert next_opening(WEEKDAYS, NY, friday_late) == utc(2024, 1, 13, 15, 0)


def test_next_opening_is_now_when_callable_and_always_utc() -> None:
    now = datetime(2024, 1, 10, 12, 0, tzinfo=ZoneInfo(BERLIN))
    opening = next_opening(WEEKDAYS, BERLIN, now)
    assert opening == now and opening.tzinfo is UTC


def test_sunday_waits_for_monday_and_holidays_are_skipped() -> None:
    sunday = utc(2024, 12, 22, 12, 0)
    assert next_opening(WEEKDAYS, BERLIN, sunday) == utc(2024, 12, 23, 8, 0)
    xmas = WeeklySchedule(WEEKDAYS.days, frozenset({date(2024, 12, 23), date(2024, 12, 24)}))
    assert not is_callable(xmas, BERLIN, utc(2024, 12, 23, 12, 0))
    assert next_opening(xmas, BERLIN, sunday) == utc(2024, 12, 25, 8, 0)


def test_holidays_are_local_dates() -> None:
    # 23:30 UTC on Dec 23 is already Dec 24 in Berlin but still Dec 23 in New York.
    late = WeeklySchedule.from_spec({"mon-sun": "00:00-24:00"}, holidays=[date(2024, 12, 24)])
    assert not is_callable(late, BERLIN, utc(2024, 12, 23, 23, 30))
    assert is_callable(late, NY, utc(2024, 12, 23, 23, 30))


def test_spec_parsing_merges_and_wraps() -> None:
    s = WeeklySchedule.from_spec({"fri-mon": ["09:00-12:00", "11:00-13:00"], "wed": "08:00-24:00"})
    assert s.days[4] == (Window(540, 780),)
    assert s.days[6] == s.days[0] == s.days[4]
    assert s.days[1] == () and str(s.days[2][0]) == "08:00-24:00"


@pytest.mark.parametrize(
    "spec",
    [{"mon": "09:00"}, {"mon": "21:00-09:00"}, {"funday": "09:00-10:00"}, {"mon": "25:00-26:00"},
     {"mon": "9h-10h"}, {}],
)
def test_bad_specs_fail_at_construction(spec: dict[str, str]) -> None:
    with pytest.raises(InvalidInput):
        WeeklySchedule.from_spec(spec)


def test_naive_now_and_unknown_zone_are_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        is_callable(WEEKDAYS, NY, datetime(2024, 1, 1, 12))
    with pytest.raises(ValueError, match="time zone"):
        next_opening(WEEKDAYS, "Mars/Olympus", utc(2024, 1, 1))


# --- spring forward --------------------------------------------------------------------
# New York 2024-03-10: 02:00 EST -> 03:00 EDT at 07:00 UTC.
# Berlin   2024-03-31: 02:00 CET -> 03:00 CEST at 01:00 UTC.


def test_new_york_spring_forward_inside_window_shortens_it() -> None:
    s = sundays("01:00-04:00")
    assert is_callable(s, NY, utc(2024, 3, 10, 6, 59) + timedelta(seconds=59))  # 01:59:59 EST
    assert is_callable(s, NY, utc(2024, 3, 10, 7, 0))  # 03:00 EDT
    assert not is_callable(s, NY, utc(2024, 3, 10, 8, 0))  # 04:00 EDT
    seconds = open_seconds(s, NY, utc(2024, 3, 10, 4), utc(2024, 3, 10, 10))
    assert seconds == 2 * 3600


def test_window_starting_in_the_gap_opens_when_the_clock_jumps() -> None:
    s = sundays("02:30-05:00")
    assert next_opening(s, NY, utc(2024, 3, 10, 5, 0)) == utc(2024, 3, 10, 7, 0)
    assert next_opening(s, BERLIN, utc(2024, 3, 30, 23, 0)) == utc(2024, 3, 31, 1, 0)


def test_window_wholly_inside_the_gap_does_not_happen_that_day() -> None:
    s = sundays("02:00-02:45")
    opening = next_opening(s, NY, utc(2024, 3, 10, 5, 0))
    assert opening == utc(2024, 3, 17, 6, 0)  # next Sunday, 02:00 EDT


def test_berlin_spring_forward_inside_window() -> None:
    s = sundays("01:00-04:00")
    assert is_callable(s, BERLIN, utc(2024, 3, 31, 0, 59))  # 01:59 CET
    assert is_callable(s, BERLIN, utc(2024, 3, 31, 1, 0))  # 03:00 CEST
    assert not is_callable(s, BERLIN, utc(2024, 3, 31, 2, 0))  # 04:00 CEST
    assert open_seconds(s, BERLIN, utc(2024, 3, 30, 22), utc(2024, 3, 31, 4)) == 2 * 3600


# --- fall back -------------------------------------------------------------------------
# New York 2024-11-03: 02:00 EDT -> 01:00 EST at 06:00 UTC.
# Berlin   2024-10-27: 03:00 CEST -> 02:00 CET at 01:00 UTC.


def test_new_york_fall_back_inside_window_lengthens_it() -> None:
    s = sundays("01:00-04:00")
    assert next_opening(s, NY, utc(2024, 11, 3, 0)) == utc(2024, 11, 3, 5, 0)  # 01:00 EDT
    assert open_seconds(s, NY, utc(2024, 11, 3, 3), utc(2024, 11, 3, 11)) == 4 * 3600
    assert not is_callable(s, NY, utc(2024, 11, 3, 9, 0))  # 04:00 EST


def test_window_ending_in_the_repeated_hour_reopens_for_the_repeat() -> None:
    s = sundays("00:00-01:30")
    assert is_callable(s, NY, utc(2024, 11, 3, 5, 15))  # 01:15 EDT
    assert not is_callable(s, NY, utc(2024, 11, 3, 5, 45))  # 01:45 EDT
    assert next_opening(s, NY, utc(2024, 11, 3, 5, 45)) == utc(2024, 11, 3, 6, 0)  # 01:00 EST
    assert not is_callable(s, NY, utc(2024, 11, 3, 6, 30))  # 01:30 EST


def test_berlin_window_inside_the_repeated_hour_happens_twice() -> None:
    s = sundays("02:00-02:30")
    assert next_opening(s, BERLIN, utc(2024, 10, 26, 20)) == utc(2024, 10, 27, 0, 0)  # CEST
    assert next_opening(s, BERLIN, utc(2024, 10, 27, 0, 45)) == utc(2024, 10, 27, 1, 0)  # CET
    assert open_seconds(s, BERLIN, utc(2024, 10, 26, 22), utc(2024, 10, 27, 4)) == 3600


# --- property: is_callable and next_opening agree ---------------------------------------

ZONES = [NY, BERLIN, "Australia/Lord_Howe", "America/Santiago", "Asia/Kolkata",
         "Australia/Sydney", "America/Havana", "UTC"]


@cache
def transitions(zone: str) -> tuple[datetime, ...]:
    tz = ZoneInfo(zone)
    t, out = utc(2024, 1, 1), []
    last = t.astimezone(tz).utcoffset()
    while t < utc(2025, 1, 1):
        t += timedelta(minutes=30)
        offset = t.astimezone(tz).utcoffset()
        if offset != last:
            out.append(t)
            last = offset
    return tuple(out) or (utc(2024, 6, 1),)


minutes = st.integers(0, 96).map(lambda q: q * 15)


@st.composite
def schedules(draw: st.DrawFn) -> WeeklySchedule:
    days = []
    for _ in range(7):
        windows = []
        for _ in range(draw(st.integers(0, 2))):
            a, b = sorted(draw(st.lists(minutes, min_size=2, max_size=2, unique=True)))
            windows.append(Window(a, b))
        days.append(tuple(windows))
    if not any(days):
        days[draw(st.integers(0, 6))] = (Window(60, 180),)
    return WeeklySchedule(tuple(days))


@st.composite
def instants(draw: st.DrawFn) -> tuple[str, datetime]:
    zone = draw(st.sampled_from(ZONES))
    near = draw(st.sampled_from(transitions(zone)))
    shift = draw(st.integers(-2 * 86400, 2 * 86400))
    return zone, near + timedelta(seconds=shift)


@settings(max_examples=300, deadline=None)
@given(schedules(), instants())
def test_next_opening_is_the_first_callable_instant(
    schedule: WeeklySchedule, where: tuple[str, datetime]
) -> None:
    zone, now = where
    opening = next_opening(schedule, zone, now)
    assert opening >= now
    assert is_callable(schedule, zone, opening)
    if opening > now:
        assert not is_callable(schedule, zone, opening - timedelta(seconds=1))
        # nothing callable earlier: probe each minute (windows and transitions fall on
        # whole minutes) plus the instants just before each of them
        t, end = now, min(opening, now + timedelta(days=3))
        while t < end:
            assert not is_callable(schedule, zone, t), t
            t += timedelta(minutes=1)
        for boundary in transitions(zone):
            if now <= boundary - timedelta(seconds=1) < opening:
                assert not is_callable(schedule, zone, boundary - timedelta(seconds=1))
                if boundary < opening:
                    assert not is_callable(schedule, zone, boundary)
