"""Each strategy picks the operator app_queue's namesake would, deterministically."""

from __future__ import annotations

import random

from callrouter.acd import (
    AcdConfig,
    AcdEngine,
    CallArrived,
    CallCompleted,
    CancelRing,
    ConnectCall,
    OfferAnswered,
    OperatorLoggedIn,
    OperatorSpec,
    QueuePolicy,
    Strategy,
)

from ._helpers import T0, Harness, of, op, rings, t


def _answer_and_finish(h: Harness, call_id: str, op_id: str, at: float) -> None:
    h(OfferAnswered(call_id, op_id, t(at)))
    h(CallCompleted(call_id, t(at + 1)))


def _queue(strategy: Strategy) -> QueuePolicy:
    return QueuePolicy("q", strategy=strategy, wrapup_s=0)


def test_longest_idle_picks_the_operator_free_the_longest() -> None:
    h = Harness.build([_queue("longest_idle")], [op("a", q=0), op("b", q=0), op("c", q=0)])
    # a and b take one call each; c, never busy, has been idle longest.
    assert rings(h(CallArrived("1", "q", t(1)))) == [("1", "a")]
    _answer_and_finish(h, "1", "a", 2)
    assert rings(h(CallArrived("2", "q", t(5)))) == [("2", "b")]
    _answer_and_finish(h, "2", "b", 6)
    assert rings(h(CallArrived("3", "q", t(10)))) == [("3", "c")]
    # Then a (free since 3) before b (free since 7).
    assert rings(h(CallArrived("4", "q", t(11)))) == [("4", "a")]


def test_round_robin_remembers_where_it_stopped() -> None:
    h = Harness.build([_queue("round_robin")], [op("a", q=0), op("b", q=0), op("c", q=0)])
    seen = []
    for n in range(5):
        (ring,) = rings(h(CallArrived(str(n), "q", t(10 * n))))
        seen.append(ring[1])
        _answer_and_finish(h, str(n), ring[1], 10 * n + 1)
    assert seen == ["a", "b", "c", "a", "b"]


def test_fewest_calls_prefers_the_least_loaded_operator() -> None:
    h = Harness.build([_queue("fewest_calls")], [op("a", q=0), op("b", q=0)])
    assert rings(h(CallArrived("1", "q", t(1)))) == [("1", "a")]
    _answer_and_finish(h, "1", "a", 2)
    assert rings(h(CallArrived("2", "q", t(5)))) == [("2", "b")]
    _answer_and_finish(h, "2", "b", 6)
    assert rings(h(CallArrived("3", "q", t(10)))) == [("3", "a")]
    h(OfferAnswered("3", "a", t(11)))
    h(CallCompleted("3", t(12)))
    assert rings(h(CallArrived("4", "q", t(20)))) == [("4", "b")]


def test_random_is_deterministic_for_a_seed() -> None:
    ops = [op(x, q=0) for x in "abcdefgh"]

    def run(seed: int) -> list[str]:
        engine = AcdEngine(
            AcdConfig(queues=[_queue("random")], operators=ops), rng=random.Random(seed), start=T0
        )
        picked = []
        for n in range(6):
            (ring,) = rings(engine.handle(CallArrived(str(n), "q", t(10 * n))))
            picked.append(ring[1])
            engine.handle(OfferAnswered(str(n), ring[1], t(10 * n + 1)))
            engine.handle(CallCompleted(str(n), t(10 * n + 2)))
        return picked

    assert run(7) == run(7)
    assert len({tuple(run(s)) for s in range(5)}) > 1


def test_linear_always_starts_from_the_configured_order() -> None:
    h = Harness.build([_queue("linear")], [op("c", q=0), op("a", q=0), op("b", q=0)])
    for n in range(3):
        assert rings(h(CallArrived(str(n), "q", t(10 * n)))) == [(str(n), "c")]
        _answer_and_finish(h, str(n), "c", 10 * n + 1)
    # With c busy the next in line is a.
    h(CallArrived("x", "q", t(40)))
    h(OfferAnswered("x", "c", t(41)))
    assert rings(h(CallArrived("y", "q", t(42)))) == [("y", "a")]


def test_ring_all_rings_everyone_and_the_first_answer_wins() -> None:
    h = Harness.build([_queue("ring_all")], [op("a", q=0), op("b", q=0), op("c", q=0)])
    assert rings(h(CallArrived("1", "q", t(1)))) == [("1", "a"), ("1", "b"), ("1", "c")]
    out = h(OfferAnswered("1", "b", t(3)))
    # Queued at 1 s, answered at 3 s.
    assert of(ConnectCall, out) == [ConnectCall("1", "b", waited_s=2.0)]
    assert of(CancelRing, out) == [CancelRing("1", "a"), CancelRing("1", "c")]
    assert h.state("a") == h.state("c") == "available"
    assert h.state("b") == "on_call"


def test_ring_all_rings_only_the_lowest_tier() -> None:
    h = Harness.build([_queue("ring_all")], [op("a", q=1), op("b", q=0), op("c", q=0)])
    assert rings(h(CallArrived("1", "q", t(1)))) == [("1", "b"), ("1", "c")]


def test_operator_not_logged_in_is_never_rung() -> None:
    spec = OperatorSpec("z", "PJSIP/z", {"q": 0})
    h = Harness.build([QueuePolicy("q", join_empty=True)], [spec])
    assert rings(h(CallArrived("1", "q", t(1)))) == []
    assert rings(h(OperatorLoggedIn("z", t(2)))) == [("1", "z")]
