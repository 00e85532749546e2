"""What the dialer reads of the routing core, kept from the engine's commands.

The live dialer reads ``engine.snapshot()`` before each pacing decision
(``calls/_dialer_legs.py``, ``DialedLegs.snapshot``): per queue, the operators skilled
for it who are available, those on a call or in wrap-up (and since when), and the
inbound callers waiting in its line. A snapshot costs milliseconds with a few hundred
operators, and a simulated day paces tens of thousands of times, so the simulation
keeps the same figures from the commands the engine returns (operator state changes,
rings, connections, overflows, final records). ``tests/planning/test_blended.py``
checks them against ``DialedLegs.snapshot`` on the engine's own snapshot at every
pacing decision of a day.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping, Sequence

from callrouter.acd import OperatorState, OperatorStateChanged
from callrouter.dialer import Load
from callrouter.planning._timeline import US, QueueFloor

__all__ = ["FloorWatch"]

# The dialer shell's "busy" (dialling ahead counts these): on a call or wrapping up.
_DIAL_BUSY = frozenset({OperatorState.ON_CALL, OperatorState.WRAPUP})


class FloorWatch:
    def __init__(self, queues: Sequence[str], skills: Mapping[str, tuple[str, ...]]) -> None:
        self._trunk_starts: deque[int] = deque()
        self._skills = skills
        self._available = dict.fromkeys(queues, 0)
        self._busy: dict[str, set[str]] = {q: set() for q in queues}
        self._busy_since: dict[str, int] = {}
        self._in_line: dict[str, set[str]] = {q: set() for q in queues}
        """Inbound callers in each queue, not connected: waiting, or ringing someone."""
        self._rings: dict[str, int] = {}

    def queue_floor(self, queue: str) -> QueueFloor:
        waiting = sum(1 for call in self._in_line[queue] if not self._rings.get(call))
        return QueueFloor(self._available[queue], waiting, self._busy[queue], self._busy_since)

    def operator(self, change: OperatorStateChanged, now_us: int) -> None:
        op, old, new = change.operator_id, change.old, change.new
        old_busy, new_busy = old in _DIAL_BUSY, new in _DIAL_BUSY
        delta = (new is OperatorState.AVAILABLE) - (old is OperatorState.AVAILABLE)
        for queue in self._skills[op]:
            self._available[queue] += delta
            if new_busy and not old_busy:
                self._busy[queue].add(op)
            elif old_busy and not new_busy:
                self._busy[queue].discard(op)
        if new_busy:
            self._busy_since.setdefault(op, now_us)
        else:
            self._busy_since.pop(op, None)

    def skilled(self, operator_id: str, queue: str) -> bool:
        return queue in self._skills[operator_id]

    def inbound_joined(self, call_id: str, queue: str) -> None:
        self._in_line[queue].add(call_id)

    def inbound_moved(self, call_id: str, old: str, new: str) -> None:
        if call_id in self._in_line[old]:
            self._in_line[old].discard(call_id)
            self._in_line[new].add(call_id)

    def inbound_left(self, call_id: str, queue: str) -> None:
        """Connected to an operator, or ended."""
        self._in_line[queue].discard(call_id)

    def ringing(self, call_id: str, delta: int) -> None:
        """A ring of the call started (+1) or ended (-1)."""
        count = self._rings.get(call_id, 0) + delta
        if count > 0:
            self._rings[call_id] = count
        else:
            self._rings.pop(call_id, None)

    def line_started(self, now_us: int) -> None:
        self._trunk_starts.append(now_us)

    def trunk_load(self, now_us: int, *, calls: int, ringing: int) -> Load:
        """As the live dialer counts the trunk: every call in the queues (inbound ones
        too) and every line not answered yet; lines started in the last second."""
        while self._trunk_starts and self._trunk_starts[0] <= now_us - US:
            self._trunk_starts.popleft()
        return Load(active=calls + ringing, started_last_second=len(self._trunk_starts))
