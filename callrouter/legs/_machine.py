"""One transition-table machine, shared by every kind of leg."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Generic, TypeVar

from callrouter.errors import Conflict

__all__ = ["IllegalLegTransition", "LegMachine"]

S = TypeVar("S", bound=StrEnum)
I = TypeVar("I", bound=StrEnum)  # noqa: E741


class IllegalLegTransition(Conflict):
    """An input the leg's table has no entry for in its current state."""

    error_id = "illegal-leg-transition"


class LegMachine(Generic[S, I]):
    def __init__(self, name: str, table: Mapping[S, Mapping[I, S]], *, initial: S) -> None:
        self.name = name
        self.initial = initial
        self._table = table

    def next(self, state: S, event: I) -> S:
        """The state ``event`` leads to; raises (and changes nothing) if it may not happen."""
        try:
            return self._table[state][event]
        except KeyError:
            raise IllegalLegTransition(f"{self.name}: cannot {event} while {state}") from None

    def allows(self, state: S, event: I) -> bool:
        return event in self._table.get(state, {})

    def final(self, state: S) -> bool:
        return not self._table.get(state)

    @property
    def states(self) -> tuple[S, ...]:
        return tuple(self._table)
