"""An arrival profile measured from the call log (``calls``), per queue and interval.

For each queue and time-of-day interval over a range of days: arrivals are inbound
calls created in it, divided by the number of days counted; the handle time is the mean
talk time of its answered calls plus the queue's wrap-up; patience is the maximum
likelihood estimate for exponential patience, total time waited by callers who were
answered or gave up divided by the number who gave up (an answered caller's wait is a
patience that was at least that long). An interval with fewer than ``MIN_SAMPLES``
answered (or abandoned) calls takes the queue's figure over the whole range instead; a
queue nobody abandoned has unlimited patience (Erlang C).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from callrouter.errors import InvalidInput
from callrouter.planning._model import Interval, Profile, QueueLoad
from callrouter.store import DbConnection
from callrouter.store.reports import arrivals_by_interval

__all__ = ["MIN_SAMPLES", "profile_from_history"]

MIN_SAMPLES = 20



@dataclass(slots=True)
class _Sums:
    calls: int = 0
    answered: int = 0
    talk_s: float = 0.0
    abandoned: int = 0
    waited_s: float = 0.0

    def add(self, other: _Sums) -> None:
        self.calls += other.calls
        self.answered += other.answered
        self.talk_s += other.talk_s
        self.abandoned += other.abandoned
        self.waited_s += other.waited_s


async def profile_from_history(
    conn: DbConnection,
    *,
    since: date,
    until: date,
    interval_s: int = 1800,
    timezone: str = "UTC",
    weekdays: Collection[int] = (1, 2, 3, 4, 5, 6, 7),
    queues: Collection[str] = (),
    wrapup_s: Mapping[str, float] | None = None,
) -> Profile:
    """The average day between ``since`` (included) and ``until`` (excluded), counting
    only ``weekdays`` (ISO: Monday is 1)."""
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidInput(f"unknown time zone {timezone!r}") from exc
    if until <= since:
        raise InvalidInput("the history range is empty: until must be after since")
    wanted = sorted(set(weekdays))
    if not wanted or any(d not in range(1, 8) for d in wanted):
        raise InvalidInput("weekdays are ISO numbers, 1 (Monday) to 7")
    days = sum(
        (since + timedelta(days=k)).isoweekday() in wanted for k in range((until - since).days)
    )
    if days == 0:
        raise InvalidInput("no day of the range falls on the chosen weekdays")
    rows = await arrivals_by_interval(
        conn,
        start=datetime.combine(since, time(), zone),
        end=datetime.combine(until, time(), zone),
        timezone=timezone,
        interval_s=interval_s,
        weekdays=wanted,
        queues=sorted(queues),
    )
    slots: dict[int, dict[str, _Sums]] = {}
    whole: dict[str, _Sums] = {}
    for r in rows:
        sums = _Sums(r["calls"], r["answered"], r["talk_s"], r["abandoned"], r["waited_s"])
        slots.setdefault(r["start_s"], {})[r["queue"]] = sums
        whole.setdefault(r["queue"], _Sums()).add(sums)
    if not slots:
        raise InvalidInput(f"no inbound call in the history from {since} to {until}")
    wrapup = wrapup_s or {}
    intervals = []
    for start in sorted(slots):
        loads = []
        for queue, s in sorted(slots[start].items()):
            talk = s if s.answered >= MIN_SAMPLES else whole[queue]
            patience = s if s.abandoned >= MIN_SAMPLES else whole[queue]
            mean_talk = talk.talk_s / talk.answered if talk.answered else 0.0
            loads.append(
                QueueLoad(
                    queue=queue,
                    calls=s.calls / days,
                    aht_s=max(1.0, mean_talk + wrapup.get(queue, 0.0)),
                    patience_s=(
                        patience.waited_s / patience.abandoned
                        if patience.abandoned and patience.waited_s > 0
                        else None
                    ),
                )
            )
        intervals.append(Interval(start, tuple(loads)))
    return Profile(interval_s, tuple(intervals))
