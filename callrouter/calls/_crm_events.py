"""What the CRM hears about a call, built from the shell's view of it.

The notifier queues and delivers (see ``callrouter.crm``); this only shapes the bodies,
so routing code calls one method per moment of a call and never awaits the CRM. Every
body is published with the call's tenant: the notifier sends it to that tenant's CRM,
or to the center's when the tenant has none of its own.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Protocol

from callrouter.acd import CallRecord, StoreCallback
from callrouter.calls._sessions import CallSession, session_tenant
from callrouter.calls._settings import ReadsSettings, SettingsHolder
from callrouter.config import DEFAULT_TENANT
from callrouter.crm import (
    WebhookPayload,
    call_answered,
    call_ended,
    call_offered,
    call_transferred,
    callback_requested,
)

__all__ = ["CrmEvents", "Publisher"]


class Publisher(Protocol):
    def publish(self, payload: WebhookPayload, *, tenant: str = DEFAULT_TENANT) -> None: ...


class CrmEvents(ReadsSettings):
    def __init__(self, *, publisher: Publisher | None, settings: SettingsHolder) -> None:
        self._publisher = publisher
        self._holder = settings

    @property
    def publishes(self) -> bool:
        """Whether anything is sent to a CRM at all (else a screen pop waits for nothing)."""
        return self._publisher is not None

    def _tenant(self, session: CallSession) -> str:
        return session_tenant(session, self._settings.tenant_of_queue)

    def _publish(self, tenant: str, payload: WebhookPayload) -> None:
        if self._publisher is not None:
            self._publisher.publish(payload, tenant=tenant)

    def _operator(self, operator_id: str | None) -> tuple[str, str]:
        op = self._settings.operators.get(operator_id or "")
        return (op.name, op.endpoint) if op else ("", "")

    def recording_url(self, call_id: str) -> str | None:
        http = self._settings.http
        if not http.enabled:
            return None
        return f"{http.base_url()}/api/v1/calls/{call_id}/recording"

    def offered(self, session: CallSession, operator_id: str, at: datetime) -> None:
        if self._publisher is None:
            return
        name, endpoint = self._operator(operator_id)
        queue = self._settings.queues.get(session.queue)
        self._publish(
            self._tenant(session),
            call_offered(
                call_id=session.call_id,
                queue=session.queue or None,
                operator_id=operator_id,
                operator_name=name,
                operator_endpoint=endpoint,
                caller_number=session.caller_number,
                caller_name=session.caller_name,
                customer=session.customer_card,
                script_url=queue.script_url if queue else None,
                offered_at=at,
                transfer=session.transfer_note,
            ),
        )

    def transferred(
        self, session: CallSession, *, kind: str, to_kind: str, to: str, at: datetime
    ) -> None:
        """``call.transferred``: who handed the call on, why, and to whom."""
        if self._publisher is None:
            return
        note = session.transfer_note or {}
        self._publish(
            self._tenant(session),
            call_transferred(
                call_id=session.call_id, queue=session.queue or None,
                caller_number=session.caller_number, caller_name=session.caller_name,
                kind=kind, to_kind=to_kind, to=to,
                from_operator=_text(note.get("from_operator")),
                reason=_text(note.get("reason")), note=_text(note.get("note")),
                transferred_at=at,
            ),
        )  # fmt: skip

    def answered(self, session: CallSession, operator_id: str, at: datetime) -> None:
        if self._publisher is None:
            return
        name, endpoint = self._operator(operator_id)
        self._publish(
            self._tenant(session),
            call_answered(
                call_id=session.call_id,
                queue=session.queue or None,
                operator_id=operator_id,
                operator_name=name,
                operator_endpoint=endpoint,
                caller_number=session.caller_number,
                caller_name=session.caller_name,
                wait_s=max(0.0, (at - session.created_at).total_seconds()),
                answered_at=at,
            ),
        )

    def ended(self, record: CallRecord, session: CallSession) -> None:
        if self._publisher is None or record.outcome is None or record.ended_at is None:
            return
        name, endpoint = self._operator(record.operator_id)
        recording = session.recording_name
        ended: dict[str, Any] = {
            "call_id": record.call_id,
            "queue": record.queue,
            "caller_number": session.caller_number,
            "caller_name": session.caller_name,
            "outcome": record.outcome,
            "wait_s": record.wait_s,
            "talk_s": record.talk_s or 0.0,
            "operator_id": record.operator_id,
            "operator_name": name,
            "operator_endpoint": endpoint,
            "hangup_cause": session.hangup_cause,
            "recording_name": recording,
            "recording_url": self.recording_url(record.call_id) if recording else None,
            "ended_at": record.ended_at,
        }
        if recording is not None:
            ended["recording_duration_s"] = _recorded_s(session, record.ended_at)
        # Published at once, never held back: a webhook waiting in memory is one a kill
        # would lose. (Asterisk's own figure lands in recordings.duration_s afterwards.)
        self._publish(self._tenant(session), call_ended(**ended))

    def ended_outbound(
        self,
        session: CallSession,
        *,
        outcome: str,
        operator_id: str,
        talk_s: float,
        hangup_cause: int | None,
        ended_at: datetime,
    ) -> None:
        """A click-to-call (the operator dialled the customer) ended."""
        if self._publisher is None:
            return
        name, endpoint = self._operator(operator_id)
        recording = session.recording_name
        self._publish(
            self._tenant(session),
            call_ended(
                call_id=session.call_id, queue=session.queue or None,
                caller_number=session.caller_number, caller_name=session.caller_name,
                outcome=outcome, wait_s=0.0, talk_s=talk_s,  # type: ignore[arg-type]
                operator_id=operator_id, operator_name=name, operator_endpoint=endpoint,
                hangup_cause=hangup_cause, recording_name=recording,
                recording_url=self.recording_url(session.call_id) if recording else None,
                recording_duration_s=_recorded_s(session, ended_at) if recording else None,
                ended_at=ended_at,
            ),
        )  # fmt: skip

    def swept(self, row: Mapping[str, Any]) -> None:
        """A call closed by the restart sweep (its end came while callrouter was away)."""
        if self._publisher is None:
            return
        name, endpoint = self._operator(row["operator_id"])
        self._publish(
            row.get("tenant") or DEFAULT_TENANT,
            call_ended(
                call_id=row["id"], queue=row["queue_name"], caller_number=row["caller_number"],
                caller_name=row["caller_name"], outcome=row["outcome"],
                wait_s=float(row["wait_s"] or 0), talk_s=float(row["talk_s"] or 0),
                operator_id=row["operator_id"], operator_name=name, operator_endpoint=endpoint,
                hangup_cause=row["hangup_cause"], hangup_cause_txt=row["hangup_cause_txt"],
                ended_at=row["ended_at"],
            ),
        )  # fmt: skip

    def callback(self, cmd: StoreCallback, session: CallSession | None, at: datetime) -> None:
        if self._publisher is None:
            return
        self._publish(
            self._tenant(session) if session else self._settings.tenant_of_queue(cmd.queue or ""),
            callback_requested(
                callback_id=None,
                call_id=cmd.call_id,
                queue=cmd.queue,
                phone=cmd.caller_number,
                caller_name=session.caller_name if session else "",
                requested_at=at,
                due_at=at,
            ),
        )


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def _recorded_s(session: CallSession, ended_at: datetime) -> float | None:
    """Seconds recorded, by callrouter's clock: from the start to the call's end, less
    the time it was paused."""
    started = session.recording_started_at
    if started is None:
        return None
    paused = session.recording_paused_s
    if session.recording_paused_at is not None:
        paused += (ended_at - session.recording_paused_at).total_seconds()
    return round(max(0.0, (ended_at - started).total_seconds() - paused), 3)
