"""The bodies callrouter POSTs to the CRM, one pydantic model per event.

Every field is documented in the package docstring (:mod:`callrouter.crm`); a test
keeps the two in step. Bump :data:`SCHEMA_VERSION` on any change a receiver could
trip over (a field removed, renamed or retyped); adding a field is not such a change,
so receivers must ignore fields they do not know.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, NonNegativeFloat

if TYPE_CHECKING:
    import asyncpg

__all__ = [
    "EVENTS",
    "SCHEMA_VERSION",
    "CallAnswered",
    "CallEnded",
    "CallOffered",
    "CallTransferred",
    "CallbackRequested",
    "Caller",
    "CustomerCard",
    "Operator",
    "Outcome",
    "Recording",
    "TransferNote",
    "WebhookPayload",
    "call_answered",
    "call_ended",
    "call_offered",
    "call_transferred",
    "callback_requested",
]

SCHEMA_VERSION = 1

EVENTS: Mapping[str, Literal["offered", "answered", "ended", "callback", "transferred"]] = {
    "call.offered": "offered",
    "call.answered": "answered",
    "call.ended": "ended",
    "callback.requested": "callback",
    "call.transferred": "transferred",
}
"""Event name on the wire → its key under ``crm.webhooks`` in the configuration."""

# The same list as the CHECK on calls.outcome, so a CRM can store it as it comes.
Outcome = Literal[
    "answered",
    "abandoned",
    "overflowed",
    "callback",
    "closed",
    "failed",
    "busy",
    "no_answer",
    "machine",
    "congestion",
    "unreachable",
    "transferred",
    "lost",
]


class _Part(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Operator(_Part):
    id: str
    name: str
    endpoint: str


class Caller(_Part):
    number: str
    name: str = ""


class CustomerCard(_Part):
    name: str
    tier: str
    account: str | None = None
    notes: str | None = None


class Recording(_Part):
    name: str
    url: str | None = None
    duration_s: NonNegativeFloat | None = None


class TransferNote(_Part):
    """Why a call was handed on, by whom: the next operator's screen pop shows it."""

    from_operator: str | None
    reason: str | None = None
    note: str | None = None


class WebhookPayload(_Part):
    """Fields every body has. ``event`` is repeated from the header for logs and queues."""

    schema_version: int = SCHEMA_VERSION
    event: str

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


class CallOffered(WebhookPayload):
    event: Literal["call.offered"] = "call.offered"
    call_id: UUID
    queue: str | None
    operator: Operator
    caller: Caller
    customer: CustomerCard | None
    script_url: str | None
    offered_at: AwareDatetime
    # Set when the call was transferred to this operator: who sent it, and why.
    transfer: TransferNote | None = None

    def to_json(self) -> dict[str, Any]:
        body = super().to_json()
        if body["transfer"] is None:
            del body["transfer"]  # only a transferred call's screen pop carries it
        return body


class CallAnswered(WebhookPayload):
    event: Literal["call.answered"] = "call.answered"
    call_id: UUID
    queue: str | None
    operator: Operator
    caller: Caller
    wait_s: NonNegativeFloat
    answered_at: AwareDatetime


class CallEnded(WebhookPayload):
    event: Literal["call.ended"] = "call.ended"
    call_id: UUID
    queue: str | None
    operator: Operator | None
    caller: Caller
    outcome: Outcome
    wait_s: NonNegativeFloat
    talk_s: NonNegativeFloat
    hangup_cause: int | None
    hangup_cause_txt: str | None
    recording: Recording | None
    ended_at: AwareDatetime


class CallTransferred(WebhookPayload):
    event: Literal["call.transferred"] = "call.transferred"
    call_id: UUID
    queue: str | None
    caller: Caller
    kind: Literal["blind", "attended", "conference"]
    # queue, operator or number, and which one.
    to: dict[str, str]
    transfer: TransferNote
    transferred_at: AwareDatetime


class CallbackRequested(WebhookPayload):
    event: Literal["callback.requested"] = "callback.requested"
    callback_id: int | None
    call_id: UUID | None
    queue: str | None
    caller: Caller
    requested_at: AwareDatetime
    due_at: AwareDatetime


# Builders take plain values, the way the routing shell holds them, so the shell never
# needs to know how the bodies nest.


