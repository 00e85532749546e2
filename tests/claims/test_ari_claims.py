"""README, The ARI client: it "reconnects with capped exponential backoff and jitter".
Capped: a long outage never waits more than ``ari.reconnect_max_s`` between tries;
jittered: a fleet reconnecting after an Asterisk restart does not stampede in step."""

from __future__ import annotations

from callrouter.ari._websocket import Backoff


def test_reconnect_delays_double_up_to_the_cap_with_jitter() -> None:
    backoff = Backoff(initial=1.0, maximum=30.0)
    delays = [backoff.next() for _ in range(12)]
    ceilings = [min(30.0, 2.0**n) for n in range(12)]
    for delay, ceiling in zip(delays, ceilings, strict=True):
        assert ceiling / 2 <= delay <= ceiling
    assert max(delays) <= 30.0
    # Jitter: at the cap, many draws are not one fixed value.
    assert len({round(backoff.next(), 6) for _ in range(20)}) > 1
    # A successful connection starts the doubling again from the initial delay.
    backoff.reset()
    assert 0.5 <= backoff.next() <= 1.0
