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
  engine is hit exactly; ties at one instant are ordered: calls ending, phones answered,
  callers leaving, roster changes, arrivals, ticks.
* Each queue draws its callers from its own seeded stream, the same three numbers per
  caller in arrival order (gap, talk, patience): two rosters run with one seed meet the
  *same* callers and differ only in how they are served (common random numbers).
* Callers are measured in the interval they arrive in; a warm-up before the first
  interval (same load and roster) fills the system so a steady-state run starts loaded.

Talk time is the load's ``aht_s`` minus the queue's wrap-up and the ring time, so the
operator's time per call has Erlang's AHT as its mean. Calendars are not applied (the
profile says when calls come) and a ``StoreCallback`` counts as a callback, not a
later call. What becomes of every caller is the outcome of the engine's final
``CallRecord``.
"""

from __future__ import annotations

import heapq
import random
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

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
    RingOperator,
    Tick,
)
from callrouter.errors import InvalidInput
from callrouter.planning._model import Profile, Roster, Routing

__all__ = ["CallTally", "DayTally", "SimulationSettings", "simulate_day"]

_START = datetime(2024, 1, 8, tzinfo=UTC)  # a Monday; the date itself never matters
_US = 1_000_000
# Event kinds, in the order they are handled at one instant.
_HANGUP, _ANSWER, _ABANDON, _STAFF, _ARRIVAL, _TICK = range(6)
_BUSY = frozenset({OperatorState.OFFERED, OperatorState.ON_CALL, OperatorState.WRAPUP})
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
class CallTally:
    """One queue's callers in one interval of one run."""

    offered: int = 0
    answered: int = 0
    answered_within: int = 0
    wait_answered_s: float = 0.0
    abandoned: int = 0
    other: int = 0
    """Overflowed, left, callback, unfinished: not answered, not abandoned."""


@dataclass(slots=True)
class DayTally:
    calls: dict[tuple[int, str], CallTally] = field(default_factory=dict)
    """(interval index, queue) -> tally."""
    busy_s: list[float] = field(default_factory=list)
    staffed_s: list[float] = field(default_factory=list)
    simulated_calls: int = 0


@dataclass(slots=True)
class _Caller:
    queue: str
    arrived_us: int
    talk_s: float
    patience_s: float | None
    interval: int  # -1: warm-up, not measured
    connected: bool = False
    done: bool = False


@dataclass(frozen=True, slots=True)
class _Segment:
    start_us: int
    end_us: int
    rate_per_us: float
    talk_s: float
    patience_s: float | None
    interval: int


