"""The consult lifecycle table, exhaustively and with a hypothesis state machine."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from callrouter.legs import (
    CALLER_HEARS,
    CONSULT,
    CONSULTED_HEARS_CALLER,
    ConsultInput,
    ConsultState,
    IllegalLegTransition,
)

S, I = ConsultState, ConsultInput  # noqa: E741
LIVE = [s for s in S if not CONSULT.final(s)]


@pytest.mark.parametrize(("state", "event"), list(itertools.product(S, I)))
def test_every_pair_either_moves_or_is_refused_without_change(
    state: ConsultState, event: ConsultInput
) -> None:
    if CONSULT.allows(state, event):
        assert CONSULT.next(state, event) in S
    else:
        with pytest.raises(IllegalLegTransition):
            CONSULT.next(state, event)


@pytest.mark.parametrize("state", LIVE)
def test_the_caller_hanging_up_always_ends_it(state: ConsultState) -> None:
    assert CONSULT.next(state, I.CALLER_HUNGUP) is S.ENDED


@pytest.mark.parametrize("state", [S.DIALING, S.CONSULTING, S.CONFERENCE])
def test_the_operator_can_always_return_to_the_caller(state: ConsultState) -> None:
    assert CONSULT.next(state, I.CANCEL) is S.TALKING


def test_a_consulted_party_not_answering_returns_the_operator_to_the_caller() -> None:
    assert CONSULT.next(S.DIALING, I.NO_ANSWER) is S.TALKING
    assert CONSULT.next(S.CONSULTING, I.TARGET_HUNGUP) is S.TALKING


def test_only_a_talking_consulted_party_can_take_the_call() -> None:
    takers = {
        s for s in S for e in I if CONSULT.allows(s, e) and CONSULT.next(s, e) is S.TRANSFERRED
    }
    assert takers == {S.CONSULTING, S.CONFERENCE}


class ConsultMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.state = CONSULT.initial
        self.heard_by_consulted_before_bridge = False

    @rule(event=st.sampled_from(list(I)))
    def feed(self, event: ConsultInput) -> None:
        before = self.state
        try:
            self.state = CONSULT.next(before, event)
        except IllegalLegTransition:
            assert self.state is before
            assert not CONSULT.allows(before, event)
            return
        if self.state in CONSULTED_HEARS_CALLER:
            # The caller reaches the consulted party only by the operator's choice.
            assert event in (I.COMPLETE, I.CONFERENCE, I.OPERATOR_HUNGUP)

    @invariant()
    def the_caller_is_never_left_in_silence(self) -> None:
        assert (CALLER_HEARS[self.state] is None) == (self.state is S.ENDED)

    @invariant()
    def a_final_state_is_final(self) -> None:
        if self.state in (S.ENDED, S.TRANSFERRED):
            assert CONSULT.final(self.state)


ConsultMachine.TestCase.settings = settings(max_examples=200, stateful_step_count=30)
TestConsultMachine = ConsultMachine.TestCase
