"""Everything the routing path writes: call rows, the event log, operator states.

One place turns the core's record commands into rows for the writer (which batches and
retries them), into CRM notifications and into the per-call log lines (``_call_log``), so
no handler writes SQL, or logs a call's steps, of its own.
"""

from __future__ import annotations

import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

from callrouter.acd import CallRecord, OperatorStateChanged
from callrouter.calls._call_log import CallLog
from callrouter.calls._crm_events import CrmEvents
from callrouter.calls._sessions import CallSession, session_tenant
from callrouter.config import DEFAULT_TENANT
from callrouter.store.records import (
    CallEventRow,
    CallInsert,
    CallUpdate,
    OperatorStateRow,
    RecordingInsert,
    RecordingUpdate,
)
from callrouter.store.writer import RecordWriter

__all__ = ["CallJournal"]

# Q.850 16: what Asterisk reports for a channel hung up without a reason.
_NORMAL_CLEARING = 16
# Finished calls kept waiting for their ChannelDestroyed (a channel that never gets one,
# having entered from the dialplan unsubscribed, must not be kept for ever).
_AWAITING_CAUSE_MAX = 10_000

# queue_log verb for a call's last line, by outcome and the core's reason.
_LEAVE_EVENTS = {
    "max_wait": "EXITWITHTIMEOUT",
    "no_operators": "EXITEMPTY",
    "full": "FULL",
}


