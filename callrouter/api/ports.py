"""What the HTTP API needs from the routing service: one small Protocol.

The routing service implements :class:`CallCenterPort`; tests pass
:class:`callrouter.api.fakes.FakeCallCenter`. Every method may refuse with
``callrouter.errors.NotFound`` (no such operator or live call) or ``Conflict`` (the
state forbids it: already logged in, not paused, no recording running); outside
failures surface as ``ExternalError`` subclasses (``AriError``, ``DatabaseError``).
The API maps those to HTTP statuses; implementations never think in statuses.

Call ids are the canonical text of the call's UUID (``calls.id``), lower case.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, Protocol

__all__ = ["CallCenterPort", "CenterHealth", "OperatorAction", "RecordingContent"]

OperatorAction = Literal["login", "logout", "pause", "unpause"]

RecordingContent = bytes | AsyncIterator[bytes]
"""A whole small file, or chunks so a long recording is never held in memory."""


@dataclass(frozen=True, slots=True)
class CenterHealth:
    ari_connected: bool
    ari_reconnects: int
    ari_last_event_at: datetime | None
    database_ok: bool


class CallCenterPort(Protocol):
    async def health(self) -> CenterHealth:
        """Cheap and never blocking on Asterisk: monitors poll it every few seconds."""
        ...

    def live_call_tenant(self, call_id: str) -> str | None:
        """The tenant of a call in progress here; None for a call this node does not
        hold (its row, if any, says)."""
        ...

    async def operator_action(
        self, operator_id: str, action: OperatorAction, reason: str | None
    ) -> str:
        """Apply the state change now; return a one-line result ("paused (lunch)")."""
        ...

    async def click_to_call(
        self,
        *,
        operator_id: str,
        number: str | None,
        caller_id: str | None,
        campaign_id: int | None,
        lead_id: int | None,
    ) -> str:
        """Ring the operator's phone, then dial ``number`` (the lead's own number when
        ``lead_id`` is given without one); return the new call's id.

        Returns once the call is started, not answered. ``number`` is as the client
        typed it; normalising it (E.164, dial plan prefix) is the service's job.
        """
        ...

    async def recording_file(self, call_id: str) -> tuple[RecordingContent, str]:
        """The call's recording and its content type (``audio/wav``)."""
        ...

    async def schedule_callback(
        self,
        *,
        phone: str,
        queue: str,
        due_at: datetime,
        name: str,
        note: str | None,
        operator_id: str | None = None,
    ) -> int:
        """Store a callback for ``queue`` at ``due_at`` (for ``operator_id`` only, if
        given); return its id. The number is as typed; normalising it is the service's."""
        ...

    async def next_lead(self, campaign: str, operator_id: str) -> dict[str, Any]:
        """Claim the next lead of a running preview campaign for this operator: its
        ``lead_id``, ``campaign_id``, ``phone``, ``name``, ``timezone``, ``script_url``.
        ``NotFound`` when no lead may be called now."""
        ...

    async def transfer(self, call_id: str, queue: str) -> None:
        """Blind transfer of a live call into ``queue`` (the operator's leg is released)."""
        ...

    async def start_recording(self, call_id: str) -> None:
        """Start recording a connected call (queues and campaigns ``on_demand``)."""
        ...

    async def pause_recording(self, call_id: str) -> None: ...

    async def resume_recording(self, call_id: str) -> None: ...

    async def queue_status(self) -> dict[str, Any]:
        """Live queue figures, JSON-serialisable, keyed by queue name."""
        ...