def call_offered(
    *,
    call_id: UUID | str,
    queue: str | None,
    operator_id: str,
    operator_name: str,
    operator_endpoint: str,
    caller_number: str,
    caller_name: str = "",
    customer: Mapping[str, Any] | asyncpg.Record | None = None,
    script_url: str | None = None,
    offered_at: datetime,
    transfer: Mapping[str, Any] | None = None,
) -> CallOffered:
    """The screen pop. ``customer`` is a ``customers`` row (extra columns are ignored)."""
    return CallOffered.model_validate(
        {
            "call_id": call_id,
            "queue": queue,
            "operator": {"id": operator_id, "name": operator_name, "endpoint": operator_endpoint},
            "caller": {"number": caller_number, "name": caller_name},
            "customer": _card(customer),
            "script_url": script_url,
            "offered_at": offered_at,
            "transfer": transfer,
        }
    )


def call_transferred(
    *,
    call_id: UUID | str,
    queue: str | None,
    caller_number: str,
    caller_name: str = "",
    kind: str,
    to_kind: str,
    to: str,
    from_operator: str | None,
    reason: str | None,
    note: str | None,
    transferred_at: datetime,
) -> CallTransferred:
    return CallTransferred.model_validate(
        {
            "call_id": call_id,
            "queue": queue,
            "caller": {"number": caller_number, "name": caller_name},
            "kind": kind,
            "to": {to_kind: to},
            "transfer": {"from_operator": from_operator, "reason": reason, "note": note},
            "transferred_at": transferred_at,
        }
    )


def call_answered(
    *,
    call_id: UUID | str,
    queue: str | None,
    operator_id: str,
    operator_name: str,
    operator_endpoint: str,
    caller_number: str,
    caller_name: str = "",
    wait_s: float,
    answered_at: datetime,
) -> CallAnswered:
    return CallAnswered.model_validate(
        {
            "call_id": call_id,
            "queue": queue,
            "operator": {"id": operator_id, "name": operator_name, "endpoint": operator_endpoint},
            "caller": {"number": caller_number, "name": caller_name},
            "wait_s": wait_s,
            "answered_at": answered_at,
        }
    )


def call_ended(
    *,
    call_id: UUID | str,
    queue: str | None,
    caller_number: str,
    caller_name: str = "",
    outcome: Outcome,
    wait_s: float,
    talk_s: float = 0.0,
    operator_id: str | None = None,
    operator_name: str = "",
    operator_endpoint: str = "",
    hangup_cause: int | None = None,
    hangup_cause_txt: str | None = None,
    recording_name: str | None = None,
    recording_url: str | None = None,
    recording_duration_s: float | None = None,
    ended_at: datetime,
) -> CallEnded:
    """``operator`` is null unless ``operator_id`` is given; ``recording`` likewise."""
    operator = (
        None
        if operator_id is None
        else {"id": operator_id, "name": operator_name, "endpoint": operator_endpoint}
    )
    recording = (
        None
        if recording_name is None
        else {"name": recording_name, "url": recording_url, "duration_s": recording_duration_s}
    )
    return CallEnded.model_validate(
        {
            "call_id": call_id,
            "queue": queue,
            "operator": operator,
            "caller": {"number": caller_number, "name": caller_name},
            "outcome": outcome,
            "wait_s": wait_s,
            "talk_s": talk_s,
            "hangup_cause": hangup_cause,
            "hangup_cause_txt": hangup_cause_txt,
            "recording": recording,
            "ended_at": ended_at,
        }
    )


def callback_requested(
    *,
    callback_id: int | None,
    call_id: UUID | str | None,
    queue: str | None,
    phone: str,
    caller_name: str = "",
    requested_at: datetime,
    due_at: datetime,
) -> CallbackRequested:
    return CallbackRequested.model_validate(
        {
            "callback_id": callback_id,
            "call_id": call_id,
            "queue": queue,
            "caller": {"number": phone, "name": caller_name},
            "requested_at": requested_at,
            "due_at": due_at,
        }
    )


def _card(row: Mapping[str, Any] | asyncpg.Record | None) -> dict[str, Any] | None:
    if row is None:
        return None
    return {key: row.get(key) for key in ("name", "tier", "account", "notes")}
