"""A discrete-event run of one planned day through the real routing core.

Rules
-----
* The routing is ``callrouter.acd.AcdEngine`` itself, built from the same ``QueuePolicy``
  objects the service runs: strategies, skill tiers, escalation, overflow, max wait,
  wrap-up and every tie-break are the engine's. This module only plays the world around
  it: callers arrive, phones ring and are answered after ``ring_s``, calls end after
  their talk time, callers hang up when their patience runs out, operators log in and
  out at interval boundaries as the roster says, and a ``Tick`` is sent at each
  ``engine.next_deadline()`` (wrap-up, ring timeouts, escalation, max wait).
* Time is whole microseconds in a heap of future events, so a deadline read from the
  engine is hit exactly; ties at one instant are ordered as ``_timeline`` says.
* Callers come from ``_arrivals`` (common random numbers across rosters).
* Callers are measured in the interval they arrive in; a warm-up before the first
  interval (same load and roster) fills the system so a steady-state run starts loaded.
* Campaigns blended in (``_dialing``) dial into the same day: their answered customers
  are calls of the same engine at the outbound priority, their lines share the trunk.

Calendars are not applied (the profile says when calls come) and a ``StoreCallback``
counts as a callback, not a later call. What becomes of every caller is the outcome of
the engine's final ``CallRecord``.
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from callrouter.acd import (
    AcdCommand,
    AcdConfig,
    AcdEngine,
    AcdEvent,
    CallArrived,
    CallCompleted,
    CallerHungUp,
    CallRecord,
    CancelRing,
    ConnectCall,
    OfferAnswered,
    OperatorLoggedIn,
    OperatorLoggedOut,
    OperatorSpec,
    OperatorState,
    OperatorStateChanged,
    Overflow,
    RingOperator,
    Tick,
)
from callrouter.dialer import OUTBOUND_PRIORITY, Load
from callrouter.errors import InvalidInput
from callrouter.planning._arrivals import Arrivals
from callrouter.planning._campaign import Campaign, check_campaigns
from callrouter.planning._dialing import CampaignDay
from callrouter.planning._floor import FloorWatch
from callrouter.planning._model import Profile, Roster, Routing
from callrouter.planning._tally import CallTally, DayTally
from callrouter.planning._timeline import (
    ABANDON,
    ANSWER,
    ARRIVAL,
    HANGUP,
    PACE,
    STAFF,
    START,
    TICK,
    US,
    QueueFloor,
    at,
    seconds,
)
from callrouter.planning._timesheet import BUSY, Timesheet

__all__ = ["CallTally", "DayTally", "SimulationSettings", "advance", "simulate_day", "start_day"]

_MICROSECOND = timedelta(microseconds=1)
# After the last interval, waiting callers get this long to be served or leave.
_DRAIN_S = 4 * 3600


@dataclass(frozen=True, slots=True)
class SimulationSettings:
    ring_s: float = 0.0
    """Seconds an operator's phone rings before they answer."""
    warmup_s: float = 0.0
    seed: int = 1

    def __post_init__(self) -> None:
        if self.ring_s < 0 or self.warmup_s < 0:
            raise InvalidInput("ring_s and warmup_s must be >= 0")


@dataclass(slots=True)
class _Caller:
    queue: str
    arrived_us: int
    talk_s: float
    interval: int  # -1: warm-up, not measured
    campaign: int = -1  # an answered outbound customer: the campaign's number
    connected: bool = False


