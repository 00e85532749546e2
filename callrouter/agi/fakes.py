"""In-memory stand-ins for the AGI ports, for tests, the bench and demos."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from callrouter.agi.ports import CustomerCard, OperatorRef
from callrouter.errors import Conflict, NotFound

__all__ = ["InMemoryCustomerDirectory", "InMemoryOperatorControl", "OperatorCall"]


class InMemoryCustomerDirectory:
    def __init__(self, cards: Mapping[str, CustomerCard] | None = None) -> None:
        self._cards = dict(cards or {})
        self.queries: list[str] = []
        # The called number of each query, in the same order.
        self.called: list[str | None] = []

    async def find_by_phone(self, number: str, called: str | None) -> CustomerCard | None:
        self.queries.append(number)
        self.called.append(called)
        return self._cards.get(number)


@dataclass(frozen=True, slots=True)
class OperatorCall:
    action: str
    who: OperatorRef
    reason: str | None = None


@dataclass
class InMemoryOperatorControl:
    """Knows ``endpoints``; refuses a second login or a pause while logged out."""

    endpoints: set[str]
    logged_in: set[str] = field(default_factory=set)
    paused: set[str] = field(default_factory=set)
    calls: list[OperatorCall] = field(default_factory=list)

    def _known(self, who: OperatorRef) -> str:
        if who.endpoint not in self.endpoints:
            raise NotFound(f"no operator on {who.endpoint}")
        return who.endpoint

    def _logged_in(self, who: OperatorRef) -> str:
        endpoint = self._known(who)
        if endpoint not in self.logged_in:
            raise Conflict(f"{endpoint} is not logged in")
        return endpoint

    async def login(self, who: OperatorRef) -> None:
        self.calls.append(OperatorCall("login", who))
        endpoint = self._known(who)
        if endpoint in self.logged_in:
            raise Conflict(f"{endpoint} is already logged in")
        self.logged_in.add(endpoint)

    async def logout(self, who: OperatorRef) -> None:
        self.calls.append(OperatorCall("logout", who))
        endpoint = self._logged_in(who)
        self.logged_in.discard(endpoint)
        self.paused.discard(endpoint)

    async def pause(self, who: OperatorRef, reason: str | None) -> None:
        self.calls.append(OperatorCall("pause", who, reason))
        self.paused.add(self._logged_in(who))

    async def unpause(self, who: OperatorRef) -> None:
        self.calls.append(OperatorCall("unpause", who))
        self.paused.discard(self._logged_in(who))
