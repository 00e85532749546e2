"""Business hours as a pure function of a calendar and an instant.

The instant is converted to the calendar's own time zone before anything else, so
opening hours follow the local wall clock across daylight-saving changes: "09:00-17:00"
means nine o'clock local time in winter and in summer alike.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from callrouter.acd._model import Calendar
from callrouter.errors import InvalidInput

__all__ = ["is_open"]


@lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def is_open(calendar: Calendar, at: datetime) -> bool:
    """Whether ``calendar`` is open at the aware instant ``at``."""
    if at.tzinfo is None:
        raise InvalidInput("is_open needs a timezone-aware datetime")
    local = at.astimezone(_zone(calendar.timezone))
    if local.date() in calendar.holidays:
        return False
    if not calendar.spans:
        return True
    now = local.time().replace(tzinfo=None)
    for start, end in calendar.spans.get(local.weekday(), ()):
        if start <= now and (end is None or now < end):
            return True
    return False
