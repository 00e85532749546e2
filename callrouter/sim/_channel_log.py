"""The channel log: what happened to every channel the simulator ever created.

ARI forgets a channel once it is destroyed and an application only sees the channels it
is told about; this log keeps, for each channel, where it came from, its Stasis args,
when it was created, rang, answered, entered and left which bridge with which other
channels, the hangup request and the causes it was destroyed with. Tests read it through
``GET /sim/channel-log`` to assert on the whole call center afterwards, e.g. that no
operator's phone was ever rung or bridged for two calls at once.

Times are simulated epoch seconds (``SimClock.now()``). Every moment also gets a
``seq`` from one counter shared by all channels, so moments that fall on the same clock
reading are still totally ordered.
"""

from __future__ import annotations

import itertools
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from callrouter.sim._base import JsonObj, SimClock, cause_text
from callrouter.sim._state import Bridge, Channel

# Enough for a long simulated day; the oldest records go first.
CHANNEL_LOG_LIMIT = 50_000


@dataclass
class _Stay:
    bridge_id: str
    bridge_name: str
    entered: float
    left: float | None = None
    others: list[str] = field(default_factory=list)

    def to_json(self) -> JsonObj:
        return {
            "bridge": self.bridge_id,
            "name": self.bridge_name,
            "entered": self.entered,
            "left": self.left,
            "with": list(self.others),
        }


@dataclass
class _Record:
    channel: Channel
    created: float
    ringing: float | None = None
    answered: float | None = None
    destroyed: float | None = None
    stasis: list[JsonObj] = field(default_factory=list)
    dial_status: str | None = None
    hangup_request: JsonObj | None = None
    cause: int | None = None
    tech_cause: int | None = None
    stays: list[_Stay] = field(default_factory=list)
    timeline: list[JsonObj] = field(default_factory=list)

    def open_stay(self) -> _Stay | None:
        if self.stays and self.stays[-1].left is None:
            return self.stays[-1]
        return None

    def to_json(self) -> JsonObj:
        ch = self.channel
        return {
            "id": ch.id,
            "name": ch.name,
            "endpoint": ch.endpoint_key,
            "origin": ch.origin,
            "local_peer": ch.local_peer.id if ch.local_peer is not None else None,
            "caller": ch.caller.to_json(),
            "args": self.stasis[0]["args"] if self.stasis else None,
            "stasis": list(self.stasis),
            "created": self.created,
            "ringing": self.ringing,
            "answered": self.answered,
            "destroyed": self.destroyed,
            "dial_status": self.dial_status,
            "hangup_request": self.hangup_request,
            "cause": self.cause,
            "cause_txt": cause_text(self.cause) if self.cause is not None else None,
            "tech_cause": self.tech_cause,
            "bridges": [stay.to_json() for stay in self.stays],
            "timeline": list(self.timeline),
        }


class ChannelLog:
    def __init__(self, *, clock: SimClock, limit: int = CHANNEL_LOG_LIMIT) -> None:
        if limit <= 0:
            raise ValueError(f"limit must be positive, got {limit!r}")
        self._clock = clock
        self._limit = limit
        self._records: OrderedDict[str, _Record] = OrderedDict()
        self._seq = itertools.count(1)

    def to_json(self) -> list[JsonObj]:
        return [record.to_json() for record in self._records.values()]

    def clear(self) -> None:
        self._records.clear()

    def _mark(self, ch: Channel, event: str, **details: Any) -> tuple[_Record | None, float]:
        now = self._clock.now()
        record = self._records.get(ch.id)
        if record is not None and record.channel is ch:
            record.timeline.append({"seq": next(self._seq), "at": now, "event": event, **details})
            return record, now
        return None, now

    # -- what the switch reports ---------------------------------------------------
    def created(self, ch: Channel) -> None:
        while len(self._records) >= self._limit:
            self._records.popitem(last=False)
        # A channel id may be reused once the first channel is gone: keep the newest.
        self._records.pop(ch.id, None)
        self._records[ch.id] = _Record(channel=ch, created=self._clock.now())
        self._mark(ch, "created")

    def state(self, ch: Channel, state: str) -> None:
        record, now = self._mark(ch, "state", state=state)
        if record is None:
            return
        if state == "Ringing" and record.ringing is None:
            record.ringing = now
        elif state == "Up" and record.answered is None:
            record.answered = now

    def stasis_start(self, ch: Channel, app: str, args: list[str]) -> None:
        record, _ = self._mark(ch, "stasis_start", app=app, args=list(args))
        if record is not None:
            record.stasis.append({"app": app, "args": list(args)})

    def stasis_end(self, ch: Channel) -> None:
        self._mark(ch, "stasis_end")

    def dial(self, ch: Channel, status: str) -> None:
        record, _ = self._mark(ch, "dial", dialstatus=status)
        if record is not None and status:
            record.dial_status = status

    def entered_bridge(self, ch: Channel, br: Bridge) -> None:
        others = [member.id for member in br.members if member is not ch]
        record, now = self._mark(ch, "entered_bridge", bridge=br.id, others=others)
        if record is not None:
            record.stays.append(_Stay(br.id, br.name, now, others=others))
        for member in br.members:
            stay = self._open_stay(member)
            if member is not ch and stay is not None and ch.id not in stay.others:
                stay.others.append(ch.id)

    def _open_stay(self, ch: Channel) -> _Stay | None:
        record = self._records.get(ch.id)
        return record.open_stay() if record is not None else None

    def left_bridge(self, ch: Channel, br: Bridge) -> None:
        record, now = self._mark(ch, "left_bridge", bridge=br.id)
        stay = record.open_stay() if record is not None else None
        if stay is not None:
            stay.left = now

    def hangup_request(self, ch: Channel, request: JsonObj) -> None:
        record, _ = self._mark(ch, "hangup_request", **request)
        if record is not None and record.hangup_request is None:
            record.hangup_request = dict(request)

    def destroyed(self, ch: Channel, *, cause: int, tech_cause: int | None) -> None:
        record, now = self._mark(ch, "destroyed", cause=cause, tech_cause=tech_cause)
        if record is not None:
            record.destroyed, record.cause, record.tech_cause = now, cause, tech_cause
