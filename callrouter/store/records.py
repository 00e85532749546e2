"""The rows callrouter writes, as plain values the routing shell queues for the writer."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from callrouter.config import DEFAULT_TENANT

__all__ = [
    "CALL_COLUMNS",
    "CallEventRow",
    "CallInsert",
    "CallUpdate",
    "CallbackInsert",
    "OperatorStateRow",
    "Record",
    "RecordingInsert",
    "RecordingUpdate",
]

# Columns a CallUpdate may set: anything else is a programming error, caught before SQL
# is built from the name.
CALL_COLUMNS = frozenset(
    {
        "channel_id",
        "caller_number",
        "caller_name",
        "called_number",
        "queue_name",
        "operator_id",
        "customer_id",
        "campaign_id",
        "lead_id",
        "priority",
        "queued_at",
        "offered_at",
        "answered_at",
        "ended_at",
        "wait_s",
        "talk_s",
        "outcome",
        "hangup_cause",
        "hangup_cause_txt",
        "recording_error",
    }
)


@dataclass(frozen=True, slots=True)
class CallInsert:
    call_id: uuid.UUID
    direction: str
    created_at: datetime
    channel_id: str | None = None
    node: str | None = None
    caller_number: str = ""
    caller_name: str = ""
    called_number: str = ""
    queue_name: str | None = None
    priority: int = 0
    # The client company the call belongs to: its queue's tenant (config/_tenants.py).
    tenant: str = DEFAULT_TENANT


@dataclass(frozen=True, slots=True)
class CallUpdate:
    call_id: uuid.UUID
    values: dict[str, Any]

    def __post_init__(self) -> None:
        unknown = set(self.values) - CALL_COLUMNS
        if unknown:
            raise ValueError(f"not a calls column: {sorted(unknown)}")


@dataclass(frozen=True, slots=True)
class CallEventRow:
    call_id: uuid.UUID
    at: datetime
    event: str
    queue_name: str | None = None
    operator_id: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    tenant: str = DEFAULT_TENANT


@dataclass(frozen=True, slots=True)
class OperatorStateRow:
    operator_id: str
    old_state: str | None
    state: str
    reason: str | None
    at: datetime


@dataclass(frozen=True, slots=True)
class RecordingInsert:
    call_id: uuid.UUID
    name: str
    format: str
    started_at: datetime
    tenant: str = DEFAULT_TENANT


@dataclass(frozen=True, slots=True)
class RecordingUpdate:
    name: str
    state: str
    ended_at: datetime | None = None
    duration_s: float | None = None
    size_bytes: int | None = None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class CallbackInsert:
    call_id: uuid.UUID
    queue_name: str
    phone: str
    caller_name: str
    queued_at: datetime
    requested_at: datetime
    due_at: datetime


Record = (
    CallInsert
    | CallUpdate
    | CallEventRow
    | OperatorStateRow
    | RecordingInsert
    | RecordingUpdate
    | CallbackInsert
)
