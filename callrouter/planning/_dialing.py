"""A campaign blended into the simulated day: the dialer shell's part, played.

Rules
-----
* How many lines to dial is the pacing core's ``decide`` with the campaign's pacing
  configuration as the live dialer builds it (``Campaign.pacing``), fed what the live
  shell measures (``calls/_dialer_legs.py``, ``DialedLegs.snapshot``): the queue's
  available operators less one per inbound caller waiting in its line and less
  ``inbound_reserve``; lines ringing or in AMD; answered customers not connected yet;
  the queue's busy operators and how long each has been busy; ``RollingStats`` over the
  campaign's abandon window; the campaign's and the trunk's load. Abandon counts are
  the rolling stats' own (one node; the campaign's day is the simulated day).
* Each lead's fate (a person or not, ring time, talk time) is the dialer's
  ``draw_lead`` from the campaign's own seeded stream, with the interval's answer rate
  and talk time; an interval's ``leads`` bound the lines dialled in it.
* A person who answers is handed to the routing core as the live shell does
  (``calls/_dialer.py``, ``_human``): once AMD has listened, ``CallArrived`` into the
  campaign's queue at ``OUTBOUND_PRIORITY``, unless ``abandon_after_s`` since the answer
  has already passed (then abandoned without queueing). At that deadline a queued
  customer no operator is connected to is abandoned: ``CallerHungUp``. A customer the
  core ends without an operator (nobody logged in, queue full) is abandoned too, as the
  live attempt's outcome is.
* Pacing runs when an operator of the queue becomes available (the live dialer is woken
  then), when a line ends ringing, when a customer is lost, at each interval's start,
  and again one second later while operators are free for the campaign and nothing was
  dialled (the live dialer's backstop tick is 0.25 s; nothing changes between events
  but the rolling window and the calls of the last second).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta

from callrouter.acd import CallerHungUp, CallRecord
from callrouter.dialer import (
    Abandoned,
    Answered,
    Handled,
    LeadFate,
    Load,
    Originated,
    PacingSnapshot,
    RollingStats,
    Unanswered,
    decide,
    draw_lead,
)
from callrouter.planning._campaign import Campaign
from callrouter.planning._model import OutboundLoad, Profile
from callrouter.planning._tally import OutboundTally
from callrouter.planning._timeline import HUMAN, LINE, LOST, PACE, US, Floor, at, seconds

__all__ = ["CampaignDay"]

_BACKSTOP_US = US


@dataclass(slots=True)
class _Line:
    call_id: str
    interval: int
    started_us: int
    fate: LeadFate
    answered_us: int | None = None
    queued: bool = False
    connected: bool = False
    lost: bool = False


class CampaignDay:
    """One campaign's lines in one run; the methods are its event handlers."""

    def __init__(
        self,
        campaign: Campaign,
        number: int,
        floor: Floor,
        profile: Profile,
        *,
        seed: int,
        wrapup_s: float,
    ) -> None:
        self.campaign, self.number, self.floor = campaign, number, floor
        self.tag = str(number)
        self.wrapup = timedelta(seconds=wrapup_s)
        self.abandon_after_us = seconds(campaign.abandon_after_s)
        self.stats = RollingStats(window=timedelta(seconds=campaign.abandon_window_s))
        self.stream = random.Random(f"{seed}:campaign:{campaign.name}")
        self.loads: dict[int, OutboundLoad | None] = {
            index: interval.outbound_load(campaign.queue)
            for index, interval in enumerate(profile.intervals)
        }
        self.loads[-1] = self.loads[0]  # the warm-up dials as the first interval does
        self.leads_left = {i: (ld.leads if ld else 0) for i, ld in self.loads.items()}
        self.lines: dict[str, _Line] = {}
        """Every line not ended: ringing, in AMD, queued or with an operator."""
        self.unanswered = 0
        self.waiting = 0
        self.paced_at = -1
        self.backstop_us: int | None = None
        self.next_id = 0
        self.anticipating = campaign.pacing.anticipation > 0
        self.last_snapshot: PacingSnapshot | None = None
        """What the last pacing decision was taken on (None: it did not get that far)."""

    def step(self, kind: int, call_id: str) -> None:
        """One of the campaign's events (``_timeline``)."""
        if kind == LINE:
            self.line_ended(call_id)
        elif kind == HUMAN:
            self.human(call_id)
        elif kind == LOST:
            self.lost(call_id)
        else:
            self.pace()

    def _tally(self, line: _Line) -> OutboundTally | None:
        if line.interval < 0:
            return None  # the warm-up is not measured
        return self.floor.tally.lines(line.interval, self.campaign.name)

    # -- pacing -------------------------------------------------------------------------

    def wake(self) -> None:
        """Pace at this instant, after everything else that happens at it."""
        if self.paced_at != self.floor.now_us:
            self.paced_at = self.floor.now_us
            self.floor.push(self.floor.now_us, PACE, self.tag)

    def _backstop(self) -> None:
        """Pace again in a second (one such tick pending at a time)."""
        if self.backstop_us is None:
            self.backstop_us = self.floor.now_us + _BACKSTOP_US
            self.floor.push(self.backstop_us, PACE, self.tag)

    def pace(self) -> None:
        floor, now_us = self.floor, self.floor.now_us
        if now_us == self.backstop_us:
            self.backstop_us = None
        self.last_snapshot = None
        index = floor.dial_interval(now_us)
        load = None if index is None else self.loads.get(index)
        if index is None or load is None:
            return
        left = self.leads_left[index]
        if left == 0:
            return
        now = at(now_us)
        queue = floor.queue_floor(self.campaign.queue)
        elapsed: tuple[timedelta, ...] = ()
        if self.anticipating:  # ``decide`` reads them only to dial ahead
            elapsed = tuple(
                timedelta(microseconds=now_us - queue.busy_since_us[op]) for op in queue.busy
            )
        free = queue.available - queue.inbound_waiting - self.campaign.inbound_reserve
        snapshot = PacingSnapshot(
            free_operators=max(0, free),
            ringing=self.unanswered,
            waiting=self.waiting,
            busy_operators=len(queue.busy),
            busy_elapsed=elapsed,
            stats=self.stats.summary(now),
            campaign_load=Load(
                active=len(self.lines), started_last_second=self.stats.started_last_second(now)
            ),
            trunk_load=floor.trunk_load(),
        )
        self.last_snapshot = snapshot
        lines = decide(snapshot, self.campaign.pacing).originate
        if left is not None:
            lines = min(lines, left)
            self.leads_left[index] = left - lines
        for _ in range(lines):
            self._originate(index, load)
        if not lines and snapshot.free_operators > snapshot.waiting:
            self._backstop()

    def _originate(self, index: int, load: OutboundLoad) -> None:
        floor, c = self.floor, self.campaign
        call_id = f"{c.name}#{self.next_id}"
        self.next_id += 1
        fate = draw_lead(
            self.stream,
            answer_rate=load.answer_rate,
            mean_talk_s=load.talk_s,
            answer_after=c.answer_after_s,
            give_up_after=c.give_up_after_s,
        )
        line = self.lines[call_id] = _Line(call_id, index, floor.now_us, fate)
        self.unanswered += 1
        self.stats.record(Originated(at(floor.now_us)))
        floor.line_started()
        tally = self._tally(line)
        if tally is not None:
            tally.attempts += 1
        floor.push(floor.now_us + seconds(fate.ring_s), LINE, self.tag, call_id)

    # -- the customer's side ------------------------------------------------------------

    def line_ended(self, call_id: str) -> None:
        """The line stopped ringing: a person answered, or nobody will."""
        floor, line = self.floor, self.lines[call_id]
        if not line.fate.person:
            del self.lines[call_id]
            self.unanswered -= 1
            self.stats.record(Unanswered(at(floor.now_us)))
            self.wake()
            return
        line.answered_us = floor.now_us
        tally = self._tally(line)
        if tally is not None:
            tally.answered += 1
        floor.push(floor.now_us + self.abandon_after_us, LOST, self.tag, call_id)
        if self.campaign.amd_s > 0:
            floor.push(floor.now_us + seconds(self.campaign.amd_s), HUMAN, self.tag, call_id)
        else:
            self.human(call_id)

    def human(self, call_id: str) -> None:
        """AMD says a person: into the queue, or abandoned if the deadline has passed."""
        floor, line = self.floor, self.lines[call_id]
        assert line.answered_us is not None
        self.unanswered -= 1
        ring_and_amd = timedelta(microseconds=floor.now_us - line.started_us)
        self.stats.record(Answered(at(floor.now_us), ring_and_amd))
        if floor.now_us >= line.answered_us + self.abandon_after_us:
            del self.lines[call_id]
            self._abandon(line)
            self.wake()
            return
        line.queued = True
        self.waiting += 1
        floor.queue_customer(
            call_id, self.campaign.queue, line.fate.talk_s, line.interval, self.number
        )

    def lost(self, call_id: str) -> None:
        """The abandon deadline: a queued customer nobody is connected to hangs up."""
        line = self.lines.get(call_id)
        if line is None or not line.queued or line.connected or line.lost:
            return  # ended, still in AMD (``human`` decides), or connected
        self._abandon(line)
        self.floor.feed(CallerHungUp(call_id, at(self.floor.now_us)))
        self.wake()

    def _abandon(self, line: _Line) -> None:
        line.lost = True
        self.stats.record(Abandoned(at(self.floor.now_us)))
        tally = self._tally(line)
        if tally is not None:
            tally.abandoned += 1

    # -- what the routing core says -----------------------------------------------------

    def connected(self, call_id: str) -> None:
        line = self.lines[call_id]
        line.connected = True
        self.waiting -= 1
        tally = self._tally(line)
        if tally is not None:
            tally.connected += 1

    def ended(self, record: CallRecord) -> None:
        line = self.lines.pop(record.call_id)
        if line.queued and not line.connected:
            self.waiting -= 1
        if record.outcome == "answered" and record.talk_s is not None:
            handled = timedelta(seconds=record.talk_s) + self.wrapup
            self.stats.record(Handled(at(self.floor.now_us), handled))
        elif not line.lost:
            self._abandon(line)
            self.wake()
