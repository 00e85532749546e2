"""What the AGI routes need from the rest of callrouter, as small Protocols.

The wiring (the composition root) passes in the database-backed directory, the ACD's
operator control and a planner built on the ACD's business-hours calendar; tests pass
the fakes in :mod:`callrouter.agi.fakes`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

__all__ = [
    "Clock",
    "CustomerCard",
    "CustomerDirectory",
    "OperatorControl",
    "OperatorRef",
    "RouteDecision",
    "RoutePlanner",
    "RouteTarget",
]

Clock = Callable[[], datetime]
RouteTarget = Literal["stasis", "closed", "reject"]


@dataclass(frozen=True, slots=True)
class CustomerCard:
    name: str
    tier: str
    account: str
    notes: str = ""


class CustomerDirectory(Protocol):
    async def find_by_phone(self, number: str, called: str | None) -> CustomerCard | None:
        """The card of caller ``number`` for the number they called (a DID, whose queue's
        tenant owns the card; None: the dialplan did not say)."""


@dataclass(frozen=True, slots=True)
class RouteDecision:
    """Where the dialplan sends an inbound call.

    ``stasis``: into callrouter's ACD on ``queue``. ``closed``: play ``sound``, hang up.
    ``reject``: the number is not ours; hang up as an unallocated number (cause 1),
    after ``sound`` if one is given.
    """

    target: RouteTarget
    queue: str | None = None
    sound: str | None = None

    def __post_init__(self) -> None:
        if self.target == "stasis" and not self.queue:
            raise ValueError("a stasis decision needs a queue")


class RoutePlanner(Protocol):
    def plan(self, called_number: str, now: datetime) -> RouteDecision: ...


@dataclass(frozen=True, slots=True)
class OperatorRef:
    """Who dialled the feature code: ``PJSIP/101`` and the caller-ID number ``101``."""

    endpoint: str
    extension: str | None


class OperatorControl(Protocol):
    """The ACD's operator state. Raise ``NotFound`` / ``Conflict`` to refuse."""

    async def login(self, who: OperatorRef) -> None: ...

    async def logout(self, who: OperatorRef) -> None: ...

    async def pause(self, who: OperatorRef, reason: str | None) -> None: ...

    async def unpause(self, who: OperatorRef) -> None: ...
