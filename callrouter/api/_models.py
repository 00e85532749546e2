"""Request and response shapes: one pydantic model per thing that crosses the wire.

The same classes validate input, serialise output and feed the OpenAPI generator, so
the document cannot drift from what the server does. Inputs forbid unknown fields:
a typo in ``caller_idd`` must be an error, not a silently ignored option.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    JsonValue,
    RootModel,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

__all__ = [
    "AttemptPath",
    "CallAccepted",
    "CallDetailOut",
    "CallEventOut",
    "CallIdentPath",
    "CallList",
    "CallPath",
    "CallRow",
    "CallSummary",
    "CallbackList",
    "CallbackOut",
    "CallbacksQuery",
    "CallsQuery",
    "ClickToCallIn",
    "DispositionIn",
    "DispositionOut",
    "ErrorBody",
    "ErrorDetail",
    "FieldProblem",
    "HealthOut",
    "OpenApiDocument",
    "OperatorActionOut",
    "OperatorList",
    "OperatorOut",
    "OperatorPath",
    "PauseIn",
    "QueueStatusOut",
    "RecordingActionOut",
    "RecordingOut",
]

Name = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")]
Outcome = Literal[
    "answered", "abandoned", "overflowed", "callback", "closed", "failed", "busy",
    "no_answer", "machine", "congestion", "unreachable", "transferred", "lost",
]  # fmt: skip
CallbackStatus = Literal["pending", "dialing", "done", "failed", "cancelled"]
MAX_LIST_LIMIT = 500


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Out(BaseModel):
    # Rows may grow columns before this API learns them; they are left out, not errors.
    model_config = ConfigDict(extra="ignore", frozen=True)


# --- errors -----------------------------------------------------------------------


class FieldProblem(_Out):
    path: str = Field(description="Where: body.number, query.limit, path.operator_id")
    message: str


class ErrorDetail(_Out):
    id: str = Field(description="Stable slug: not-found, conflict, invalid-input, ...")
    message: str
    fields: list[FieldProblem] | None = None


class ErrorBody(_Out):
    error: ErrorDetail


# --- path and query parameters -----------------------------------------------------


class OperatorPath(_In):
    operator_id: Name


class CallIdentPath(_In):
    # store.calls.get_call matches prefixes with LIKE: % and _ would be wildcards there,
    # so "%" would find any call. No call id or channel id we mint contains them.
    call_id: Annotated[str, StringConstraints(pattern=r"^[^%_\\]{1,128}$")] = Field(
        description="A call id, an unambiguous prefix of it, or its Asterisk channel id"
    )


class CallPath(_In):
    call_id: uuid.UUID


class AttemptPath(_In):
    attempt_id: int = Field(ge=1)


class CallsQuery(_In):
    limit: int = Field(50, ge=1, le=MAX_LIST_LIMIT)
    queue: Name | None = None
    outcome: Outcome | None = None


class CallbacksQuery(_In):
    status: CallbackStatus = "pending"
    queue: Name | None = None
    limit: int = Field(100, ge=1, le=MAX_LIST_LIMIT)


# --- request bodies ----------------------------------------------------------------


class PauseIn(_In):
    reason: Annotated[str, StringConstraints(strip_whitespace=True, max_length=64)] | None = None


class ClickToCallIn(_In):
    operator_id: Name
    campaign_id: int | None = Field(None, ge=1)
    lead_id: int | None = Field(None, ge=1)
    number: (
        Annotated[
            str,
            StringConstraints(strip_whitespace=True, pattern=r"^\+?[0-9*#][0-9*# ().-]{0,39}$"),
        ]
        | None
    ) = Field(
        None,
        validate_default=True,
        description="The customer's number as typed (the service normalises it); may be"
        " left out with lead_id: the lead's own number is dialled",
    )
    caller_id: Annotated[str, StringConstraints(max_length=80)] | None = None

    @field_validator("number")
    @classmethod
    def _number_or_lead(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None and info.data.get("lead_id") is None:
            raise ValueError("give the number to dial, or lead_id for a preview lead")
        return value


class DispositionIn(_In):
    disposition: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)
    ]
    note: Annotated[str, StringConstraints(max_length=2000)] | None = None
    # For a disposition whose effect is a callback: when to call back.
    callback_at: AwareDatetime | None = None


# --- responses ---------------------------------------------------------------------


class AriHealth(_Out):
    connected: bool
    reconnects: int
    last_event_at: datetime | None


class HealthOut(_Out):
    status: Literal["ok", "degraded"]
    ari: AriHealth
    database: Literal["ok", "error"]
    version: str


class OperatorOut(_Out):
    id: str
    name: str
    endpoint: str
    state: str
    state_reason: str | None
    state_since: datetime
    queues: dict[str, int] = Field(description="Queue name to penalty")


class OperatorList(_Out):
    operators: list[OperatorOut]


class OperatorActionOut(_Out):
    operator_id: str
    action: Literal["login", "logout", "pause", "unpause"]
    result: str


class CallAccepted(_Out):
    call_id: str
    call_url: str


class CallSummary(_Out):
    id: uuid.UUID
    direction: Literal["inbound", "outbound"]
    caller_number: str
    caller_name: str
    called_number: str
    queue_name: str | None
    operator_id: str | None
    created_at: datetime
    answered_at: datetime | None
    ended_at: datetime | None
    wait_s: float | None
    talk_s: float | None
    outcome: Outcome | None = Field(description="null while the call is live")
    hangup_cause: int | None


class CallList(_Out):
    calls: list[CallSummary]


class CallRow(CallSummary):
    channel_id: str | None
    node: str | None
    customer_id: int | None
    campaign_id: int | None
    lead_id: int | None
    priority: int
    queued_at: datetime | None
    offered_at: datetime | None
    hangup_cause_txt: str | None
    recording_error: str | None


class CallEventOut(_Out):
    at: datetime
    event: str
    queue_name: str | None
    operator_id: str | None
    # An object in every row callrouter writes; typed loosely so one odd row cannot
    # make a whole call unreadable.
    data: JsonValue


class RecordingOut(_Out):
    name: str
    format: str
    state: str
    started_at: datetime
    ended_at: datetime | None
    duration_s: float | None
    size_bytes: int | None
    error: str | None
    recording_url: str | None = Field(description="Where to fetch the audio; null once gone")


class CallDetailOut(_Out):
    call: CallRow
    events: list[CallEventOut]
    recordings: list[RecordingOut]


class ScheduleCallbackIn(_In):
    phone: Annotated[
        str, StringConstraints(strip_whitespace=True, pattern=r"^\+?[0-9][0-9 ().-]{0,39}$")
    ]
    queue: Name
    due_at: datetime = Field(description="When to call back (ISO 8601 with a time zone)")
    name: Annotated[str, StringConstraints(max_length=80)] = ""
    note: Annotated[str, StringConstraints(max_length=500)] | None = None
    operator_id: Name | None = Field(
        None, description="Reserve the callback for this operator (their phone rings first)"
    )

    @field_validator("due_at")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("due_at needs a time zone (e.g. 2026-11-24T09:00:00+01:00)")
        return value


class CallbackScheduled(_Out):
    id: int
    callbacks_url: str


class CampaignPath(_In):
    campaign: Name


class NextLeadIn(_In):
    operator_id: Name


class LeadOut(_Out):
    lead_id: int
    campaign_id: int
    campaign: str
    phone: str
    name: str
    timezone: str
    script_url: str | None = None


class TransferIn(_In):
    queue: Name


class TransferOut(_Out):
    call_id: str
    queue: str


class RecordingActionOut(_Out):
    call_id: str
    recording: Literal["started", "paused", "resumed"]


class QueueStatusOut(RootModel[dict[str, Any]]):
    """Live figures per queue, as the routing service reports them."""


class CallbackOut(_Out):
    id: int
    call_id: uuid.UUID | None
    queue_name: str | None
    phone: str
    caller_name: str
    queued_at: datetime
    requested_at: datetime
    due_at: datetime
    operator_id: str | None
    campaign_id: int | None
    status: CallbackStatus
    attempts: int
    note: str | None


class CallbackList(_Out):
    callbacks: list[CallbackOut]


class DispositionOut(_Out):
    attempt_id: int
    campaign_id: int
    lead_id: int
    call_id: uuid.UUID | None
    disposition: str


class OpenApiDocument(RootModel[dict[str, Any]]):
    """This document."""