class _Day:
    """The world of one run; the methods are its event handlers."""

    def __init__(
        self,
        routing: Routing,
        profile: Profile,
        roster: Roster,
        settings: SimulationSettings,
        within_s: float,
        campaigns: Sequence[Campaign] = (),
        on_command: Callable[[AcdCommand], None] | None = None,
    ) -> None:
        self.profile, self.roster, self.settings = profile, roster, settings
        self.on_command = on_command
        self.within_us = seconds(within_s)
        self.interval_us = profile.interval_s * US
        self.first_us = seconds(settings.warmup_s)
        self.pools: dict[str, list[str]] = {}
        skills: dict[str, tuple[str, ...]] = {}
        operators = []
        for group in routing.groups:
            most = max(roster.at(i.start_s).get(group.name, 0) for i in profile.intervals)
            # Twice the most ever on duty: those logging out finish their call first.
            ids = [f"{group.name}#{k}" for k in range(2 * most)]
            self.pools[group.name] = ids
            skills.update(dict.fromkeys(ids, tuple(group.queues)))
            operators += [
                OperatorSpec(op, f"SIM/{op}", group.queues, wrapup_s=group.wrapup_s) for op in ids
            ]
        policies = tuple(replace(q, calendar=None) for q in routing.queues)
        self.engine = AcdEngine(
            AcdConfig(queues=policies, operators=operators),
            rng=random.Random(settings.seed),
            start=START,
        )
        self.on_duty: dict[str, set[str]] = {g: set() for g in self.pools}
        self.heap: list[tuple[int, int, int, str, str]] = []
        self.seq = 0
        self.now_us = 0
        self.tick_us: int | None = None
        self.callers: dict[str, _Caller] = {}
        self.rings: set[tuple[str, str]] = set()
        n = len(profile.intervals)
        self.tally = DayTally(busy_s=[0.0] * n, staffed_s=[0.0] * n)
        self.sheet = Timesheet(
            (op.operator_id for op in operators),
            self.tally,
            first_us=self.first_us,
            interval_us=self.interval_us,
            campaigns=[c.name for c in campaigns],
        )
        self.state = self.sheet.state
        self.arrivals = Arrivals(
            profile,
            seed=settings.seed,
            ring_s=settings.ring_s,
            wrapup_s={q.name: q.wrapup_s for q in routing.queues},
            first_us=self.first_us,
        )
        self.next_id = 0
        self.handlers = {
            RingOperator: self._on_ring,
            CancelRing: self._on_cancel,
            ConnectCall: self._on_connect,
            OperatorStateChanged: self._on_state,
            CallRecord: self._on_record,
            Overflow: self._on_overflow,
        }
        self.watch = FloorWatch([q.name for q in routing.queues], skills)
        self.dialers = [
            CampaignDay(
                c, k, self, profile, seed=settings.seed, wrapup_s=routing.policy(c.queue).wrapup_s
            )
            for k, c in enumerate(campaigns)
        ]

    def push(self, at_us: int, kind: int, a: str = "", b: str = "") -> None:
        self.seq += 1
        heapq.heappush(self.heap, (at_us, kind, self.seq, a, b))

    def at(self, us: int) -> datetime:
        return at(us)

    # -- the engine ---------------------------------------------------------------------

    def feed(self, event: AcdEvent) -> None:
        for command in self.engine.handle(event):
            if self.on_command is not None:
                self.on_command(command)
            handler = self.handlers.get(type(command))
            if handler is not None:
                handler(command)
        due = self.engine.next_deadline()
        if due is not None:
            due_us = (due - START) // _MICROSECOND
            if self.tick_us is None or due_us < self.tick_us:
                self.tick_us = due_us
                self.push(due_us, TICK)

    def _on_ring(self, c: AcdCommand) -> None:
        assert isinstance(c, RingOperator)
        self.rings.add((c.call_id, c.operator_id))
        self.watch.ringing(c.call_id, +1)
        self.push(self.now_us + seconds(self.settings.ring_s), ANSWER, c.call_id, c.operator_id)

    def _on_cancel(self, c: AcdCommand) -> None:
        assert isinstance(c, CancelRing)
        self._ring_over(c.call_id, c.operator_id)

    def _ring_over(self, call_id: str, operator_id: str) -> bool:
        if (call_id, operator_id) not in self.rings:
            return False
        self.rings.discard((call_id, operator_id))
        self.watch.ringing(call_id, -1)
        return True

    def _on_connect(self, c: AcdCommand) -> None:
        assert isinstance(c, ConnectCall)
        caller = self.callers[c.call_id]
        caller.connected = True
        if caller.campaign >= 0:
            self.dialers[caller.campaign].connected(c.call_id)
        else:
            self.watch.inbound_left(c.call_id, caller.queue)
            if caller.interval >= 0:
                tally = self.tally.call(caller.interval, caller.queue)
                wait = self.now_us - caller.arrived_us
                tally.answered += 1
                tally.wait_answered_s += wait / US
                tally.answered_within += wait <= self.within_us
        self.push(self.now_us + seconds(caller.talk_s), HANGUP, c.call_id)

    def _on_record(self, c: AcdCommand) -> None:
        assert isinstance(c, CallRecord)
        if c.outcome is None:
            return
        caller = self.callers.pop(c.call_id)
        if caller.campaign >= 0:
            self.dialers[caller.campaign].ended(c)
            return
        self.watch.inbound_left(c.call_id, caller.queue)
        if caller.interval >= 0 and c.outcome != "answered":
            tally = self.tally.call(caller.interval, caller.queue)
            if c.outcome == "abandoned":
                tally.abandoned += 1
            else:
                tally.other += 1

    def _on_overflow(self, c: AcdCommand) -> None:
        assert isinstance(c, Overflow)
        caller = self.callers.get(c.call_id)
        if c.target_kind == "queue" and caller is not None:
            self.watch.inbound_moved(c.call_id, caller.queue, c.target)
            caller.queue = c.target

    def _on_state(self, c: AcdCommand) -> None:
        assert isinstance(c, OperatorStateChanged)
        op = c.operator_id
        caller = self.callers.get(c.call_id) if c.call_id is not None else None
        self.sheet.change(op, c.new, self.now_us, None if caller is None else caller.campaign)
        if not self.dialers:
            return
        self.watch.operator(c, self.now_us)
        if c.new is OperatorState.AVAILABLE:
            for dialer in self.dialers:
                if self.watch.skilled(op, dialer.campaign.queue):
                    dialer.wake()  # as the live dialer is woken

    # -- what a campaign reads and does (``_timeline.Floor``) ----------------------------

    def dial_interval(self, us: int) -> int | None:
        index = self.sheet.interval_of(us)
        return None if index >= len(self.profile.intervals) else max(index, -1)

    def queue_floor(self, queue: str) -> QueueFloor:
        return self.watch.queue_floor(queue)

    def trunk_load(self) -> Load:
        ringing = sum(d.unanswered for d in self.dialers)
        return self.watch.trunk_load(self.now_us, calls=len(self.callers), ringing=ringing)

    def line_started(self) -> None:
        self.watch.line_started(self.now_us)

    def queue_customer(
        self, call_id: str, queue: str, talk_s: float, interval: int, campaign: int
    ) -> None:
        self.callers[call_id] = _Caller(queue, self.now_us, talk_s, interval, campaign)
        self.feed(CallArrived(call_id, queue, self.at(self.now_us), OUTBOUND_PRIORITY))

    # -- the world ----------------------------------------------------------------------

    def arrive(self, queue: str) -> None:
        caller_id = f"c{self.next_id}"
        self.next_id += 1
        drawn = self.arrivals.caller(queue, self.now_us)
        self.callers[caller_id] = _Caller(queue, self.now_us, drawn.talk_s, drawn.interval)
        if self.dialers:
            self.watch.inbound_joined(caller_id, queue)
        if drawn.interval >= 0:
            self.tally.call(drawn.interval, queue).offered += 1
        self.tally.simulated_calls += 1
        if drawn.patience_s is not None:
            self.push(self.now_us + seconds(drawn.patience_s), ABANDON, caller_id)
        self.feed(CallArrived(caller_id, queue, self.at(self.now_us)))
        self.schedule_arrival(queue, self.now_us)

    def schedule_arrival(self, queue: str, after_us: int) -> None:
        next_us = self.arrivals.next_after(queue, after_us)
        if next_us is not None:
            self.push(next_us, ARRIVAL, queue)

    def staff(self, index: int) -> None:
        wanted = self.roster.at(self.profile.intervals[index].start_s)
        for group, ids in self.pools.items():
            duty = self.on_duty[group]
            need = wanted.get(group, 0)
            if len(duty) > need:
                # Free operators leave first; the others after their call.
                leaving = sorted(duty, key=lambda op: (self.state[op] in BUSY, op))
                for op in leaving[: len(duty) - need]:
                    duty.discard(op)
                    self.feed(OperatorLoggedOut(op, self.at(self.now_us)))
            for op in ids:
                if len(duty) >= need:
                    break
                if op not in duty and self.state[op] is OperatorState.LOGGED_OUT:
                    duty.add(op)
                    self.feed(OperatorLoggedIn(op, self.at(self.now_us)))
        for dialer in self.dialers:
            dialer.wake()  # a new interval: its leads, its operators

    def step(self, kind: int, a: str, b: str) -> None:
        if kind == HANGUP:
            self.feed(CallCompleted(a, self.at(self.now_us)))
        elif kind == ANSWER:
            if self._ring_over(a, b):
                self.feed(OfferAnswered(a, b, self.at(self.now_us)))
        elif kind == ABANDON:
            caller = self.callers.get(a)
            if caller is not None and not caller.connected:
                self.feed(CallerHungUp(a, self.at(self.now_us)))
                for dialer in self.dialers:
                    dialer.wake()  # one inbound caller fewer in line
        elif kind == STAFF:
            self.staff(int(a))
        elif kind == ARRIVAL:
            self.arrive(a)
        elif kind == TICK:
            if self.now_us == self.tick_us:
                self.tick_us = None
                self.feed(Tick(self.at(self.now_us)))
        else:
            self.dialers[int(a)].step(kind, b)