class CallJournal:
    def __init__(
        self, *, writer: RecordWriter, node: str, crm: CrmEvents,
        on_final: Callable[[CallRecord], None] = lambda record: None,
        tenant_of: Callable[[str], str] = lambda queue: DEFAULT_TENANT,
    ) -> None:  # fmt: skip
        self._on_final = on_final  # metrics: every call's final record
        # A queue's tenant: a lookup in the settings, once per call (tenant() below).
        self._tenant_of = tenant_of
        self._writer = writer
        self._node = node
        self.crm = crm
        # Finished calls whose caller channel Asterisk has not destroyed yet: its
        # ChannelDestroyed brings the hangup cause after the row got its outcome.
        self._awaiting_cause: OrderedDict[str, uuid.UUID] = OrderedDict()
        # Caller channels of calls already finished, whose hangup may still be under way:
        # a resync meanwhile must not adopt them as new calls.
        self._finished_channels: OrderedDict[str, None] = OrderedDict()
        self._call_log = CallLog()

    def tenant(self, session: CallSession) -> str:
        """The call's tenant, from its queue when first asked, then kept on the session."""
        return session_tenant(session, self._tenant_of)

    def call_created(self, session: CallSession, *, direction: str = "inbound") -> None:
        self._call_log.arrived(session, direction)
        self._writer.put(
            CallInsert(
                call_id=session.call_uuid,
                direction=direction,
                created_at=session.created_at,
                channel_id=session.caller_channel_id,
                node=self._node,
                caller_number=session.caller_number,
                caller_name=session.caller_name,
                called_number=session.called_number,
                queue_name=session.queue or None,
                priority=session.priority,
                tenant=self.tenant(session),
            )
        )

    def event(
        self,
        session: CallSession,
        at: datetime,
        event: str,
        *,
        operator_id: str | None = None,
        queue: str | None = None,
        **data: Any,
    ) -> None:
        self._call_log.event(session, event, queue, operator_id, data)
        self._writer.put(
            CallEventRow(
                call_id=session.call_uuid,
                at=at,
                event=event,
                queue_name=queue or session.queue or None,
                operator_id=operator_id,
                data=data,
                tenant=self.tenant(session),
            )
        )

    def call_update(self, session: CallSession, **values: Any) -> None:
        self._call_log.updated(session, values)
        self._writer.put(CallUpdate(session.call_uuid, values))

    def call_record(self, record: CallRecord, session: CallSession | None) -> None:
        if record.outcome == "answered" and session is not None and not session.bridged:
            # The operator picked up, but a side hung up before the bridge was made: the
            # caller never talked to anyone. Logged as the abandon it was for them.
            record = replace(record, outcome="abandoned", talk_s=None, answered_at=None)
        values: dict[str, Any] = {
            "queue_name": record.queue,
            "priority": record.priority,
            "queued_at": record.queued_at,
            "offered_at": record.offered_at,
            "answered_at": record.answered_at,
            "wait_s": round(record.wait_s, 3),
            "operator_id": record.operator_id,
        }
        if record.talk_s is not None:
            values["talk_s"] = round(record.talk_s, 3)
        call_id = uuid.UUID(record.call_id)
        if record.outcome is not None:
            if session is not None:
                self._finished_channels[session.caller_channel_id] = None
                while len(self._finished_channels) > _AWAITING_CAUSE_MAX:
                    self._finished_channels.popitem(last=False)
            values["outcome"] = record.outcome
            values["ended_at"] = record.ended_at
            cause = _known_cause(session)
            if cause is not None:
                values["hangup_cause"] = cause
            elif session is not None:
                self._await_cause(session.caller_channel_id, call_id)
        self._call_log.record(record, values.get("hangup_cause"))
        self._writer.put(CallUpdate(call_id, values))
        tenant = self.tenant(session) if session is not None else self._tenant_of(record.queue)
        if record.outcome is not None and record.ended_at is not None:
            self._final_event(record, call_id, session, tenant)
        elif record.reason in _TRANSFER_REASONS:
            self._transfer_event(record, call_id, tenant)

    def _await_cause(self, channel_id: str, call_id: uuid.UUID) -> None:
        self._awaiting_cause[channel_id] = call_id
        while len(self._awaiting_cause) > _AWAITING_CAUSE_MAX:
            self._awaiting_cause.popitem(last=False)

    def finished_channel_ids(self) -> set[str]:
        return set(self._finished_channels)

    def late_hangup_cause(self, channel_id: str, cause: int) -> None:
        """Asterisk destroyed a finished call's caller channel: record its cause."""
        call_id = self._awaiting_cause.pop(channel_id, None)
        if call_id is not None:
            self._call_log.late_cause(str(call_id), cause)
            self._writer.put(CallUpdate(call_id, {"hangup_cause": cause}))

    def _final_event(
        self, record: CallRecord, call_id: uuid.UUID, session: CallSession | None, tenant: str
    ) -> None:
        self._on_final(record)
        data: dict[str, Any]
        wait = round(record.wait_s)
        places = {"position": record.position, "origposition": record.origposition}
        if record.outcome == "answered":
            ended_by = session.ended_by if session else None
            verb = "COMPLETEAGENT" if ended_by == "operator" else "COMPLETECALLER"
            data = {
                "holdtime": wait,
                "calltime": round(record.talk_s or 0),
                "origposition": record.origposition,
            }
        elif record.outcome == "abandoned":
            verb, data = "ABANDON", {**places, "waittime": wait}
        elif record.outcome == "overflowed":
            verb, data = "OVERFLOW", {"target": record.reason}
        elif record.outcome == "callback":
            if session is not None and session.exit_key is not None:
                self._queue_log(record, call_id, tenant, "EXITWITHKEY",
                                {"key": session.exit_key, **places, "waittime": wait})  # fmt: skip
            verb, data = "CALLBACK", {"position": record.position, "waittime": wait}
        elif record.outcome == "closed":
            verb, data = "CLOSED", {}
        elif record.outcome == "transferred":
            self._transfer_event(record, call_id, tenant)
            if session is not None:
                self.crm.ended(record, session)
            return
        else:
            verb = _LEAVE_EVENTS.get(record.reason, "EXITWITHTIMEOUT")
            data = {**places, "waittime": wait}
        self._queue_log(record, call_id, tenant, verb, data)
        if session is not None:
            self.crm.ended(record, session)

    def _transfer_event(self, record: CallRecord, call_id: uuid.UUID, tenant: str) -> None:
        """A call handed on, in the queue it leaves: app_queue's BLINDTRANSFER (the
        target as extension@context: a queue, ``operator`` or ``callrouter-transfer``
        for a number) or ATTENDEDTRANSFER (BRIDGE: the caller's bridge was kept)."""
        at = record.at or record.queued_at
        talk = round((at - record.answered_at).total_seconds()) if record.answered_at else 0
        times = {"holdtime": round(record.wait_s), "calltime": talk,
                 "origposition": record.origposition}  # fmt: skip
        if record.reason == "attended-transfer":
            target = {"method": "BRIDGE", "method_data": f"cr-{record.call_id}"}
            self._queue_log(record, call_id, tenant, "ATTENDEDTRANSFER", {**target, **times})
            return
        extension, context = _transfer_target(record.transferred_to or "")
        self._queue_log(
            record, call_id, tenant, "BLINDTRANSFER",
            {"extension": extension, "context": context, **times},
        )  # fmt: skip

    def _queue_log(
        self, record: CallRecord, call_id: uuid.UUID, tenant: str, verb: str,
        data: dict[str, Any],
    ) -> None:  # fmt: skip
        self._writer.put(
            CallEventRow(
                call_id,
                record.ended_at or record.at or record.queued_at,
                verb,
                record.queue,
                record.operator_id,
                data,
                tenant,
            )
        )

    def operator_state(self, change: OperatorStateChanged) -> None:
        self._call_log.offered(change)
        self._writer.put(
            OperatorStateRow(
                operator_id=change.operator_id,
                old_state=change.old.value,
                state=change.new.value,
                reason=change.reason or None,
                at=change.at,
            )
        )

    def recording_started(self, session: CallSession, name: str, fmt: str, at: datetime) -> None:
        session.recording_started_at = at
        self._call_log.recording_started(session, name)
        self._writer.put(RecordingInsert(session.call_uuid, name, fmt, at, self.tenant(session)))
        self.event(session, at, "RECORDING", operator_id=session.operator_id, name=name)

    def recording_changed(self, name: str, state: str, **values: Any) -> None:
        self._writer.put(RecordingUpdate(name=name, state=state, **values))


_TRANSFER_REASONS = frozenset({"transfer", "attended-transfer"})


def _transfer_target(to: str) -> tuple[str, str]:
    """A transfer target as queue_log's extension and context."""
    kind, _, rest = to.partition(":")
    if kind == "operator":
        return rest, "operator"
    if to.startswith("+") or to.isdigit():
        return to, "callrouter-transfer"
    return to, "callrouter"


def _known_cause(session: CallSession | None) -> int | None:
    if session is None:
        return None
    if session.hangup_cause is not None:
        return session.hangup_cause
    if session.ended_by == "operator":
        # The operator hung up; callrouter hangs the caller up with no reason, which
        # Asterisk reports as 16 Normal Clearing (ari-captures/sip: DELETE, no params).
        return _NORMAL_CLEARING
    return None
