"""Callbacks keep the caller's place: the routing core's choice between a due callback
and the callers waiting, when an operator frees up (``callrouter/acd/_callback_places``).

Pure: the engine with events in and commands out, no I/O, time carried by the events.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from callrouter.acd import (
    AcdCommand,
    AcdConfig,
    AcdEngine,
    AcdEvent,
    CallArrived,
    CallbackPlace,
    CallbacksDue,
    CallCompleted,
    OfferAnswered,
    OperatorPaused,
    OperatorSpec,
    OperatorState,
    OperatorStateChanged,
    OperatorUnpaused,
    QueuePolicy,
    RingOperator,
    reserved_callback,
)

T0 = datetime(2024, 3, 4, 10, 0, tzinfo=UTC)


def t(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def engine(operators: int = 1, **policy: object) -> AcdEngine:
    queue = QueuePolicy("q", join_empty=True, wrapup_s=0, **policy)  # type: ignore[arg-type]
    specs = [
        OperatorSpec(f"op{n}", f"PJSIP/{n}", {"q": 0}, logged_in=True) for n in range(operators)
    ]
    return AcdEngine(AcdConfig(queues=[queue], operators=specs), start=T0)


def reservations(commands: list[AcdCommand]) -> list[tuple[str, int]]:
    return [
        (c.operator_id, found)
        for c in commands
        if isinstance(c, OperatorStateChanged)
        and (found := reserved_callback(c.call_id)) is not None
    ]


def rings(commands: list[AcdCommand]) -> list[tuple[str, str]]:
    return [(c.call_id, c.operator_id) for c in commands if isinstance(c, RingOperator)]


def busy_with(acd: AcdEngine, call_id: str, at: datetime) -> None:
    """op0 talks with ``call_id`` from ``at``."""
    acd.handle(CallArrived(call_id, "q", at))
    acd.handle(OfferAnswered(call_id, "op0", at))


def test_a_freed_operator_goes_to_the_callback_whose_place_is_older_than_the_waiting() -> None:
    acd = engine()
    busy_with(acd, "x", t(0))
    # A asked for a callback, having joined at t(10); B and C joined later and wait.
    acd.handle(CallArrived("B", "q", t(20)))
    acd.handle(CallArrived("C", "q", t(30)))
    acd.handle(CallbacksDue("q", (CallbackPlace(7, 0, t(10)),), t(40)))
    out = acd.handle(CallCompleted("x", t(50)))
    assert reservations(out) == [("op0", 7)]
    assert rings(out) == []
    view = acd.snapshot().operator("op0")
    assert (view.state, view.pause_reason) == (OperatorState.PAUSED, "outbound")
    # Released once the callback is dialled: B, then C, in their order.
    assert rings(acd.handle(OperatorUnpaused("op0", t(60)))) == [("B", "op0")]


def test_a_caller_who_joined_before_the_callbacks_place_goes_first() -> None:
    acd = engine()
    busy_with(acd, "x", t(0))
    acd.handle(CallArrived("B", "q", t(5)))
    acd.handle(CallbacksDue("q", (CallbackPlace(7, 0, t(10)),), t(40)))
    out = acd.handle(CallCompleted("x", t(50)))
    assert rings(out) == [("B", "op0")] and reservations(out) == []
    acd.handle(OfferAnswered("B", "op0", t(51)))
    assert reservations(acd.handle(CallCompleted("B", t(60)))) == [("op0", 7)]


def test_priority_counts_as_the_queue_counts_it() -> None:
    acd = engine()
    busy_with(acd, "x", t(0))
    acd.handle(CallArrived("vip", "q", t(30), priority=10))
    acd.handle(CallArrived("plain", "q", t(31)))
    acd.handle(CallbacksDue("q", (CallbackPlace(7, 0, t(10)),), t(40)))
    out = acd.handle(CallCompleted("x", t(50)))
    assert rings(out) == [("vip", "op0")], "a VIP who came later still goes first"
    acd.handle(OfferAnswered("vip", "op0", t(51)))
    assert reservations(acd.handle(CallCompleted("vip", t(60)))) == [("op0", 7)]


def test_a_vip_callback_passes_earlier_plain_callers() -> None:
    acd = engine()
    busy_with(acd, "x", t(0))
    acd.handle(CallArrived("plain", "q", t(5)))
    acd.handle(CallbacksDue("q", (CallbackPlace(7, 10, t(10)),), t(40)))
    assert reservations(acd.handle(CallCompleted("x", t(50)))) == [("op0", 7)]


def test_a_free_operator_is_reserved_as_soon_as_a_callback_is_due() -> None:
    acd = engine(operators=2)
    acd.handle(OperatorPaused("op1", t(0), "lunch"))
    out = acd.handle(
        CallbacksDue("q", (CallbackPlace(3, 0, t(1)), CallbackPlace(4, 0, t(2))), t(5))
    )
    assert reservations(out) == [("op0", 3)]
    # The arriving caller finds nobody free: op0 is booked for callback 3 alone.
    assert rings(acd.handle(CallArrived("late", "q", t(6)))) == []
    # Callback 4 keeps its place ahead of the caller who came later.
    assert reservations(acd.handle(OperatorUnpaused("op1", t(7)))) == [("op1", 4)]


def test_callbacks_of_a_queue_the_operator_does_not_serve_leave_them_alone() -> None:
    queues = [QueuePolicy("q", join_empty=True), QueuePolicy("other", join_empty=True)]
    specs = [OperatorSpec("op0", "PJSIP/0", {"q": 0}, logged_in=True)]
    acd = AcdEngine(AcdConfig(queues=queues, operators=specs), start=T0)
    out = acd.handle(CallbacksDue("other", (CallbackPlace(1, 0, t(0)),), t(1)))
    assert reservations(out) == []
    assert rings(acd.handle(CallArrived("c", "q", t(2)))) == [("c", "op0")]


def test_a_replaced_list_forgets_callbacks_dialled_elsewhere() -> None:
    acd = engine()
    busy_with(acd, "x", t(0))
    acd.handle(CallArrived("B", "q", t(20)))
    acd.handle(CallbacksDue("q", (CallbackPlace(7, 0, t(10)),), t(30)))
    acd.handle(CallbacksDue("q", (), t(31)))  # another node took it
    assert rings(acd.handle(CallCompleted("x", t(40)))) == [("B", "op0")]


# -- callbacks never starve ----------------------------------------------------------


@dataclass
class Center:
    """A queue driven the way the shell drives it: callers arrive, callbacks fall due
    (the shell sends every due callback not yet dialled), operators answer, finish
    calls, and come back from the callbacks they were reserved for."""

    acd: AcdEngine
    step: int = 0
    now: float = 100.0
    due: dict[int, CallbackPlace] = field(default_factory=dict)
    places: dict[int, CallbackPlace] = field(default_factory=dict)
    due_step: dict[int, int] = field(default_factory=dict)
    reserved_step: dict[int, int] = field(default_factory=dict)
    reserved_ops: dict[str, int] = field(default_factory=dict)
    arrivals: dict[str, tuple[float, int]] = field(default_factory=dict)
    rung_step: dict[str, int] = field(default_factory=dict)
    ringing: dict[str, str] = field(default_factory=dict)  # call -> operator
    talking: dict[str, str] = field(default_factory=dict)  # operator -> call

    def send(self, event: AcdEvent) -> None:
        self.step += 1
        for command in self.acd.handle(event):
            if isinstance(command, RingOperator):
                self.rung_step.setdefault(command.call_id, self.step)
                self.ringing[command.call_id] = command.operator_id
            elif isinstance(command, OperatorStateChanged):
                callback = reserved_callback(command.call_id)
                if callback is not None:
                    assert command.operator_id not in self.talking
                    self.reserved_step[callback] = self.step
                    self.reserved_ops[command.operator_id] = callback
                    del self.due[callback]

    def tick(self) -> datetime:
        self.now += 1.0
        return t(self.now)

    def arrive(self, priority: int) -> None:
        call_id = f"c{len(self.arrivals)}"
        at = self.tick()
        self.arrivals[call_id] = (self.now, priority)
        self.send(CallArrived(call_id, "q", at, priority))

    def callback_due(self, priority: int, place_back_s: float) -> None:
        at = self.tick()
        callback_id = len(self.due_step) + 1
        place = CallbackPlace(callback_id, priority, t(self.now - place_back_s))
        self.due[callback_id] = self.places[callback_id] = place
        self.due_step[callback_id] = self.step + 1
        self.send(CallbacksDue("q", tuple(self.due.values()), at))

    def answer(self) -> None:
        if self.ringing:
            call_id, operator_id = next(iter(self.ringing.items()))
            del self.ringing[call_id]
            self.talking[operator_id] = call_id
            self.send(OfferAnswered(call_id, operator_id, self.tick()))

    def free(self, which: int) -> None:
        busy = sorted([*self.talking, *self.reserved_ops])
        if not busy:
            return
        operator_id = busy[which % len(busy)]
        if operator_id in self.talking:
            self.send(CallCompleted(self.talking.pop(operator_id), self.tick()))
        else:
            del self.reserved_ops[operator_id]
            self.send(OperatorUnpaused(operator_id, self.tick()))


actions = st.lists(
    st.one_of(
        st.tuples(st.just("arrive"), st.sampled_from([0, 0, 0, 5])),
        st.tuples(st.just("callback"), st.sampled_from([0, 0, 5]), st.integers(0, 120)),
        st.tuples(st.just("answer")),
        st.tuples(st.just("free"), st.integers(0, 3)),
    ),
    max_size=60,
)


@settings(max_examples=300, deadline=None)
@given(operators=st.integers(1, 3), service_level_s=st.sampled_from([5.0, 20.0, 1e6]), plan=actions)
def test_a_callback_is_never_passed_over_by_a_caller_who_came_after_its_place(
    operators: int, service_level_s: float, plan: list[tuple[object, ...]]
) -> None:
    center = Center(engine(operators, service_level_s=service_level_s, ring_timeout_s=1e6))
    for action in plan:
        match action:
            case ("arrive", int(priority)):
                center.arrive(priority)
            case ("callback", int(priority), int(back)):
                center.callback_due(priority, back)
            case ("answer",):
                center.answer()
            case ("free", int(which)):
                center.free(which)
    for callback_id, due_step in center.due_step.items():
        place = center.places[callback_id]
        for call_id, rung in center.rung_step.items():
            arrived_s, priority = center.arrivals[call_id]
            came_after = t(arrived_s) > place.queued_at and priority <= place.priority
            if came_after and rung > due_step:
                reserved = center.reserved_step.get(callback_id)
                assert reserved is not None and reserved <= rung, (callback_id, call_id)


def test_hypothesis_driver_sanity() -> None:
    center = Center(engine(1))
    center.arrive(0)
    center.answer()
    center.callback_due(0, 50)
    center.arrive(0)
    center.free(0)
    assert center.reserved_step == {1: center.step}