def start_day(
    routing: Routing,
    profile: Profile,
    roster: Roster,
    settings: SimulationSettings,
    *,
    within_s: float,
    campaigns: Sequence[Campaign] = (),
    on_command: Callable[[AcdCommand], None] | None = None,
) -> _Day:
    """The day at its first instant: operators logged in, the first events scheduled.
    ``on_command`` sees every command the engine returns, before the day handles it."""
    routing.check_profile(profile)
    roster.check(routing, profile)
    check_campaigns(campaigns, routing, profile)
    day = _Day(routing, profile, roster, settings, within_s, campaigns, on_command)
    day.staff(0)
    first = profile.intervals[0].start_s
    for index, interval in enumerate(profile.intervals[1:], start=1):
        day.push(day.first_us + (interval.start_s - first) * US, STAFF, str(index))
    for queue in profile.queues:
        day.schedule_arrival(queue, 0)
    for dialer in day.dialers if day.first_us else ():
        day.push(day.first_us, PACE, dialer.tag)  # after the warm-up: the first interval
    return day


def advance(day: _Day) -> None:
    """Handle the next event."""
    at_us, kind, _, a, b = heapq.heappop(day.heap)
    day.now_us = at_us
    day.step(kind, a, b)


def simulate_day(
    routing: Routing,
    profile: Profile,
    roster: Roster,
    settings: SimulationSettings,
    *,
    within_s: float,
    campaigns: Sequence[Campaign] = (),
) -> DayTally:
    """Run the day once (one replication) and count what happened to every caller and
    every line the campaigns dialled."""
    day = start_day(routing, profile, roster, settings, within_s=within_s, campaigns=campaigns)
    first = profile.intervals[0].start_s
    last = profile.intervals[-1].start_s - first + profile.interval_s
    end_us = day.first_us + (last + _DRAIN_S) * US
    while day.heap and day.heap[0][0] <= end_us:
        advance(day)
    day.now_us = min(end_us, day.first_us + last * US)
    day.sheet.close(day.now_us)
    for caller in day.callers.values():
        if caller.interval >= 0 and caller.campaign < 0 and not caller.connected:
            day.tally.call(caller.interval, caller.queue).other += 1
    return day.tally
