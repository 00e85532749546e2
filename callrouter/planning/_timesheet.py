"""Operators' time in a simulated day: logged in and busy, per interval, and the share
spent on each campaign's customers.

Each state change of an operator (the engine's ``OperatorStateChanged``) closes the
stretch since their previous one and adds it to the intervals it spans: logged-in time
unless they were logged out, busy time when they were offered a call, on one or in its
wrap-up, and a campaign's busy time when that call was the campaign's customer.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from callrouter.acd import OperatorState
from callrouter.planning._tally import DayTally
from callrouter.planning._timeline import US

__all__ = ["BUSY", "Timesheet"]

BUSY = frozenset({OperatorState.OFFERED, OperatorState.ON_CALL, OperatorState.WRAPUP})


class Timesheet:
    def __init__(
        self,
        operators: Iterable[str],
        tally: DayTally,
        *,
        first_us: int,
        interval_us: int,
        campaigns: Sequence[str],
    ) -> None:
        self.state: dict[str, OperatorState] = dict.fromkeys(operators, OperatorState.LOGGED_OUT)
        self._tally, self._campaigns = tally, campaigns
        self._first_us, self._interval_us = first_us, interval_us
        self._since: dict[str, int] = {}
        self._serving: dict[str, int] = {}  # operator -> campaign number of their call, or -1

    def interval_of(self, us: int) -> int:
        return (us - self._first_us) // self._interval_us

    def change(
        self, operator_id: str, new: OperatorState, now_us: int, campaign: int | None
    ) -> None:
        """``operator_id`` is ``new`` from now; ``campaign``: their call's campaign number
        (-1: an inbound call; None: no call named, or one already gone)."""
        self.account(operator_id, now_us)
        self.state[operator_id] = new
        if campaign is not None:
            self._serving[operator_id] = campaign

    def account(self, operator_id: str, now_us: int) -> None:
        """Add the time since the operator's last change to the intervals it spans."""
        state = self.state[operator_id]
        since = self._since.get(operator_id, now_us)
        self._since[operator_id] = now_us
        if state is OperatorState.LOGGED_OUT or since >= now_us:
            return
        busy = state in BUSY
        campaign = self._serving.get(operator_id, -1) if busy else -1
        tally = self._tally
        last = len(tally.staffed_s) - 1
        t = max(since, self._first_us)
        while t < now_us:
            index = self.interval_of(t)
            if index > last:
                break
            end = min(now_us, self._first_us + (index + 1) * self._interval_us)
            tally.staffed_s[index] += (end - t) / US
            if busy:
                tally.busy_s[index] += (end - t) / US
            if campaign >= 0:
                tally.lines(index, self._campaigns[campaign]).busy_s += (end - t) / US
            t = end

    def close(self, now_us: int) -> None:
        for operator_id in self.state:
            self.account(operator_id, now_us)