class _Day:
    """The world of one run; the methods are its event handlers."""

    def __init__(
        self,
        routing: Routing,
        profile: Profile,
        roster: Roster,
        settings: SimulationSettings,
        within_s: float,
    ) -> None:
        self.profile, self.roster, self.settings = profile, roster, settings
        self.within_us = round(within_s * _US)
        self.interval_us = profile.interval_s * _US
        self.first_us = round(settings.warmup_s * _US)
        self.pools: dict[str, list[str]] = {}
        operators = []
        for group in routing.groups:
            most = max(roster.at(i.start_s).get(group.name, 0) for i in profile.intervals)
            # Twice the most ever on duty: those logging out finish their call first.
            ids = [f"{group.name}#{k}" for k in range(2 * most)]
            self.pools[group.name] = ids
            operators += [
                OperatorSpec(op, f"SIM/{op}", group.queues, wrapup_s=group.wrapup_s) for op in ids
            ]
        policies = tuple(replace(q, calendar=None) for q in routing.queues)
        self.engine = AcdEngine(
            AcdConfig(queues=policies, operators=operators),
            rng=random.Random(settings.seed),
            start=_START,
        )
        self.state: dict[str, OperatorState] = dict.fromkeys(
            (op.operator_id for op in operators), OperatorState.LOGGED_OUT
        )
        self.on_duty: dict[str, set[str]] = {g: set() for g in self.pools}
        self.since: dict[str, int] = {}
        self.wrapup = {q.name: q.wrapup_s for q in routing.queues}
        self.heap: list[tuple[int, int, int, str, str]] = []
        self.seq = 0
        self.now_us = 0
        self.tick_us: int | None = None
        self.callers: dict[str, _Caller] = {}
        self.rings: set[tuple[str, str]] = set()
        n = len(profile.intervals)
        self.tally = DayTally(busy_s=[0.0] * n, staffed_s=[0.0] * n)
        self.streams = {q: random.Random(f"{settings.seed}:{q}") for q in profile.queues}
        self.segments = {q: self._segments(q) for q in profile.queues}
        self.next_id = 0
        self.handlers = {
            RingOperator: self._on_ring,
            CancelRing: self._on_cancel,
            ConnectCall: self._on_connect,
            OperatorStateChanged: self._on_state,
            CallRecord: self._on_record,
        }

    # -- setup ------------------------------------------------------------------------

    def _segments(self, queue: str) -> list[_Segment]:
        out: list[_Segment] = []
        ring = self.settings.ring_s
        for index, interval in enumerate(self.profile.intervals):
            load = interval.load(queue)
            if load is None or load.calls == 0:
                continue
            talk = load.aht_s - self.wrapup[queue] - ring
            if talk <= 0:
                raise InvalidInput(
                    f"{queue}: aht {load.aht_s} s leaves no talk time after wrap-up and ring"
                )
            start = self.first_us + interval.start_s * _US - self.profile.intervals[0].start_s * _US
            rate = load.calls / self.interval_us
            if index == 0 and self.first_us:
                out.append(_Segment(0, self.first_us, rate, talk, load.patience_s, -1))
            out.append(
                _Segment(start, start + self.interval_us, rate, talk, load.patience_s, index)
            )
        return out

    def push(self, at_us: int, kind: int, a: str = "", b: str = "") -> None:
        self.seq += 1
        heapq.heappush(self.heap, (at_us, kind, self.seq, a, b))

    def at(self, us: int) -> datetime:
        return _START + timedelta(microseconds=us)

    def interval_of(self, us: int) -> int:
        return (us - self.first_us) // self.interval_us

    # -- the engine ---------------------------------------------------------------------

    def feed(self, event: AcdEvent) -> None:
        for command in self.engine.handle(event):
            handler = self.handlers.get(type(command))
            if handler is not None:
                handler(command)
        due = self.engine.next_deadline()
        if due is not None:
            due_us = (due - _START) // timedelta(microseconds=1)
            if self.tick_us is None or due_us < self.tick_us:
                self.tick_us = due_us
                self.push(due_us, _TICK)

    def _on_ring(self, c: AcdCommand) -> None:
        assert isinstance(c, RingOperator)
        self.rings.add((c.call_id, c.operator_id))
        self.push(
            self.now_us + round(self.settings.ring_s * _US), _ANSWER, c.call_id, c.operator_id
        )

    def _on_cancel(self, c: AcdCommand) -> None:
        assert isinstance(c, CancelRing)
        self.rings.discard((c.call_id, c.operator_id))

    def _on_connect(self, c: AcdCommand) -> None:
        assert isinstance(c, ConnectCall)
        caller = self.callers[c.call_id]
        caller.connected = True
        if caller.interval >= 0:
            tally = self._tally(caller)
            wait = self.now_us - caller.arrived_us
            tally.answered += 1
            tally.wait_answered_s += wait / _US
            tally.answered_within += wait <= self.within_us
        self.push(self.now_us + round(caller.talk_s * _US), _HANGUP, c.call_id)

    def _on_record(self, c: AcdCommand) -> None:
        assert isinstance(c, CallRecord)
        if c.outcome is None:
            return
        caller = self.callers.pop(c.call_id)
        caller.done = True
        if caller.interval >= 0 and c.outcome != "answered":
            tally = self._tally(caller)
            if c.outcome == "abandoned":
                tally.abandoned += 1
            else:
                tally.other += 1

    def _on_state(self, c: AcdCommand) -> None:
        assert isinstance(c, OperatorStateChanged)
        self._account(c.operator_id)
        self.state[c.operator_id] = c.new

    def _tally(self, caller: _Caller) -> CallTally:
        key = (caller.interval, caller.queue)
        tally = self.tally.calls.get(key)
        if tally is None:
            tally = self.tally.calls[key] = CallTally()
        return tally

    def _account(self, operator_id: str) -> None:
        """Add the time since the operator's last change to the intervals it spans."""
        state = self.state[operator_id]
        since = self.since.get(operator_id, self.now_us)
        self.since[operator_id] = self.now_us
        if state is OperatorState.LOGGED_OUT or since >= self.now_us:
            return
        busy = state in _BUSY
        last = len(self.tally.staffed_s) - 1
        t = max(since, self.first_us)
        while t < self.now_us:
            index = self.interval_of(t)
            if index > last:
                break
            end = min(self.now_us, self.first_us + (index + 1) * self.interval_us)
            self.tally.staffed_s[index] += (end - t) / _US
            if busy:
                self.tally.busy_s[index] += (end - t) / _US
            t = end

    # -- the world ----------------------------------------------------------------------

    def arrive(self, queue: str) -> None:
        caller_id = f"c{self.next_id}"
        self.next_id += 1
        segment = self._segment(queue, self.now_us)
        stream = self.streams[queue]
        talk = stream.expovariate(1 / segment.talk_s)
        patience = (
            stream.expovariate(1 / segment.patience_s) if segment.patience_s is not None else None
        )
        caller = _Caller(queue, self.now_us, talk, patience, segment.interval)
        self.callers[caller_id] = caller
        if caller.interval >= 0:
            self._tally(caller).offered += 1
        self.tally.simulated_calls += 1
        if patience is not None:
            self.push(self.now_us + round(patience * _US), _ABANDON, caller_id)
        self.feed(CallArrived(caller_id, queue, self.at(self.now_us)))
        self.schedule_arrival(queue, self.now_us)

    def _segment(self, queue: str, us: int) -> _Segment:
        for segment in self.segments[queue]:
            if segment.start_us <= us < segment.end_us:
                return segment
        raise AssertionError(f"an arrival outside every interval of {queue}")

    def schedule_arrival(self, queue: str, after_us: int) -> None:
        """The next caller of ``queue``: gaps are exponential at each interval's rate, and
        memoryless, so crossing into the next interval just draws again from its start."""
        stream = self.streams[queue]
        for segment in self.segments[queue]:
            if segment.end_us <= after_us:
                continue
            t = max(after_us, segment.start_us)
            t += max(1, round(stream.expovariate(segment.rate_per_us)))
            if t < segment.end_us:
                self.push(t, _ARRIVAL, queue)
                return

    def staff(self, index: int) -> None:
        wanted = self.roster.at(self.profile.intervals[index].start_s)
        for group, ids in self.pools.items():
            duty = self.on_duty[group]
            need = wanted.get(group, 0)
            if len(duty) > need:
                # Free operators leave first; the others after their call.
                leaving = sorted(duty, key=lambda op: (self.state[op] in _BUSY, op))
                for op in leaving[: len(duty) - need]:
                    duty.discard(op)
                    self.feed(OperatorLoggedOut(op, self.at(self.now_us)))
            for op in ids:
                if len(duty) >= need:
                    break
                if op not in duty and self.state[op] is OperatorState.LOGGED_OUT:
                    duty.add(op)
                    self.feed(OperatorLoggedIn(op, self.at(self.now_us)))

    def step(self, kind: int, a: str, b: str) -> None:
        if kind == _HANGUP:
            self.feed(CallCompleted(a, self.at(self.now_us)))
        elif kind == _ANSWER:
            if (a, b) in self.rings:
                self.rings.discard((a, b))
                self.feed(OfferAnswered(a, b, self.at(self.now_us)))
        elif kind == _ABANDON:
            caller = self.callers.get(a)
            if caller is not None and not caller.connected:
                self.feed(CallerHungUp(a, self.at(self.now_us)))
        elif kind == _STAFF:
            self.staff(int(a))
        elif kind == _ARRIVAL:
            self.arrive(a)
        elif self.now_us == self.tick_us:
            self.tick_us = None
            self.feed(Tick(self.at(self.now_us)))


def simulate_day(
    routing: Routing,
    profile: Profile,
    roster: Roster,
    settings: SimulationSettings,
    *,
    within_s: float,
) -> DayTally:
    """Run the day once (one replication) and count what happened to every caller."""
    routing.check_profile(profile)
    roster.check(routing, profile)
    day = _Day(routing, profile, roster, settings, within_s)
    day.staff(0)
    first = profile.intervals[0].start_s
    for index, interval in enumerate(profile.intervals[1:], start=1):
        day.push(day.first_us + (interval.start_s - first) * _US, _STAFF, str(index))
    for queue in profile.queues:
        day.schedule_arrival(queue, 0)
    last = profile.intervals[-1].start_s - first + profile.interval_s
    end_us = day.first_us + (last + _DRAIN_S) * _US
    while day.heap:
        at_us, kind, _, a, b = heapq.heappop(day.heap)
        if at_us > end_us:
            break
        day.now_us = at_us
        day.step(kind, a, b)
    day.now_us = min(end_us, day.first_us + last * _US)
    for op in list(day.state):
        day._account(op)
    for caller in day.callers.values():
        if caller.interval >= 0 and not caller.done and not caller.connected:
            day._tally(caller).other += 1
    return day.tally
