"""The leg machines: every (state, input) pair, and random input sequences."""

from __future__ import annotations

import itertools
from enum import StrEnum
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from callrouter.legs import (
    CLICK_CALL,
    DIALED_LEG,
    OPERATOR_LEG,
    ClickInput,
    ClickState,
    DialedInput,
    DialedState,
    IllegalLegTransition,
    LegMachine,
    OperatorLegInput,
    OperatorLegState,
)

MACHINES: list[tuple[LegMachine[Any, Any], type[StrEnum], type[StrEnum]]] = [
    (OPERATOR_LEG, OperatorLegState, OperatorLegInput),
    (CLICK_CALL, ClickState, ClickInput),
    (DIALED_LEG, DialedState, DialedInput),
]


@pytest.mark.parametrize(("machine", "states", "inputs"), MACHINES, ids=lambda m: str(m))
def test_every_pair_is_either_a_transition_or_refused(
    machine: LegMachine[Any, Any], states: type[StrEnum], inputs: type[StrEnum]
) -> None:
    assert set(machine.states) == set(states)
    for state, event in itertools.product(states, inputs):
        if machine.allows(state, event):
            assert machine.next(state, event) in set(states)
        else:
            with pytest.raises(IllegalLegTransition):
                machine.next(state, event)


@pytest.mark.parametrize(("machine", "states", "inputs"), MACHINES, ids=lambda m: str(m))
def test_exactly_one_final_state_reached_from_everywhere(
    machine: LegMachine[Any, Any], states: type[StrEnum], inputs: type[StrEnum]
) -> None:
    finals = [s for s in states if machine.final(s)]
    assert len(finals) == 1
    for state in states:
        seen, frontier = {state}, [state]
        while frontier:
            current = frontier.pop()
            for event in inputs:
                if machine.allows(current, event):
                    nxt = machine.next(current, event)
                    if nxt not in seen:
                        seen.add(nxt)
                        frontier.append(nxt)
        assert finals[0] in seen, f"{machine.name}: {state} can never end"


@given(st.lists(st.sampled_from(list(OperatorLegInput)), max_size=12))
def test_an_operator_leg_is_answered_at_most_once_and_never_after_a_cancel(
    events: list[OperatorLegInput],
) -> None:
    state, answered, cancelled = OPERATOR_LEG.initial, 0, False
    for event in events:
        if not OPERATOR_LEG.allows(state, event):
            continue  # the shell ignores a late or duplicated event
        state = OPERATOR_LEG.next(state, event)
        answered += state is OperatorLegState.ANSWERED
        cancelled |= state is OperatorLegState.CANCELLED
        assert not (cancelled and state is OperatorLegState.ANSWERED)
    assert answered <= 1


@given(st.lists(st.sampled_from(list(DialedInput)), max_size=12))
def test_a_dialed_customer_is_queued_at_most_once(events: list[DialedInput]) -> None:
    state, queued = DIALED_LEG.initial, 0
    for event in events:
        if DIALED_LEG.allows(state, event):
            state = DIALED_LEG.next(state, event)
            queued += state is DialedState.QUEUED
    assert queued <= 1
