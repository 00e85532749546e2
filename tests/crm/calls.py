"""Bodies for one call's life, built the way the routing shell builds them."""

from __future__ import annotations

import uuid
from datetime import timedelta

from callrouter.crm import (
    WebhookPayload,
    call_answered,
    call_ended,
    call_offered,
    callback_requested,
)
from tests.crm.conftest import T0

ORDER = ["call.offered", "call.answered", "call.ended", "callback.requested"]
CUSTOMER = {
    "id": 7,
    "phone": "+4930123456",
    "name": "ACME GmbH",
    "tier": "gold",
    "priority": 5,
    "account": "C-1042",
    "notes": "Prefers German; contract renewal due in March.",
}
OPERATOR = {"operator_id": "anna", "operator_name": "Anna Berg", "operator_endpoint": "PJSIP/101"}


def offered(call_id: uuid.UUID) -> WebhookPayload:
    return call_offered(
        call_id=call_id,
        queue="support",
        **OPERATOR,
        caller_number="+4930123456",
        caller_name="ACME GmbH",
        customer=CUSTOMER,
        script_url="https://crm.example.com/scripts/support",
        offered_at=T0,
    )


def answered(call_id: uuid.UUID) -> WebhookPayload:
    return call_answered(
        call_id=call_id,
        queue="support",
        **OPERATOR,
        caller_number="+4930123456",
        wait_s=12.5,
        answered_at=T0 + timedelta(seconds=4),
    )


def ended(call_id: uuid.UUID) -> WebhookPayload:
    return call_ended(
        call_id=call_id,
        queue="support",
        caller_number="+4930123456",
        outcome="answered",
        wait_s=12.5,
        talk_s=184.0,
        **OPERATOR,
        hangup_cause=16,
        hangup_cause_txt="Normal Clearing",
        recording_name=str(call_id),
        recording_url=f"https://pbx.example.com/recordings/{call_id}.wav",
        recording_duration_s=184.0,
        ended_at=T0 + timedelta(seconds=190),
    )


def callback(call_id: uuid.UUID) -> WebhookPayload:
    return callback_requested(
        callback_id=42,
        call_id=call_id,
        queue="support",
        phone="+4930123456",
        requested_at=T0 + timedelta(seconds=191),
        due_at=T0 + timedelta(minutes=30),
    )


def life(call_id: uuid.UUID) -> list[WebhookPayload]:
    return [offered(call_id), answered(call_id), ended(call_id), callback(call_id)]
