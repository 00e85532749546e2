"""The monitoring lifecycle and what each mode does to the audio, exhaustively."""

from __future__ import annotations

import itertools

import pytest

from callrouter.legs import (
    HEARS_SUPERVISOR,
    MODES,
    MONITOR,
    SNOOP_OF_MODE,
    IllegalLegTransition,
    MonitorInput,
    MonitorState,
)

S, In = MonitorState, MonitorInput


@pytest.mark.parametrize(("state", "event"), list(itertools.product(S, In)))
def test_every_pair_moves_or_is_refused(state: MonitorState, event: MonitorInput) -> None:
    if MONITOR.allows(state, event):
        assert MONITOR.next(state, event) in S
    else:
        with pytest.raises(IllegalLegTransition):
            MONITOR.next(state, event)


@pytest.mark.parametrize("state", [S.CALLING, S.ACTIVE])
@pytest.mark.parametrize("event", [In.STOP, In.SUPERVISOR_GONE, In.CALL_ENDED])
def test_monitoring_always_ends_when_anyone_leaves(
    state: MonitorState, event: MonitorInput
) -> None:
    assert MONITOR.next(state, event) is S.ENDED


def test_the_mode_may_change_before_and_after_the_answer() -> None:
    assert MONITOR.next(S.CALLING, In.CHANGE_MODE) is S.CALLING
    assert MONITOR.next(S.ACTIVE, In.CHANGE_MODE) is S.ACTIVE
    assert MONITOR.final(S.ENDED)


def test_listen_is_silent_whisper_reaches_the_operator_only_barge_everyone() -> None:
    assert set(MODES) == set(SNOOP_OF_MODE) == set(HEARS_SUPERVISOR)
    listen, whisper = SNOOP_OF_MODE["listen"], SNOOP_OF_MODE["whisper"]
    assert listen is not None and (listen.spy, listen.whisper) == ("both", "none")
    # Whisper "out" on the operator's leg: into what the operator hears, not the caller.
    assert whisper is not None and (whisper.spy, whisper.whisper) == ("both", "out")
    assert SNOOP_OF_MODE["barge"] is None  # the supervisor joins the call's bridge
    assert {
        "listen": frozenset(),
        "whisper": frozenset({"operator"}),
        "barge": frozenset({"operator", "caller"}),
    } == HEARS_SUPERVISOR
