"""Inbound callers of the simulated day: when each queue's next caller arrives, and how
long they talk and wait.

Each queue draws from its own seeded stream, the same three numbers per caller in
arrival order (gap, talk, patience): two rosters run with one seed meet the *same*
callers and differ only in how they are served (common random numbers). Gaps are
exponential at each interval's rate, and memoryless, so crossing into the next interval
just draws again from its start. A warm-up before the first interval has the first
interval's load.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from callrouter.errors import InvalidInput
from callrouter.planning._model import Profile
from callrouter.planning._timeline import US

__all__ = ["Arrivals", "Caller"]


@dataclass(frozen=True, slots=True)
class _Segment:
    start_us: int
    end_us: int
    rate_per_us: float
    talk_s: float
    patience_s: float | None
    interval: int  # -1: the warm-up


@dataclass(frozen=True, slots=True)
class Caller:
    talk_s: float
    patience_s: float | None
    interval: int


class Arrivals:
    def __init__(
        self,
        profile: Profile,
        *,
        seed: int,
        ring_s: float,
        wrapup_s: dict[str, float],
        first_us: int,
    ) -> None:
        self._streams = {q: random.Random(f"{seed}:{q}") for q in profile.queues}
        self._segments = {
            q: self._build(profile, q, ring_s + wrapup_s[q], first_us) for q in profile.queues
        }

    @staticmethod
    def _build(profile: Profile, queue: str, not_talk_s: float, first_us: int) -> list[_Segment]:
        """Talk time is the load's ``aht_s`` minus the queue's wrap-up and the ring time,
        so the operator's time per call has Erlang's AHT as its mean."""
        out: list[_Segment] = []
        interval_us = profile.interval_s * US
        for index, interval in enumerate(profile.intervals):
            load = interval.load(queue)
            if load is None or load.calls == 0:
                continue
            talk = load.aht_s - not_talk_s
            if talk <= 0:
                raise InvalidInput(
                    f"{queue}: aht {load.aht_s} s leaves no talk time after wrap-up and ring"
                )
            start = first_us + (interval.start_s - profile.intervals[0].start_s) * US
            rate = load.calls / interval_us
            if index == 0 and first_us:
                out.append(_Segment(0, first_us, rate, talk, load.patience_s, -1))
            out.append(_Segment(start, start + interval_us, rate, talk, load.patience_s, index))
        return out

    def next_after(self, queue: str, after_us: int) -> int | None:
        """When ``queue``'s next caller arrives (None: no more today)."""
        stream = self._streams[queue]
        for segment in self._segments[queue]:
            if segment.end_us <= after_us:
                continue
            t = max(after_us, segment.start_us)
            t += max(1, round(stream.expovariate(segment.rate_per_us)))
            if t < segment.end_us:
                return t
        return None

    def caller(self, queue: str, now_us: int) -> Caller:
        """The caller of ``queue`` arriving now."""
        segment = next((s for s in self._segments[queue] if s.start_us <= now_us < s.end_us), None)
        if segment is None:
            raise AssertionError(f"an arrival outside every interval of {queue}")
        stream = self._streams[queue]
        talk = stream.expovariate(1 / segment.talk_s)
        patience = (
            stream.expovariate(1 / segment.patience_s) if segment.patience_s is not None else None
        )
        return Caller(talk, patience, segment.interval)
