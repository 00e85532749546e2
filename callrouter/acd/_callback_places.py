"""Callbacks keep their caller's place: they compete with waiting callers for operators.

A caller who asked to be called back left the line, but not their place in it. The
shell tells the core which callbacks of a queue are due (``CallbacksDue``, each with the
priority and the ``queued_at`` its caller had); when an operator becomes free, the best
of them the operator may take is ranked exactly as the dispatcher ranks a waiting call
(``_dispatch``: priority, then service level at risk, then longest wait, the wait
counted from the original ``queued_at``). If it ranks before every waiting call the
operator may take, the operator is *reserved* for it instead of being rung: paused with
reason ``outbound`` (outbound work, for occupancy and operator claims), the change's
``call_id`` naming the callback (``callback_marker``). The shell dials the customer and
unpauses the operator once the customer has joined the queue (or was not reached), so
the operator is never booked twice. A callback and a call with the same rank: the
callback first, its place was taken before.

So a callback is never passed over by a caller who joined the queue after its place,
however busy the day (``tests/dialer/test_callback_order.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from callrouter.acd._dispatch import Routing
from callrouter.acd._model import OperatorSpec
from callrouter.acd._queues import CallKey, SortedKeys

__all__ = [
    "RESERVATION_REASON",
    "CallbackPlace",
    "CallbackPlaces",
    "Rank",
    "call_rank",
    "callback_marker",
    "reserved_callback",
]

# The pause reason of an operator reserved for a callback: outbound work.
RESERVATION_REASON = "outbound"
_MARKER = "callback:"

# (-priority, service level calm, queued_us, seq): lower is served first.
Rank = tuple[int, bool, int, int]
# (-priority, queued_us, callback_id)
PlaceKey = tuple[int, int, int]


@dataclass(frozen=True, slots=True)
class CallbackPlace:
    callback_id: int
    priority: int
    queued_at: datetime
    """When the caller first joined the queue: the place the callback keeps."""


def callback_marker(callback_id: int) -> str:
    return f"{_MARKER}{callback_id}"


def reserved_callback(call_id: str | None) -> int | None:
    """The callback an operator was reserved for, from the ``call_id`` of the change."""
    if call_id is None or not call_id.startswith(_MARKER):
        return None
    digits = call_id[len(_MARKER) :]
    return int(digits) if digits.isdigit() else None


def call_rank(routing: Routing, queue: str, key: CallKey, now_us: int) -> Rank:
    """The dispatcher's rank of a waiting call of ``queue`` (see ``pick_call``)."""
    neg_priority, queued_us, seq, _ = key
    return neg_priority, now_us - queued_us < routing.risk_us[queue], queued_us, seq


class CallbackPlaces:
    """The due callbacks of each queue, by place."""

    def __init__(self) -> None:
        self._by_queue: dict[str, SortedKeys[PlaceKey]] = {}

    def __bool__(self) -> bool:
        return any(self._by_queue.values())

    def replace(
        self, queue: str, places: Iterable[CallbackPlace], to_us: Callable[[datetime], int]
    ) -> None:
        keys: SortedKeys[PlaceKey] = SortedKeys()
        for place in places:
            keys.add((-place.priority, to_us(place.queued_at), place.callback_id))
        self._by_queue[queue] = keys

    def best_for(
        self,
        spec: OperatorSpec,
        routing: Routing,
        now_us: int,
        comes_before: Callable[[tuple[str, Rank], tuple[str, Rank]], bool] | None = None,
    ) -> tuple[Rank, str, PlaceKey] | None:
        """The callback ``spec`` may take that ranks first, with its rank and queue.

        Eligibility is a waiting call's: the queue's reach at the escalation level the
        callback's wait has reached. ``comes_before`` orders (queue, rank) pairs of
        different queues (the fairness between tenants); by default, the rank alone."""
        before = comes_before or (lambda a, b: a[1] < b[1])
        best: tuple[Rank, str, PlaceKey] | None = None
        for queue, keys in self._by_queue.items():
            if queue not in routing.policies:
                continue  # removed by a reload
            for key in keys:
                neg_priority, queued_us, _ = key
                level = routing.level_at(queue, max(0, now_us - queued_us))
                if not routing.reach[queue][level].admits(spec):
                    continue
                # seq 0: a callback goes before a call of the same rank (seq >= 1).
                rank = call_rank(routing, queue, (neg_priority, queued_us, 0, ""), now_us)
                if best is None or before((queue, rank), (best[1], best[0])):
                    best = (rank, queue, key)
                # Sorted by priority then place, a queue's keys are in rank order (an
                # older place is at risk first): the first one admitted is its best.
                break
        return best

    def take(self, queue: str, key: PlaceKey) -> int:
        self._by_queue[queue].remove(key)
        return key[2]
