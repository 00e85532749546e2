"""Indices that keep every routing decision cheap at 10,000 calls and 2,000 operators.

Two families, both sorted lists kept in order by ``bisect`` (memmove of a few thousand
pointers costs less than a heap's lazy-deletion bookkeeping, and gives exact removal and
rank queries, which position announcements need):

- ``WaitingCalls`` files each waiting call twice. In its *bucket*, keyed by
  ``(queue, escalation level)``: every call in a bucket may be taken by exactly the same
  operators, so an operator becoming free looks at the head of a handful of buckets, not
  at every call. And in its queue's line, whose rank is the announced position.
- ``QueueMembers`` files each routable operator of a queue by penalty tier, sorted by
  the queue's strategy key, so a call arriving takes the head of the lowest tier.

A call's sort key is ``(-priority, queued_us, seq, call_id)``: higher priority first,
then who has waited longest; ``seq`` breaks ties of equal timestamps by arrival order.
"""

from __future__ import annotations

import random
from bisect import bisect_left, insort
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Generic, TypeVar

from callrouter.acd._model import RecordingPolicy, Strategy
from callrouter.acd._operators import Operator
from callrouter.errors import InternalError

__all__ = [
    "Call",
    "CallKey",
    "CallStatus",
    "MemberKey",
    "QueueMembers",
    "SortedKeys",
    "WaitingCalls",
]

CallKey = tuple[int, int, int, str]
MemberKey = tuple[int, int, int, str]
K = TypeVar("K", bound=tuple[Any, ...])


class SortedKeys(Generic[K]):
    __slots__ = ("_items",)

    def __init__(self) -> None:
        self._items: list[K] = []

    def add(self, key: K) -> None:
        insort(self._items, key)

    def remove(self, key: K) -> int:
        """Remove ``key``; its 0-based rank before removal."""
        i = bisect_left(self._items, key)
        if i == len(self._items) or self._items[i] != key:
            raise InternalError(f"index lost {key!r}")
        del self._items[i]
        return i

    def first(self) -> K | None:
        return self._items[0] if self._items else None

    def rank(self, key: K) -> int:
        return bisect_left(self._items, key)

    def __getitem__(self, i: int) -> K:
        return self._items[i]

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[K]:
        return iter(self._items)


class CallStatus(StrEnum):
    WAITING = "waiting"
    OFFERED = "offered"
    CONNECTED = "connected"


@dataclass(slots=True, eq=False)
class Call:
    call_id: str
    queue: str
    priority: int
    caller_number: str
    arrived_at: datetime
    queued_at: datetime
    queued_us: int
    seq: int
    status: CallStatus = CallStatus.WAITING
    level: int = 0
    ringing: set[str] = field(default_factory=set)
    operator_id: str | None = None
    offered_at: datetime | None = None
    answered_at: datetime | None = None
    # Max wait passed while an offer was ringing: leave as soon as it comes back.
    expired: bool = False
    # Overflows into other queues taken by this call, to stop A -> B -> A loops.
    hops: int = 0
    # Place in line when it joined its queue, and when it last left the line.
    entry_position: int = 1
    position: int = 1
    # A transferred caller's place in line: their original arrival (or ahead of every
    # caller not escalated), while ``queued_us`` stays when they entered this queue.
    rank_us: int | None = None
    # The call's own recording policy (a campaign's); None: its queue's.
    recording: RecordingPolicy | None = None
    # What an outbound customer hears when nobody answered by ``CallArrived.answer_by``.
    apology_sound: str = ""

    @property
    def key(self) -> CallKey:
        rank = self.queued_us if self.rank_us is None else self.rank_us
        return (-self.priority, rank, self.seq, self.call_id)


Bucket = tuple[str, int]


class WaitingCalls:
    def __init__(self) -> None:
        self._buckets: dict[Bucket, SortedKeys[CallKey]] = {}
        self._lines: dict[str, SortedKeys[CallKey]] = {}

    def add(self, call: Call) -> None:
        key = call.key
        self._buckets.setdefault((call.queue, call.level), SortedKeys()).add(key)
        self._lines.setdefault(call.queue, SortedKeys()).add(key)

    def remove(self, call: Call) -> None:
        key = call.key
        self._buckets[(call.queue, call.level)].remove(key)
        # Its place in line as it leaves: queue_log's "position" of an exit.
        call.position = self._lines[call.queue].remove(key) + 1

    def head(self, bucket: Bucket) -> CallKey | None:
        keys = self._buckets.get(bucket)
        return keys.first() if keys is not None else None

    def position(self, call: Call) -> int:
        """1-based place among the calls waiting in the same queue."""
        return self._lines[call.queue].rank(call.key) + 1

    def count(self, queue: str) -> int:
        line = self._lines.get(queue)
        return len(line) if line is not None else 0

    def line(self, queue: str) -> list[CallKey]:
        return list(self._lines.get(queue, ()))


class QueueMembers:
    """The routable operators of one queue, by penalty tier, in strategy order."""

    def __init__(self, name: str, strategy: Strategy) -> None:
        self.name = name
        self.strategy = strategy
        self._tiers: dict[int, SortedKeys[MemberKey]] = {}
        self._penalties: list[int] = []
        # rrmemory: the configured order of the operator offered last.
        self.rr_last = -1

    def key_for(self, op: Operator) -> MemberKey:
        if self.strategy == "longest_idle":
            return (op.since_us, 0, op.order, op.operator_id)
        if self.strategy == "fewest_calls":
            return (op.calls_taken.get(self.name, 0), op.since_us, op.order, op.operator_id)
        return (op.order, 0, op.order, op.operator_id)

    def add(self, penalty: int, key: MemberKey) -> None:
        tier = self._tiers.get(penalty)
        if tier is None:
            tier = self._tiers[penalty] = SortedKeys()
            insort(self._penalties, penalty)
        tier.add(key)

    def remove(self, penalty: int, key: MemberKey) -> None:
        self._tiers[penalty].remove(key)

    def lowest(self, max_penalty: int | None) -> int | None:
        """The lowest tier with a routable operator, within ``max_penalty``."""
        for p in self._penalties:
            if max_penalty is not None and p > max_penalty:
                return None
            if len(self._tiers[p]):
                return p
        return None

    def tier(self, penalty: int) -> list[str]:
        return [k[3] for k in self._tiers.get(penalty, ())]

    def choose(self, penalty: int, rng: random.Random) -> str:
        """The one operator of tier ``penalty`` this queue's strategy asks first."""
        keys = self._tiers[penalty]
        if self.strategy == "random":
            return keys[rng.randrange(len(keys))][3]
        if self.strategy == "round_robin":
            i = keys.rank((self.rr_last + 1, 0, -1, ""))
            return keys[i if i < len(keys) else 0][3]
        # longest_idle, fewest_calls and linear sort their best operator first.
        return keys[0][3]

    def __len__(self) -> int:
        return sum(len(t) for t in self._tiers.values())
