"""An in-memory :class:`~callrouter.api.ports.CallCenterPort` for tests and demos.

It keeps the rules a client can observe (a second login is refused, a pause needs a
login, click-to-call needs an available operator, a paused recording cannot be paused
again) and records every call made to it in ``calls``. ``fail_next`` makes the next
call to a named method raise, to exercise the API's error mapping.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from callrouter.api.ports import CenterHealth, OperatorAction, RecordingContent
from callrouter.errors import Conflict, NotFound

__all__ = ["FakeCallCenter", "FakeRecording", "PortCall"]


@dataclass(frozen=True, slots=True)
class PortCall:
    method: str
    args: tuple[Any, ...]


@dataclass
class FakeRecording:
    """``chunks`` are served as an async iterator when there is more than one."""

    chunks: Sequence[bytes]
    content_type: str = "audio/wav"
    paused: bool = False
    live: bool = True
    # Raised after the chunks, to imitate a file that breaks mid-stream.
    break_with: Exception | None = None


@dataclass
class FakeCallCenter:
    operators: dict[str, str] = field(default_factory=dict)
    """Operator id to state: logged_out, available or paused."""
    recordings: dict[str, FakeRecording] = field(default_factory=dict)
    queues: dict[str, Any] = field(default_factory=dict)
    health_state: CenterHealth = field(
        default_factory=lambda: CenterHealth(
            ari_connected=True, ari_reconnects=0, ari_last_event_at=None, database_ok=True
        )
    )
    calls: list[PortCall] = field(default_factory=list)
    live_calls: dict[str, str] = field(default_factory=dict)
    preview_leads: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    scheduled: list[dict[str, Any]] = field(default_factory=list)
    """Campaign name to the leads ``next_lead`` hands out, in order."""
    """Call id to its queue, for transfers."""
    fail_next: dict[str, Exception] = field(default_factory=dict)

    def _enter(self, method: str, *args: Any) -> None:
        self.calls.append(PortCall(method, args))
        error = self.fail_next.pop(method, None)
        if error is not None:
            raise error

    def _state(self, operator_id: str) -> str:
        try:
            return self.operators[operator_id]
        except KeyError:
            raise NotFound(f"no operator {operator_id!r}") from None

    def live_call_tenant(self, call_id: str) -> str | None:
        return None  # no tenants here: a call's row says

    async def health(self) -> CenterHealth:
        self._enter("health")
        return self.health_state

    async def operator_action(
        self, operator_id: str, action: OperatorAction, reason: str | None
    ) -> str:
        self._enter("operator_action", operator_id, action, reason)
        state = self._state(operator_id)
        allowed_from = {
            "login": {"logged_out"},
            "logout": {"available", "paused"},
            "pause": {"available"},
            "unpause": {"paused"},
        }[action]
        if state not in allowed_from:
            raise Conflict(f"operator {operator_id!r} is {state}: cannot {action}")
        new_state = {"login": "available", "logout": "logged_out", "pause": "paused"}.get(
            action, "available"
        )
        self.operators[operator_id] = new_state
        return f"{new_state} ({reason})" if reason else new_state

    async def click_to_call(
        self,
        *,
        operator_id: str,
        number: str | None,
        caller_id: str | None,
        campaign_id: int | None,
        lead_id: int | None,
    ) -> str:
        self._enter("click_to_call", operator_id, number, caller_id, campaign_id, lead_id)
        state = self._state(operator_id)
        if state != "available":
            raise Conflict(f"operator {operator_id!r} is {state}, not available")
        call_id = str(uuid.uuid4())
        self.recordings[call_id] = FakeRecording(chunks=[])
        return call_id

    def _recording(self, call_id: str) -> FakeRecording:
        try:
            return self.recordings[call_id]
        except KeyError:
            raise NotFound(f"no recording for call {call_id}") from None

    async def recording_file(self, call_id: str) -> tuple[RecordingContent, str]:
        self._enter("recording_file", call_id)
        recording = self._recording(call_id)
        if len(recording.chunks) == 1 and recording.break_with is None:
            return recording.chunks[0], recording.content_type
        return _stream(recording), recording.content_type

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
        self._enter("schedule_callback", phone, queue, due_at, name, note, operator_id)
        if operator_id is not None:
            self._state(operator_id)
        if queue not in self.queues:
            raise NotFound(f"no queue {queue!r}")
        self.scheduled.append({"phone": phone, "queue": queue, "due_at": due_at, "name": name})
        return len(self.scheduled)

    async def next_lead(self, campaign: str, operator_id: str) -> dict[str, Any]:
        self._enter("next_lead", campaign, operator_id)
        self._state(operator_id)
        queue = self.preview_leads.get(campaign)
        if not queue:
            raise NotFound(f"no lead of {campaign!r} may be called now")
        return queue.pop(0)

    async def transfer(self, call_id: str, queue: str) -> None:
        self._enter("transfer", call_id, queue)
        if call_id not in self.live_calls:
            raise NotFound(f"no live call {call_id}")
        if queue not in self.queues:
            raise NotFound(f"no queue {queue!r}")
        if self.live_calls[call_id] == queue:
            raise Conflict(f"call {call_id} is already in {queue}")
        self.live_calls[call_id] = queue

    async def start_recording(self, call_id: str) -> None:
        self._enter("start_recording", call_id)
        if call_id in self.recordings:
            raise Conflict(f"call {call_id} is already recorded")
        if call_id not in self.live_calls:
            raise NotFound(f"no live call {call_id}")
        self.recordings[call_id] = FakeRecording(chunks=[])

    async def pause_recording(self, call_id: str) -> None:
        self._enter("pause_recording", call_id)
        recording = self._live_recording(call_id)
        if recording.paused:
            raise Conflict(f"the recording of call {call_id} is already paused")
        recording.paused = True

    async def resume_recording(self, call_id: str) -> None:
        self._enter("resume_recording", call_id)
        recording = self._live_recording(call_id)
        if not recording.paused:
            raise Conflict(f"the recording of call {call_id} is not paused")
        recording.paused = False

    def _live_recording(self, call_id: str) -> FakeRecording:
        recording = self._recording(call_id)
        if not recording.live:
            raise Conflict(f"call {call_id} has ended")
        return recording

    async def queue_status(self) -> dict[str, Any]:
        self._enter("queue_status")
        return dict(self.queues)


async def _stream(recording: FakeRecording) -> AsyncIterator[bytes]:
    for chunk in recording.chunks:
        yield chunk
    if recording.break_with is not None:
        raise recording.break_with
