"""The default :class:`~callrouter.agi.ports.RoutePlanner`: a DID table and opening hours.

Opening hours stay outside: ``is_open(queue, now)`` is whatever the ACD's business-hours
calendar offers, so this planner holds no calendar logic of its own.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Final

from callrouter.agi.ports import RouteDecision

__all__ = ["DEFAULT_CLOSED_SOUND", "DEFAULT_REJECT_SOUND", "DidRoutePlanner"]

# Not a stock Asterisk sound: the sysadmin records it (see dialplan/README.md).
DEFAULT_CLOSED_SOUND: Final = "callrouter/closed"
# Stock: "The number you have dialed is not in service."
DEFAULT_REJECT_SOUND: Final = "ss-noservice"


def _variants(number: str) -> tuple[str, ...]:
    # Trunks disagree on whether the DID carries its "+"; accept either spelling.
    number = number.strip().replace(" ", "")
    bare = number.lstrip("+")
    return (number, bare, "+" + bare)


class DidRoutePlanner:
    """Maps the called number to a queue, then asks ``is_open`` whether it is staffed."""

    def __init__(
        self,
        *,
        did_queues: Mapping[str, str],
        is_open: Callable[[str, datetime], bool],
        default_queue: str | None = None,
        closed_sound: str = DEFAULT_CLOSED_SOUND,
        closed_sounds: Mapping[str, str] | None = None,
        reject_sound: str | None = DEFAULT_REJECT_SOUND,
    ) -> None:
        for did, queue in did_queues.items():
            if not did.strip() or not queue:
                raise ValueError(f"bad DID mapping {did!r} -> {queue!r}")
        self._did_queues = {v: q for did, q in did_queues.items() for v in _variants(did)}
        self._is_open = is_open
        self._default_queue = default_queue
        self._closed_sound = closed_sound
        self._closed_sounds = dict(closed_sounds or {})
        self._reject_sound = reject_sound

    def queue_for(self, called_number: str) -> str | None:
        for variant in _variants(called_number):
            if variant in self._did_queues:
                return self._did_queues[variant]
        return self._default_queue

    def plan(self, called_number: str, now: datetime) -> RouteDecision:
        queue = self.queue_for(called_number) if called_number.strip() else None
        if queue is None:
            return RouteDecision(target="reject", sound=self._reject_sound)
        if not self._is_open(queue, now):
            sound = self._closed_sounds.get(queue, self._closed_sound)
            return RouteDecision(target="closed", queue=queue, sound=sound)
        return RouteDecision(target="stasis", queue=queue)
