"""One ``info`` line per step of a call, so a sysadmin can follow it with grep.

The journal (``calls/_journal.py``) sees every step the routing path records, so it
calls here, and nothing on the hot path logs a call's steps itself. Every line carries
``call_id``, and all but the late ``call_hangup_cause`` carry ``queue`` and ``operator``
too (empty when there is none yet)::

    call_arrived           direction, caller, called (the DID)
    call_offered           the operator whose phone rings
    call_queued            position on joining; logged once the caller hears the hold
                           music, so after call_offered when an operator was free at once
                           (callrouter rings before it starts the music)
    call_ring_no_answer    cause: Asterisk's hangup cause when the phone refused (busy,
                           unreachable); none when the ring timed out
    call_ring_cancelled    a phone still ringing when the call ended (the caller hung up)
    call_answered          wait_s: the operator picked up
    call_bridged           caller and operator are talking
    call_recording_started recording: its name
    call_transferred       to: the queue, operator or number it went to
    call_overflowed        target
    call_ended             outcome, reason, wait_s, talk_s, cause (the caller's hangup
                           cause; "pending" until Asterisk reports it)
    call_hangup_cause      cause, when Asterisk reports it after call_ended

Cheap by construction: one log call per step, and nothing at all is built when the
``info`` level is off. The only state is which queue a live call is in, so the offer
line (which comes from the operator's side) can name it.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

import structlog

from callrouter.acd import CallRecord, OperatorState, OperatorStateChanged
from callrouter.calls._sessions import CallSession

__all__ = ["CallLog"]

log = structlog.get_logger("callrouter.calls")

# Live calls whose queue is remembered for their offer lines; a call that never logs
# its end (a crash) must not be kept for ever.
_QUEUES_MAX = 10_000
# Event-log verbs that are a step of their own (the others are logged from the core's
# records, or are the same step seen twice).
_STEPS = {
    "ENTERQUEUE": "call_queued",
    "RINGNOANSWER": "call_ring_no_answer",
    "CONNECT": "call_bridged",
    "OVERFLOW": "call_overflowed",
}
_TRANSFERS = frozenset({"transfer", "attended-transfer"})


def _enabled() -> bool:
    return bool(log.is_enabled_for(logging.INFO))


class CallLog:
    def __init__(self) -> None:
        self._queues: OrderedDict[str, str] = OrderedDict()

    def arrived(self, session: CallSession, direction: str) -> None:
        if _enabled():
            if session.queue:
                self._remember(session.call_id, session.queue)
            log.info("call_arrived", call_id=session.call_id, queue=session.queue,
                     operator="", direction=direction, caller=session.caller_number,
                     called=session.called_number)  # fmt: skip

    def event(
        self, session: CallSession, verb: str, queue: str | None, operator: str | None,
        data: Mapping[str, Any],
    ) -> None:  # fmt: skip
        step = _STEPS.get(verb)
        if step is None or not _enabled():
            return
        queue = queue or session.queue
        details: dict[str, Any] = {}
        if verb == "ENTERQUEUE":
            self._remember(session.call_id, queue)
            details["position"] = data.get("position")
        elif verb == "RINGNOANSWER":
            if session.call_id not in self._queues:
                step = "call_ring_cancelled"  # the call has ended: its rings are stopped
            if data.get("cause") is not None:
                details["cause"] = data["cause"]
        elif verb == "OVERFLOW":
            details["target"] = data.get("target")
        log.info(step, call_id=session.call_id, queue=queue,
                 operator=operator or session.operator_id or "", **details)  # fmt: skip

    def offered(self, change: OperatorStateChanged) -> None:
        if change.new is not OperatorState.OFFERED or change.call_id is None or not _enabled():
            return
        queue = self._queues.get(change.call_id, "")
        log.info("call_offered", call_id=change.call_id, queue=queue, operator=change.operator_id)

    def record(self, record: CallRecord, cause: int | None) -> None:
        """The core's record of a call: answered, transferred, or its end."""
        if not _enabled():
            return
        who = {"call_id": record.call_id, "queue": record.queue,
               "operator": record.operator_id or ""}  # fmt: skip
        if record.outcome is not None:
            self._queues.pop(record.call_id, None)
            log.info("call_ended", **who, outcome=record.outcome, reason=record.reason,
                     wait_s=round(record.wait_s, 1),
                     talk_s=None if record.talk_s is None else round(record.talk_s, 1),
                     cause="pending" if cause is None else cause)  # fmt: skip
        elif record.reason in _TRANSFERS:
            to = record.transferred_to or ""
            if to and not to.startswith(("operator:", "+")) and not to.isdigit():
                self._remember(record.call_id, to)  # a queue: its offers come next
            log.info("call_transferred", **who, to=to, how=record.reason)
        elif record.answered_at is not None:
            self._remember(record.call_id, record.queue)
            log.info("call_answered", **who, wait_s=round(record.wait_s, 1))

    def updated(self, session: CallSession, values: Mapping[str, Any]) -> None:
        """A call the core does not route (click-to-call, a dialled customer) ended."""
        if "outcome" not in values or not _enabled():
            return
        log.info("call_ended", call_id=session.call_id, queue=session.queue,
                 operator=values.get("operator_id") or session.operator_id or "",
                 outcome=values["outcome"], talk_s=values.get("talk_s"),
                 cause=values.get("hangup_cause", "pending"))  # fmt: skip

    def recording_started(self, session: CallSession, name: str) -> None:
        if _enabled():
            log.info("call_recording_started", call_id=session.call_id, queue=session.queue,
                     operator=session.operator_id or "", recording=name)  # fmt: skip

    def late_cause(self, call_id: str, cause: int) -> None:
        if _enabled():
            log.info("call_hangup_cause", call_id=call_id, cause=cause)

    def _remember(self, call_id: str, queue: str) -> None:
        self._queues[call_id] = queue
        while len(self._queues) > _QUEUES_MAX:
            self._queues.popitem(last=False)
