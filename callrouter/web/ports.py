"""What the pages need from the running service: one small Protocol.

The routing service implements :class:`LiveSource` (``callrouter.calls._live``): the
engine's snapshot, who is on each live call, the current configuration, and a signal
when the routing core changed. The pages never reach into the service otherwise.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from callrouter.acd import AcdSnapshot
from callrouter.config import Settings

__all__ = ["CallParty", "Change", "LiveSource"]


class Change(StrEnum):
    # Callers waiting or ringing, operator states: the live part of the board.
    LIVE = "live"
    # A call got its outcome: today's figures change too (read from PostgreSQL).
    FINAL = "final"
    # The configuration was reloaded: tokens and tenants may have changed, so every
    # open page checks again that its viewer may still see the board.
    SETTINGS = "settings"


@dataclass(frozen=True, slots=True)
class CallParty:
    """Who is on a live call, as the shell knows it (never the database)."""

    call_id: str
    queue: str
    caller_number: str
    caller_name: str
    called_number: str
    # The customer card found when the call arrived (name, tier, account, notes).
    customer: Mapping[str, object] | None
    # The tenant (client company) the call belongs to: its first queue's, as its rows.
    tenant: str


class LiveSource(Protocol):
    @property
    def settings(self) -> Settings:
        """The configuration in force (it changes on reload)."""
        ...

    def snapshot(self) -> AcdSnapshot:
        """The routing core now."""
        ...

    def party(self, call_id: str) -> CallParty | None:
        """Who is on ``call_id``, or None when the call is not live here."""
        ...

    def on_change(self, listener: Callable[[Change], None]) -> None:
        """Call ``listener`` (synchronously, so it must only take note) on every change."""
        ...
