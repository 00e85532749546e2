"""The shell rings the operator before answering and holding the caller."""

from __future__ import annotations

from dataclasses import replace

from callrouter.acd import (
    AcdCommand,
    AnnounceQueuePosition,
    AnnounceSounds,
    CancelRing,
    HoldCaller,
    RingOperator,
)
from callrouter.acd._ordering import MUSIC_GRACE_S
from callrouter.acd._ordering import ring_first as _ring_first


def test_ring_moves_before_hold_of_the_same_call() -> None:
    hold = HoldCaller("c1", "support", "default")
    ring = RingOperator("c1", "anna", "PJSIP/101", 15)
    other = RingOperator("c2", "boris", "PJSIP/102", 15)
    cancel = CancelRing("c3", "dana")
    commands: list[AcdCommand] = [cancel, hold, ring, other]
    assert _ring_first(commands) == [cancel, ring, _graced(hold), other]


def test_ring_all_rings_move_together_and_order_is_kept_otherwise() -> None:
    hold = HoldCaller("c1", "support", "default")
    rings = [RingOperator("c1", op, f"PJSIP/{n}", 15) for n, op in enumerate("abc")]
    assert _ring_first([hold, *rings]) == [*rings, _graced(hold)]
    assert _ring_first([*rings, hold]) == [*rings, _graced(hold)]
    assert _ring_first([hold]) == [hold]


def test_ring_moves_before_hold_and_joining_announcement() -> None:
    hold = HoldCaller("c1", "support", "default")
    announce = AnnounceQueuePosition("c1", 1, 0.0, AnnounceSounds())
    ring = RingOperator("c1", "anna", "PJSIP/101", 15)
    assert _ring_first([hold, announce, ring]) == [ring, _graced(hold), announce]


def test_music_waits_only_for_a_caller_rung_in_the_same_step() -> None:
    """No round trips for music that an operator answering at once would stop."""
    rung = HoldCaller("c1", "support", "default")
    waiting = HoldCaller("c2", "support", "default")
    resumed = HoldCaller("c3", "support", "default", resumed=True)
    commands: list[AcdCommand] = [
        rung, waiting, resumed,
        RingOperator("c1", "anna", "PJSIP/101", 15),
        RingOperator("c3", "boris", "PJSIP/102", 15),
    ]  # fmt: skip
    holds = [c for c in _ring_first(commands) if isinstance(c, HoldCaller)]
    assert [h.music_after_s for h in holds] == [MUSIC_GRACE_S, 0.0, 0.0]


def _graced(hold: HoldCaller) -> HoldCaller:
    return replace(hold, music_after_s=MUSIC_GRACE_S)
