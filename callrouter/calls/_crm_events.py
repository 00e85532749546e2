"""What the CRM hears about a call, built from the shell's view of it.

The notifier queues and delivers (see ``callrouter.crm``); this only shapes the bodies,
so routing code calls one method per moment of a call and never awaits the CRM.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Protocol

from callrouter.acd import CallRecord, StoreCallback
from callrouter.calls._sessions import CallSession
from callrouter.calls._settings import ReadsSettings, SettingsHolder
from callrouter.crm import (
    WebhookPayload,
    call_answered,
    call_ended,
    call_offered,
    callback_requested,
)

__all__ = ["RECORDING_WAIT_S", "CrmEvents", "Publisher"]

# How long call.ended waits for its recording's duration before it goes without it.
# Asterisk finishes a bridge recording milliseconds after the bridge empties; the wait is
# short because a call.ended held here is lost if the process is killed meanwhile.
RECORDING_WAIT_S = 3.0
_DURATIONS_KEPT = 1_000


class Publisher(Protocol):
    def publish(self, payload: WebhookPayload) -> None: ...


class CrmEvents(ReadsSettings):
    """``call.ended`` of a recorded call waits for Asterisk's RecordingFinished (at most
    ``RECORDING_WAIT_S``, and never past shutdown), so the CRM gets the recording's real
    duration with it."""

    def __init__(
        self,
        *,
        publisher: Publisher | None,
        settings: SettingsHolder,
        recording_wait_s: float = RECORDING_WAIT_S,
    ) -> None:
        self._publisher = publisher
        self._holder = settings
        self._recording_wait_s = recording_wait_s
        # Recording name -> the call.ended waiting for its duration, and its deadline.
        self._waiting: dict[str, tuple[dict[str, Any], asyncio.TimerHandle]] = {}
        # Durations of recordings that finished before their call's row did.
        self._durations: OrderedDict[str, float | None] = OrderedDict()

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
        self._publisher.publish(
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
            )
        )

    def answered(self, session: CallSession, operator_id: str, at: datetime) -> None:
        if self._publisher is None:
            return
        name, endpoint = self._operator(operator_id)
        self._publisher.publish(
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
            )
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
        if recording is None:
            self._publisher.publish(call_ended(**ended))
        elif recording in self._durations:
            ended["recording_duration_s"] = self._durations.pop(recording)
            self._publisher.publish(call_ended(**ended))
        else:
            deadline = asyncio.get_running_loop().call_later(
                self._recording_wait_s, self.recording_finished, recording, None
            )
            self._waiting[recording] = (ended, deadline)

    def swept(self, row: Mapping[str, Any]) -> None:
        """A call closed by the restart sweep (its end came while callrouter was away)."""
        if self._publisher is None:
            return
        name, endpoint = self._operator(row["operator_id"])
        self._publisher.publish(
            call_ended(
                call_id=row["id"], queue=row["queue_name"], caller_number=row["caller_number"],
                caller_name=row["caller_name"], outcome=row["outcome"],
                wait_s=float(row["wait_s"] or 0), talk_s=float(row["talk_s"] or 0),
                operator_id=row["operator_id"], operator_name=name, operator_endpoint=endpoint,
                hangup_cause=row["hangup_cause"], hangup_cause_txt=row["hangup_cause_txt"],
                ended_at=row["ended_at"],
            )
        )  # fmt: skip

    def flush(self) -> None:
        """At shutdown: send every call.ended still waiting, without its duration."""
        for name in list(self._waiting):
            self.recording_finished(name, None)

    def recording_finished(self, name: str, duration_s: float | None) -> None:
        """Asterisk finished (or failed, or never said) the recording ``name``."""
        waiting = self._waiting.pop(name, None)
        if waiting is None:
            self._durations[name] = duration_s
            while len(self._durations) > _DURATIONS_KEPT:
                self._durations.popitem(last=False)
            return
        ended, deadline = waiting
        deadline.cancel()
        if self._publisher is not None:
            self._publisher.publish(call_ended(**ended, recording_duration_s=duration_s))

    def callback(self, cmd: StoreCallback, session: CallSession | None, at: datetime) -> None:
        if self._publisher is None:
            return
        self._publisher.publish(
            callback_requested(
                callback_id=None,
                call_id=cmd.call_id,
                queue=cmd.queue,
                phone=cmd.caller_number,
                caller_name=session.caller_name if session else "",
                requested_at=at,
                due_at=at,
            )
        )
