"""Time zone helpers shared by the dialer core: zone lookup and clock-argument checks."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = ["load_zone", "local_midnight", "require_aware"]


@lru_cache(maxsize=1024)
def _cached_zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        # ValueError: keys such as "../x" or "" that could never name a zone file
        raise ValueError(f"unknown time zone {name!r} (expected an IANA name)") from exc


def load_zone(zone: str | ZoneInfo) -> ZoneInfo:
    """A ZoneInfo for an IANA name (cached); ValueError naming it if it does not exist."""
    if isinstance(zone, ZoneInfo):
        return zone
    return _cached_zone(zone.strip())


def require_aware(now: datetime, name: str = "now") -> None:
    """Refuse naive datetimes: the core never guesses which clock a caller meant."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {now.isoformat()}")


def local_midnight(now: datetime, zone: str | ZoneInfo) -> datetime:
    """The start of ``now``'s day in ``zone`` (a campaign's day for its abandon rate)."""
    require_aware(now)
    local = now.astimezone(load_zone(zone))
    return local.replace(hour=0, minute=0, second=0, microsecond=0)
