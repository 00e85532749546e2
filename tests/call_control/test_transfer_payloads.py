"""The CRM bodies of a transfer: call.transferred, and the note in the next screen pop."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from callrouter.crm import EVENTS, call_offered, call_transferred

AT = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)
NOTE = {"from_operator": "anna", "reason": "billing", "note": "refund asked"}


def test_call_transferred_says_who_why_and_to_whom() -> None:
    body = call_transferred(
        call_id=uuid.uuid4(), queue="support", caller_number="+4930111", kind="blind",
        to_kind="queue", to="specialists", from_operator="anna", reason="billing",
        note="refund asked", transferred_at=AT,
    ).to_json()  # fmt: skip
    assert body["event"] == "call.transferred" and EVENTS["call.transferred"] == "transferred"
    assert body["to"] == {"queue": "specialists"} and body["transfer"] == NOTE


def test_the_screen_pop_of_a_transferred_call_carries_the_note() -> None:
    common = {
        "call_id": uuid.uuid4(), "queue": "support", "operator_id": "boris",
        "operator_name": "Boris", "operator_endpoint": "PJSIP/102",
        "caller_number": "+4930111", "offered_at": AT,
    }  # fmt: skip
    assert call_offered(**common, transfer=NOTE).to_json()["transfer"] == NOTE  # type: ignore[arg-type]
    assert "transfer" not in call_offered(**common).to_json()  # type: ignore[arg-type]
